#include "commands.hpp"
namespace rmtlens::cli {
void add_demo_command(CLI::App&) {}
}  // namespace rmtlens::cli
