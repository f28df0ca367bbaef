// The input flags shared by sweep, spectrum and scaling: a precomputed
// kernel pair, or features with a kernel function, plus labels.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "rmtlens/kernels.hpp"
#include "rmtlens/sweep.hpp"
#include "rmtlens/targets.hpp"

namespace rmtlens::cli {

struct InputFlags {
  std::string kernel;         // Npool x Npool .npy
  std::string test_kernel;    // M x Npool .npy
  std::string features;       // Npool x p .npy
  std::string test_features;  // M x p .npy
  std::string labels;         // Npool classes (1-D) or Npool x C targets
  std::string test_labels;    // M classes or M x C targets
  std::string kernel_fn = "linear";
  double bandwidth = 0.0;
  int degree = 3;
  double offset = 1.0;
  bool float32 = false;
};

void add_input_flags(CLI::App* command, InputFlags* flags);

// Everything a sweep needs, loaded and checked.
struct Problem {
  bool primal = false;  // linear kernel on features with p < largest N
  Matrix pool_kernel;   // Npool x Npool (kernel route)
  Matrix test_kernel;   // M x Npool (kernel route)
  Matrix features;      // Npool x p (primal route)
  Matrix test_features;
  Targets train;
  Targets test;
  KernelOptions kernel;        // bandwidth resolved
  nlohmann::json description;  // files, shapes, kernel, for summary.json

  std::int64_t pool_size() const { return train.size(); }
};

// Reads every file, checks shapes, values and memory before any work, and
// computes the kernel from features when the primal route does not apply.
// largest_size: the largest requested N (decides the route and the memory
// estimate); loo: whether eigenvectors will be formed.
Problem load_problem(const InputFlags& flags,
                     std::int64_t largest_size,
                     bool loo,
                     const Progress& progress = {});

}  // namespace rmtlens::cli
