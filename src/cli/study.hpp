// The default study of `rmtlens demo`: Fashion-MNIST, a pretrained network
// against the same architecture at random init, raw-pixel kernels as the
// non-neural baseline; every representation analysed the same way.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rmtlens/sweep.hpp"
#include "rmtlens/targets.hpp"

namespace rmtlens::cli {

struct StudyPlan {
  bool quick = false;
  std::uint64_t seed = 0;
  std::vector<int> source_classes = {0, 1, 2, 3, 4};
  std::vector<int> target_classes = {5, 6, 7, 8, 9};
  // Training pool of target-class images (train split) for the raw-pixel
  // kernels, and for the network kernels (the eNTK is the costly part).
  std::int64_t pool = 8000;
  std::int64_t network_pool = 2000;
  // Test images of the target classes (test split); 0 takes all 5000, so a
  // test risk is resolved to about +-3% (see docs/uncertainty.md).
  std::int64_t test = 0;
  std::int64_t network_test = 0;
  int sizes_per_decade = 4;
  // Sizes go up to pool / population_factor; the whole pool is the
  // population sample of the deterministic equivalent, which needs P >> N.
  double population_factor = 2.0;
  std::int64_t smallest_size = 125;
  std::string ridges = "log:1e-7:10:17";
  bool loo = true;
  bool networks = true;
  // Pretraining on the source classes.
  int network_depth = 20;
  int network_width = 16;
  std::int64_t pretrain_images = 15000;
  int pretrain_epochs = 2;
};

StudyPlan plan_for(bool quick);

// One representation's kernel pair on the study's pool and test images.
struct StudyKernel {
  std::string name;    // directory name, e.g. "raw-rbf"
  std::string label;   // for tables and plots
  Matrix kernel;       // n x n
  Matrix test_kernel;  // m x n
  nlohmann::json provenance;
};

// What the summary table and study.json keep of one representation.
struct Outcome {
  std::string name;
  std::string label;
  nlohmann::json summary;   // the representation's sweep summary.json
  nlohmann::json spectrum;  // spectrum/summary.json
  nlohmann::json scaling;   // scaling/summary.json
};

// The nested sizes of a pool: smallest_size doubling... on a log grid up
// to the pool itself.
std::vector<std::int64_t> study_sizes(const StudyPlan& plan, std::int64_t pool);

void print_study_table(const std::vector<Outcome>& outcomes);

nlohmann::json plan_to_json(const StudyPlan& plan);

}  // namespace rmtlens::cli
