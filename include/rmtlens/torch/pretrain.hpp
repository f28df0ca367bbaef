// Training a built-in network on a source task ("pretraining"), so that
// its representation can be compared with the same architecture at random
// initialisation.
#pragma once

#include <cstdint>
#include <string>

#include "rmtlens/sweep.hpp"
#include "rmtlens/torch/networks.hpp"
#include "rmtlens/torch/tasks.hpp"

namespace rmtlens {

struct PretrainOptions {
  // Passes over the training images, 1-1000. With the default subset two
  // epochs of ResNet-20 take a few minutes on two cores.
  int epochs = 2;
  // Images per SGD step, 1-4096.
  int batch_size = 128;
  // Peak learning rate of SGD with Nesterov momentum 0.9, > 0; a short
  // linear warm-up, then cosine decay to zero over the run.
  double learning_rate = 0.1;
  // L2 penalty on every parameter, >= 0 (the CIFAR ResNet's value).
  double weight_decay = 5e-4;
  // Seed for the initialisation and the batch order.
  std::uint64_t seed = 0;

  void validate() const;
};

struct PretrainResult {
  Network network;
  double heldout_accuracy = 0;  // fraction of held-out images right
  double final_train_loss = 0;  // mean cross-entropy of the last epoch
  std::int64_t steps = 0;
  double seconds = 0;
};

// Trains a network of `spec` (spec.classes must equal the task's class
// count) on `train` and measures accuracy on `heldout`. BatchNorm trains
// in training mode and is left with running statistics for evaluation.
PretrainResult pretrain(const NetworkSpec& spec,
                        const ImageTask& train,
                        const ImageTask& heldout,
                        const PretrainOptions& options,
                        const Progress& progress = {});

}  // namespace rmtlens

// Example:
//   auto task = rmtlens::select_classes(train_split, {0,1,2,3,4}, 15000, 0,
//                                       "source task");
//   rmtlens::NetworkSpec spec;
//   spec.classes = 5;
//   auto r = rmtlens::pretrain(spec, task, heldout, {});
//   rmtlens::save_network("w.pt", r.network, rmtlens::spec_to_json(spec));
