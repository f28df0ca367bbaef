// Each subcommand registers itself on the top-level CLI11 app. A command's
// callback throws InputError for caller errors; main() turns that into one
// line on stderr and a non-zero exit.
#pragma once

#include <CLI/CLI.hpp>

namespace rmtlens::cli {

void add_sweep_command(CLI::App& app);
void add_kernel_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_spectrum_command(CLI::App& app);
void add_scaling_command(CLI::App& app);
void add_synth_command(CLI::App& app);
void add_report_command(CLI::App& app);
#ifdef RMTLENS_HAVE_TORCH
void add_ntk_command(CLI::App& app);
void add_features_command(CLI::App& app);
void add_pretrain_command(CLI::App& app);
#endif

}  // namespace rmtlens::cli
