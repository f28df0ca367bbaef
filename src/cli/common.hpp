// Pieces every subcommand shares: grids, logging, progress, outputs.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rmtlens/sweep.hpp"

namespace rmtlens::cli {

// "250,500,1000" or "log:MIN:MAX:COUNT" (items may be mixed, comma-
// separated). Sizes from a log grid are rounded and deduplicated.
std::vector<std::int64_t> parse_size_grid(const std::string& text);
std::vector<double> parse_ridge_grid(const std::string& text);

// Sets the log level: warnings only by default, info with -v, debug -vv.
void configure_logging(int verbosity);

// A one-line progress bar on stderr, redrawn at most every 200 ms and only
// when stderr is a terminal; otherwise each step is logged once.
class ProgressBar {
 public:
  explicit ProgressBar(std::string task);
  ~ProgressBar();
  void update(const std::string& step, double fraction);
  Progress callback();

 private:
  std::string task_;
  std::string last_step_;
  bool terminal_;
  std::chrono::steady_clock::time_point last_draw_;
};

// Versions of rmtlens and the libraries it links, for summary.json.
nlohmann::json build_info();

// Writes sweep.csv (one row per (n, ridge)) atomically.
void write_sweep_csv(const std::string& path, const SweepResult& result);

// The sweep part of summary.json: per-size choices, estimator errors,
// spectra facts, notes and timings.
nlohmann::json sweep_summary(const SweepResult& result);

// Writes `value` as indented JSON, atomically.
void write_json(const std::string& path, const nlohmann::json& value);

// Prints a table of GCV / LOO against the test risk per size to stdout.
void print_sweep_table(const std::string& title, const SweepResult& result);

}  // namespace rmtlens::cli
