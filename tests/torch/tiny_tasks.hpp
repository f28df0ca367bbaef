// Tiny networks and synthetic image tasks shared by the LibTorch tests:
// small enough that every check runs in well under a second.
#pragma once

#include <random>

#include "rmtlens/torch/networks.hpp"
#include "rmtlens/torch/ntk.hpp"
#include "rmtlens/torch/pretrain.hpp"

namespace rmtlens::testing {

// Two classes of c x h x w images: class 0 is bright in the top half,
// class 1 in the bottom half, both with uniform noise.
inline ImageTask halves_task(int count, int c, int h, int w, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> noise(0.0, 0.5);
  ImageTask task;
  task.classes = {0, 1};
  task.height = h;
  task.width = w;
  task.images.resize(count, std::int64_t{c} * h * w);
  for (int i = 0; i < count; ++i) {
    const int label = i % 2;
    task.labels.push_back(label);
    for (int k = 0; k < c * h * w; ++k) {
      const int row = (k / w) % h;
      const bool bright = (row < h / 2) == (label == 0);
      task.images(i, k) = noise(rng) + (bright ? 0.5 : 0.0);
    }
  }
  return task;
}

inline NetworkSpec tiny_spec(Architecture architecture) {
  NetworkSpec spec;
  spec.architecture = architecture;
  spec.depth = architecture == Architecture::kResNet ? 8 : 3;
  spec.width = architecture == Architecture::kResNet ? 2 : 5;
  spec.image_channels = 1;
  spec.image_height = 6;
  spec.image_width = 6;
  spec.classes = 2;
  return spec;
}

// A tiny network after one short epoch, so that BatchNorm's running
// statistics and affine parameters are no longer at their initial values.
inline Network trained_tiny_network(Architecture architecture) {
  PretrainOptions options;
  options.epochs = 1;
  options.batch_size = 4;
  options.learning_rate = 0.05;
  const NetworkSpec spec = tiny_spec(architecture);
  const ImageTask task = halves_task(16, 1, 6, 6, 1);
  return pretrain(spec, task, task, options).network;
}

inline InputArray tiny_inputs(int count, unsigned seed) {
  const ImageTask task = halves_task(count, 1, 6, 6, seed);
  return {task.images, {1, 6, 6}};
}

inline double max_abs(const Matrix& m) {
  return m.cwiseAbs().maxCoeff();
}

inline double relative_difference(const Matrix& a, const Matrix& b) {
  return max_abs(a - b) / max_abs(b);
}

}  // namespace rmtlens::testing
