#include "network_commands.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <utility>

namespace rmtlens::cli {

namespace {

constexpr char kNetworkProgram[] = "rmtlens-networks";
constexpr char kPlainProgram[] = "rmtlens";

const std::array<std::pair<std::string, std::string>, 4>& network_commands() {
  static const std::array<std::pair<std::string, std::string>, 4> commands{{
      {"demo",
       "The whole study on Fashion-MNIST: pretrained against random network "
       "kernels and raw-pixel kernels on classes 5-9, swept over sizes and "
       "ridges with every estimator. The test set is the whole official "
       "test split of the target classes (5000 images), so that a 10% gap "
       "between an estimate and the test risk is not noise."},
      {"ntk",
       "Empirical NTK of a network: kernel.npy (n x n), test_kernel.npy "
       "(m x n) and labels, ready for rmtlens sweep."},
      {"features",
       "Penultimate-layer features of a network and their linear kernel "
       "F F^T / p."},
      {"pretrain",
       "Train a built-in network on a source task and save weights plus "
       "metadata. Default: ResNet-20 width 16, 2 epochs on 15000 images of "
       "Fashion-MNIST classes 0-4 (a few minutes on two cores)."},
  }};
  return commands;
}

// The folder of the running executable (not of argv[0], which may be a
// name found on PATH or a symbolic link).
std::filesystem::path executable_folder() {
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path(".") : self.parent_path();
}

// The help of network command `name`, or null when it is not one.
const std::string* find_network_command(const std::string& name) {
  for (const auto& [command, help] : network_commands()) {
    if (command == name) return &help;
  }
  return nullptr;
}

}  // namespace

const std::string& network_command_help(const std::string& name) {
  const std::string* help = find_network_command(name);
  if (help == nullptr) {
    throw std::logic_error("not a network command: " + name);
  }
  return *help;
}

bool wants_network_command(int argc, char** argv) {
  return argc >= 2 && find_network_command(argv[1]) != nullptr;
}

int exec_network_program(char** argv) {
  const std::string program = (executable_folder() / kNetworkProgram).string();
  ::execv(program.c_str(), argv);

  // Only reached when the exec failed.
  std::fprintf(stderr,
               "rmtlens: error: '%s' runs in %s, which could not be started "
               "(%s); it is built beside rmtlens when LibTorch is enabled "
               "(-DRMTLENS_TORCH=ON, the default)\n",
               argv[1],
               program.c_str(),
               std::strerror(errno));
  return 2;
}

std::string plain_program() {
  const auto beside = executable_folder() / kPlainProgram;
  if (::access(beside.c_str(), X_OK) == 0) return beside.string();
  return "/proc/self/exe";
}

void add_network_command_entries(CLI::App& app) {
  for (const auto& [name, help] : network_commands()) {
    app.add_subcommand(name, help);
  }
}

}  // namespace rmtlens::cli
