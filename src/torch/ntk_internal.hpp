// NtkModel's implementation, shared by the model and kernel sources.
// Internal to src/torch.
#pragma once

#include <torch/script.h>
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "modules.hpp"
#include "rmtlens/torch/ntk.hpp"

namespace rmtlens {

inline torch::Dtype torch_dtype(NtkPrecision precision) {
  return precision == NtkPrecision::kFloat64 ? torch::kFloat64
                                             : torch::kFloat32;
}

struct NtkModel::Impl {
  // A built-in network: body (its fc unused) and the 1-output head.
  NetworkSpec spec;
  std::shared_ptr<detail::BuiltinNet> body;
  torch::nn::Linear head{nullptr};

  // Or a TorchScript module.
  std::optional<torch::jit::Module> script;
  std::string path;
  int output_index = -1;

  std::string description;

  // f for a batch: x is B x sample shape, the result has B values. A
  // built-in network records its layers on `tape` when given.
  torch::Tensor forward(const torch::Tensor& x, detail::Tape* tape);
  // The one value per input from a TorchScript result, or InputError.
  torch::Tensor select_output(const c10::IValue& value,
                              std::int64_t batch) const;
  // Trainable parameters in the kernel's order.
  std::vector<torch::Tensor> parameters() const;
  void to(torch::Dtype dtype);
  torch::Dtype dtype() const;

  // InputError when `inputs` cannot be fed to a built-in network.
  void check_shape(const InputArray& inputs, const std::string& what) const;
  // The per-sample tensor shape inputs are reshaped to.
  std::vector<std::int64_t> tensor_shape(const InputArray& inputs) const;
  // Runs the model on the first input: InputError if it rejects the
  // shape or returns other than one value (or output_index) per input.
  void probe(const InputArray& inputs);
};

}  // namespace rmtlens
