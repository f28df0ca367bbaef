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

}  // namespace rmtlens::cli
