// The theory layer on the command line: where the population spectrum
// comes from (--population-size, --population-kernel), the theory columns
// of a sweep and their summary tables.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "inputs.hpp"
#include "rmtlens/power_law.hpp"
#include "rmtlens/sweep.hpp"
#include "rmtlens/theory.hpp"

namespace rmtlens::cli {

struct TheoryFlags {
  // P: the first P points of the sweep's permutation of the pool; 0 = the
  // whole pool. A size of the sweep reuses that size's decomposition.
  std::int64_t population_size = 0;
  std::string population_kernel;  // a separate P x P kernel .npy
  std::string population_labels;  // its labels, like --labels
  std::string compare_to;         // another sweep's sweep.csv, for the ordering
  bool no_theory = false;         // skip the theory columns
};

void add_theory_flags(CLI::App* command, TheoryFlags* flags);

// The population spectrum and the bound's constants, prepared before the
// sweep consumes the pool kernel. When P is one of the sweep's sizes the
// decomposition is taken from the sweep instead (reuse_size).
struct PopulationPlan {
  bool enabled = true;
  bool reuse_size = false;
  std::int64_t size = 0;  // P
  PopulationSpectrum spectrum;
  TheoryOptions options;
  nlohmann::json description;
};

PopulationPlan plan_population(const TheoryFlags& flags,
                               const InputFlags& inputs,
                               const Problem& problem,
                               const SweepOptions& options);

// Sets plan.size to P from --population-size (0: the whole pool of `pool`
// points; outside [1, pool] is refused), its description, and whether a
// sweep size already decomposes that many points (plan.reuse_size).
void choose_pool_population(const TheoryFlags& f,
                            std::int64_t pool,
                            const SweepOptions& options,
                            PopulationPlan& plan);

// The labels of --population-kernel (--population-labels), checked to
// have `rows` rows and the pool's outputs (classes).
Targets load_population_targets(const TheoryFlags& flags,
                                const InputFlags& inputs,
                                const Targets& train,
                                std::int64_t rows);

// Fills the theory columns of `result` (no-op when disabled).
void apply_theory(SweepResult& result, PopulationPlan& plan);

// Adds the theory entries to summary["relative_error_vs_test"] and the
// "local_law", "population" and (with --compare-to) "ordering" objects.
void add_theory_summary(nlohmann::json& summary,
                        const SweepResult& result,
                        const PopulationPlan& plan,
                        const TheoryFlags& flags);

// What every sweep writes and prints, on one process or many: sweep.csv,
// summary.json (inputs, options, build, theory, uncertainty and, when not
// null, the distributed layout) and the GCV/LOO and uncertainty tables.
void write_sweep_outputs(const SweepResult& result,
                         const PopulationPlan& plan,
                         const nlohmann::json& inputs,
                         const TheoryFlags& theory,
                         const SweepOptions& options,
                         const std::string& out,
                         const nlohmann::json& distributed = nullptr);

// A power-law fit as summary.json stores it.
nlohmann::json fit_json(const PowerLawFit& fit);

// "FIRST:LAST" (1-based, inclusive) into a fit's options; empty keeps the
// default rule. `flag` names the option in errors.
void parse_fit_range(const std::string& text,
                     const std::string& flag,
                     PowerLawOptions* options);

// Writes `value` to `out` as CSV: 17 significant digits, "nan" for NaN.
std::string csv_number(double value);

}  // namespace rmtlens::cli
