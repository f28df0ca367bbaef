// The uncertainty part of summary.json and of the printed tables: every
// estimate next to the interval of the test risk it is compared with, and
// where GCV should not be read (docs/uncertainty.md).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "rmtlens/sweep.hpp"
#include "rmtlens/uncertainty.hpp"

namespace rmtlens::cli {

// summary["uncertainty"]: the interval method and rules as stated, per
// estimator column the comparison with the test risk over resolved rows,
// per size the interval at GCV's ridge, and GCV's verdicts.
nlohmann::json uncertainty_summary(const SweepResult& result,
                                   const ResolutionRule& rule = {});

// One line per size for stdout: the test risk at GCV's ridge with its
// interval, and how many ridges GCV is flagged at.
void print_uncertainty_table(const SweepResult& result,
                             const ResolutionRule& rule = {});

// --bootstrap, --bootstrap-seed, --confidence and --gcv-max-slack-cv,
// mapped one to one onto the option fields.
void add_uncertainty_flags(CLI::App* command,
                           BootstrapOptions* bootstrap,
                           GcvTrustRule* gcv_rule);

// Every pair of representations (name, summary.json): the difference of
// their test MSE and test error at GCV's ridge at their largest N, and
// whether it exceeds the combined uncertainty (compare_risks: a shared
// test set makes this conservative).
nlohmann::json compare_representations(
    const std::vector<std::pair<std::string, nlohmann::json>>& summaries,
    double level = 0.95);

// The rule of ResolutionRule, in words, for summaries and --help.
std::string resolution_statement(const ResolutionRule& rule);

}  // namespace rmtlens::cli
