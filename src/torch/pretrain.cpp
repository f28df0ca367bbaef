// Supervised training of a built-in network on an image task.
#include "rmtlens/torch/pretrain.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "modules.hpp"

namespace rmtlens {
namespace {

// Fraction of the steps spent warming the learning rate up linearly,
// which keeps the first large steps from destabilising BatchNorm.
constexpr double kWarmup = 0.05;

double learning_rate_at(const PretrainOptions& options,
                        std::int64_t step,
                        std::int64_t steps) {
  const double t = double(step) / steps;
  if (t < kWarmup) return options.learning_rate * (t + 1.0 / steps) / kWarmup;
  const double u = (t - kWarmup) / (1 - kWarmup);
  return options.learning_rate * 0.5 * (1 + std::cos(M_PI * u));
}

torch::Tensor task_images(const NetworkSpec& spec, const ImageTask& task) {
  return detail::to_tensor(
      task.images,
      {spec.image_channels, spec.image_height, spec.image_width},
      torch::kFloat32);
}

torch::Tensor task_labels(const ImageTask& task) {
  return torch::tensor(task.labels, torch::kInt64);
}

double accuracy(detail::BuiltinNet& net,
                const torch::Tensor& x,
                const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  net.eval();
  std::int64_t right = 0;
  for (std::int64_t r0 = 0; r0 < x.size(0); r0 += 512) {
    const std::int64_t b = std::min<std::int64_t>(512, x.size(0) - r0);
    torch::Tensor logits =
        net.fc->forward(net.features(x.narrow(0, r0, b), nullptr));
    right += logits.argmax(1).eq(y.narrow(0, r0, b)).sum().item<std::int64_t>();
  }
  return x.size(0) > 0 ? double(right) / x.size(0) : 0.0;
}

void check_task(const NetworkSpec& spec,
                const ImageTask& task,
                const std::string& what) {
  if (task.images.cols() != spec.input_size()) {
    throw InputError(
        fmt::format("{}: images of {} values, the network takes {}",
                    what,
                    task.images.cols(),
                    spec.input_size()));
  }
  if (static_cast<int>(task.classes.size()) != spec.classes) {
    throw InputError(fmt::format("{}: {} classes, the network has {} outputs",
                                 what,
                                 task.classes.size(),
                                 spec.classes));
  }
}

}  // namespace

void PretrainOptions::validate() const {
  if (epochs < 1 || epochs > 1000) {
    throw InputError(fmt::format("--epochs {}: must be in 1-1000", epochs));
  }
  if (batch_size < 1 || batch_size > 4096) {
    throw InputError(
        fmt::format("--batch-size {}: must be in 1-4096", batch_size));
  }
  if (!(learning_rate > 0)) {
    throw InputError(
        fmt::format("--learning-rate {}: must be > 0", learning_rate));
  }
  if (!(weight_decay >= 0)) {
    throw InputError(
        fmt::format("--weight-decay {}: must be >= 0", weight_decay));
  }
}

PretrainResult pretrain(const NetworkSpec& spec,
                        const ImageTask& train,
                        const ImageTask& heldout,
                        const PretrainOptions& options,
                        const Progress& progress) {
  options.validate();
  spec.validate();
  check_task(spec, train, "training task");
  check_task(spec, heldout, "held-out task");
  if (train.images.rows() < 1) throw InputError("training task: no images");

  const auto start = std::chrono::steady_clock::now();
  Network network = make_network(spec, options.seed);
  auto& net = *network.impl().module;
  const torch::Tensor x = task_images(spec, train);
  const torch::Tensor y = task_labels(train);
  const std::int64_t n = x.size(0);
  const std::int64_t per_epoch =
      (n + options.batch_size - 1) / options.batch_size;
  const std::int64_t steps = per_epoch * options.epochs;

  torch::optim::SGD sgd(net.parameters(),
                        torch::optim::SGDOptions(options.learning_rate)
                            .momentum(0.9)
                            .nesterov(true)
                            .weight_decay(options.weight_decay));
  PretrainResult result{network};
  std::int64_t step = 0;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    // The batch order of each epoch comes from the seed as well.
    net.train();
    torch::Tensor order = torch::randperm(n, torch::kInt64);
    double loss_sum = 0;
    for (std::int64_t b = 0; b < per_epoch; ++b, ++step) {
      const auto rows =
          order.narrow(0,
                       b * options.batch_size,
                       std::min<std::int64_t>(options.batch_size,
                                              n - b * options.batch_size));
      for (auto& group : sgd.param_groups()) {
        group.options().set_lr(learning_rate_at(options, step, steps));
      }
      sgd.zero_grad();
      torch::Tensor loss = torch::nn::functional::cross_entropy(
          net.fc->forward(net.features(x.index_select(0, rows), nullptr)),
          y.index_select(0, rows));
      loss.backward();
      sgd.step();
      loss_sum += loss.item<double>() * rows.size(0);
      if (progress) {
        progress(fmt::format("epoch {}/{}", epoch + 1, options.epochs),
                 double(step + 1) / steps);
      }
    }
    result.final_train_loss = loss_sum / n;
  }

  net.eval();
  result.heldout_accuracy =
      accuracy(net, task_images(spec, heldout), task_labels(heldout));
  result.steps = steps;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return result;
}

}  // namespace rmtlens
