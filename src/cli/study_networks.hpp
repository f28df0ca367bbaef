// The network half of the study (LibTorch build only): the data split,
// pretraining on the source classes, and the eNTK and feature kernels of
// the pretrained and the randomly initialised network.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common.hpp"
#include "rmtlens/torch/tasks.hpp"
#include "study.hpp"

namespace rmtlens::cli {

// Target classes for the analysis and source classes for pretraining:
// disjoint classes, so no image is in both.
struct StudyData {
  ImageTask pool;            // target classes, train split
  ImageTask test;            // target classes, test split
  ImageTask source;          // source classes, train split
  ImageTask source_heldout;  // source classes, test split
  nlohmann::json description;

  std::vector<std::int64_t> pool_labels(std::int64_t n) const;
  std::vector<std::int64_t> test_labels(std::int64_t m) const;
};

StudyData load_study_data(const StudyPlan& plan, ProgressBar& bar);

// Pretrains (or reuses the cached weights) and returns four
// representations: eNTK and penultimate features, pretrained and random.
// Kernels are cached in cache_dir keyed by everything that determines
// them, so a second run skips the network work.
std::vector<StudyKernel> network_representations(const StudyData& data,
                                                 const StudyPlan& plan,
                                                 const std::string& cache_dir,
                                                 ProgressBar& bar);

}  // namespace rmtlens::cli
