// The commands that need LibTorch (ntk, features, pretrain, demo) live in a
// second program, rmtlens-networks, built beside rmtlens. Loading LibTorch
// costs a process about half a second and 150 MB before it does anything,
// which the sweep and the other commands should not pay; rmtlens therefore
// replaces itself with rmtlens-networks (exec, same arguments) when one of
// these commands is asked for, and lists them in its help as its own.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace rmtlens::cli {

// The one-line help of a network command, shared by its registration in
// rmtlens-networks and its entry in rmtlens' help. Throws std::logic_error
// for a name that is not a network command.
const std::string& network_command_help(const std::string& name);

// Whether argv names a network command (argv[1], the subcommand).
bool wants_network_command(int argc, char** argv);

// Runs rmtlens-networks from the folder of this executable in place of this
// process, with the same arguments. Returns only when that fails, with the
// exit code after printing one error line.
int exec_network_program(char** argv);

// The program for the other commands when a network command (the demo)
// runs them as a user would: rmtlens beside this executable, which starts
// without LibTorch, or this executable itself when there is none.
std::string plain_program();

// Lists the network commands in `app`'s help; their options are those of
// rmtlens-networks, which runs them.
void add_network_command_entries(CLI::App& app);

}  // namespace rmtlens::cli
