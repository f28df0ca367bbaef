// LibTorch modules behind the built-in networks, and the tape on which a
// forward pass records each layer's input and output so that per-sample
// gradients can be formed layer by layer. Internal to src/torch.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "rmtlens/torch/networks.hpp"

namespace rmtlens::detail {

// Layers whose per-sample gradients have a closed form from the layer's
// input and the gradient at its output.
enum class LayerKind { kConv, kBatchNorm, kLinear };

struct TapeEntry {
  LayerKind kind;
  torch::nn::Module* module;  // Conv2dImpl, BatchNorm2dImpl or LinearImpl
  torch::Tensor input;        // detached
  torch::Tensor output;       // still on the autograd graph
};
using Tape = std::vector<TapeEntry>;

// Each call runs the layer and, when `tape` is given, records it.
torch::Tensor run_conv(torch::nn::Conv2d& conv,
                       const torch::Tensor& x,
                       Tape* tape);
torch::Tensor run_batch_norm(torch::nn::BatchNorm2d& bn,
                             const torch::Tensor& x,
                             Tape* tape);
torch::Tensor run_linear(torch::nn::Linear& linear,
                         const torch::Tensor& x,
                         Tape* tape);

// A built-in network: a body producing the penultimate features and a
// linear classifier `fc` on top.
class BuiltinNet : public torch::nn::Module {
 public:
  // x: B x C x H x W. Returns B x feature_size.
  virtual torch::Tensor features(const torch::Tensor& x, Tape* tape) = 0;
  virtual std::int64_t feature_size() const = 0;

  torch::nn::Linear fc{nullptr};
};

std::shared_ptr<BuiltinNet> build_module(const NetworkSpec& spec);

// n x d float64 matrix (row per sample) -> n x shape tensor of `dtype`.
torch::Tensor to_tensor(const Matrix& rows,
                        const std::vector<std::int64_t>& sample_shape,
                        torch::Dtype dtype);
// A 2-D tensor (rows x cols) -> float64 Matrix.
Matrix to_matrix(const torch::Tensor& t);

}  // namespace rmtlens::detail

namespace rmtlens {

struct Network::Impl {
  NetworkSpec spec;
  std::shared_ptr<detail::BuiltinNet> module;
};

}  // namespace rmtlens
