// The model side of the eNTK: built-in networks with a 1-output head and
// TorchScript modules, one scalar per input, with checks of what a model
// accepts and returns.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/script.h>

#include <numeric>

#include "ntk_internal.hpp"

namespace rmtlens {
namespace {

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// The line of a LibTorch or TorchScript error that says what went wrong:
// the interpreter wraps the Python-side "RuntimeError: ..." in a stack of
// source lines, so take that line when present.
std::string error_summary(const std::string& text) {
  const std::string marker = "RuntimeError: ";
  const auto at = text.rfind(marker);
  if (at == std::string::npos) return first_line(text);
  return first_line(text.substr(at + marker.size()));
}

std::string shape_text(const torch::IntArrayRef& sizes) {
  return fmt::format("[{}]", fmt::join(sizes, ", "));
}

}  // namespace

torch::Tensor NtkModel::Impl::forward(const torch::Tensor& x,
                                      detail::Tape* tape) {
  if (body) {
    return run_linear(head, body->features(x, tape), tape).reshape({-1});
  }
  return select_output(script->forward({x}), x.size(0));
}

torch::Tensor NtkModel::Impl::select_output(const c10::IValue& value,
                                            std::int64_t batch) const {
  if (!value.isTensor()) {
    throw InputError(
        fmt::format("--model {}: forward returns a {}, not a tensor",
                    path,
                    value.tagKind()));
  }
  const torch::Tensor out = value.toTensor();
  if (output_index < 0) {
    const bool scalar_each =
        out.numel() == batch &&
        (out.dim() <= 1 || (out.dim() == 2 && out.size(1) == 1));
    if (scalar_each) return out.reshape({batch});
    throw InputError(fmt::format(
        "--model {}: output shape {} for {} input(s) is not one value per "
        "input; pass --output-index to pick one output",
        path,
        shape_text(out.sizes()),
        batch));
  }
  if (out.dim() != 2 || out.size(0) != batch || output_index >= out.size(1)) {
    throw InputError(fmt::format(
        "--output-index {}: model {} returns shape {} for {} input(s), "
        "expected ({}, k) with k > {}",
        output_index,
        path,
        shape_text(out.sizes()),
        batch,
        batch,
        output_index));
  }
  return out.select(1, output_index);
}

std::vector<torch::Tensor> NtkModel::Impl::parameters() const {
  std::vector<torch::Tensor> params;
  if (body) {
    // The classifier fc is not part of f: the 1-output head replaces it.
    for (const auto& item : body->named_parameters()) {
      if (item.key().rfind("fc.", 0) != 0) params.push_back(item.value());
    }
    for (const auto& p : head->parameters()) params.push_back(p);
    return params;
  }
  for (const auto& p : script->parameters()) {
    if (p.requires_grad()) params.push_back(p);
  }
  return params;
}

void NtkModel::Impl::to(torch::Dtype dtype) {
  if (body) {
    body->to(dtype);
    head->to(dtype);
  } else {
    script->to(dtype);
  }
}

torch::Dtype NtkModel::Impl::dtype() const {
  return parameters().front().scalar_type();
}

// Built-in networks take a known image shape; a TorchScript model shows
// what it accepts only when run, which probe() does.
void NtkModel::Impl::check_shape(const InputArray& inputs,
                                 const std::string& what) const {
  if (!body) return;
  const std::int64_t want = spec.input_size();
  if (inputs.values.cols() != want) {
    throw InputError(fmt::format(
        "{}: samples of shape [{}] ({} values), the {} takes {}x{}x{} ({})",
        what,
        fmt::join(inputs.sample_shape, ", "),
        inputs.values.cols(),
        architecture_name(spec.architecture),
        spec.image_channels,
        spec.image_height,
        spec.image_width,
        want));
  }
}

std::vector<std::int64_t> NtkModel::Impl::tensor_shape(
    const InputArray& inputs) const {
  if (body) {
    return {spec.image_channels, spec.image_height, spec.image_width};
  }
  return inputs.sample_shape;
}

void NtkModel::Impl::probe(const InputArray& inputs) {
  torch::NoGradGuard no_grad;
  torch::Tensor x = detail::to_tensor(
      inputs.values.topRows(1), tensor_shape(inputs), dtype());
  c10::IValue value;
  try {
    if (body) {
      value = forward(x, nullptr);
      return;
    }
    value = script->forward({x});
  } catch (const c10::Error& e) {
    throw InputError(fmt::format("--model {}: rejects inputs of shape {}: {}",
                                 path,
                                 shape_text(x.sizes()),
                                 error_summary(e.what_without_backtrace())));
  } catch (const std::runtime_error& e) {
    // TorchScript's interpreter throws JITException, not c10::Error.
    throw InputError(fmt::format("--model {}: rejects inputs of shape {}: {}",
                                 path,
                                 shape_text(x.sizes()),
                                 error_summary(e.what())));
  }
  select_output(value, 1);
}

NtkModel::NtkModel(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

NtkModel NtkModel::from_network(const Network& network,
                                std::uint64_t head_seed) {
  // A private copy of the body, so that converting it to float64 never
  // touches the caller's network.
  const NetworkSpec& spec = network.spec();
  auto impl = std::make_shared<Impl>();
  impl->spec = spec;
  impl->body = detail::build_module(spec);
  {
    torch::NoGradGuard no_grad;
    auto source = network.impl().module;
    auto params = source->parameters();
    auto copies = impl->body->parameters();
    for (std::size_t i = 0; i < params.size(); ++i) copies[i].copy_(params[i]);
    auto buffers = source->buffers();
    auto buffer_copies = impl->body->buffers();
    for (std::size_t i = 0; i < buffers.size(); ++i) {
      buffer_copies[i].copy_(buffers[i]);
    }
  }
  impl->body->eval();
  torch::manual_seed(head_seed);
  impl->head = torch::nn::Linear(network.feature_size(), 1);
  impl->description =
      fmt::format("{}-{} width {} with a 1-output head (seed {})",
                  architecture_name(spec.architecture),
                  spec.depth,
                  spec.width,
                  head_seed);
  return NtkModel(impl);
}

NtkModel NtkModel::from_torchscript(const std::string& path, int output_index) {
  auto impl = std::make_shared<Impl>();
  impl->path = path;
  impl->output_index = output_index;
  try {
    // Mapped to the CPU, where rmtlens computes, whatever device the
    // model was saved from.
    impl->script = torch::jit::load(path, torch::Device(torch::kCPU));
  } catch (const c10::Error& e) {
    throw InputError(fmt::format(
        "--model {}: not a TorchScript file this LibTorch ({}) can load: {}",
        path,
        TORCH_VERSION,
        error_summary(e.what_without_backtrace())));
  }
  impl->script->eval();
  if (impl->parameters().empty()) {
    throw InputError(fmt::format(
        "--model {}: has no trainable parameters to differentiate", path));
  }
  impl->description = fmt::format("TorchScript {}", path);
  if (output_index >= 0) {
    impl->description += fmt::format(" output {}", output_index);
  }
  return NtkModel(impl);
}

std::int64_t NtkModel::parameter_count() const {
  std::int64_t count = 0;
  for (const auto& p : impl_->parameters()) count += p.numel();
  return count;
}

bool NtkModel::structured() const {
  return impl_->body != nullptr;
}

std::string NtkModel::description() const {
  return impl_->description;
}

Vector evaluate_model(const NtkModel& model,
                      const InputArray& inputs,
                      NtkPrecision precision) {
  auto& impl = model.impl();
  impl.check_shape(inputs, "inputs");
  impl.to(torch_dtype(precision));
  impl.probe(inputs);
  torch::NoGradGuard no_grad;
  torch::Tensor x =
      detail::to_tensor(inputs.values, impl.tensor_shape(inputs), impl.dtype());
  torch::Tensor f = impl.forward(x, nullptr).to(torch::kFloat64).contiguous();
  return Eigen::Map<const Vector>(f.data_ptr<double>(), f.numel());
}

Vector parameter_vector(const NtkModel& model) {
  std::vector<torch::Tensor> flat;
  for (const auto& p : model.impl().parameters()) {
    flat.push_back(p.detach().reshape({-1}).to(torch::kFloat64));
  }
  torch::Tensor all = torch::cat(flat);
  return Eigen::Map<const Vector>(all.data_ptr<double>(), all.numel());
}

void set_parameter_vector(const NtkModel& model, const Vector& values) {
  torch::NoGradGuard no_grad;
  auto params = model.impl().parameters();
  std::int64_t offset = 0;
  for (auto& p : params) {
    offset += p.numel();
  }
  if (offset != values.size()) {
    throw InputError(
        fmt::format("parameter vector of {} values, the model has {}",
                    values.size(),
                    offset));
  }
  offset = 0;
  for (auto& p : params) {
    torch::Tensor src =
        torch::from_blob(const_cast<double*>(values.data() + offset),
                         {p.numel()},
                         torch::kFloat64);
    p.copy_(src.view(p.sizes()));
    offset += p.numel();
  }
}

Matrix compute_features(const NtkModel& model, const InputArray& inputs) {
  auto& impl = model.impl();
  impl.check_shape(inputs, "inputs");
  torch::NoGradGuard no_grad;
  torch::Tensor x =
      detail::to_tensor(inputs.values, impl.tensor_shape(inputs), impl.dtype());
  if (impl.body) return detail::to_matrix(impl.body->features(x, nullptr));
  if (!impl.script->find_method("features")) {
    throw NotImplemented(fmt::format(
        "features of TorchScript model {}: it has no `features` method "
        "(export one with @torch.jit.export)",
        impl.path));
  }
  torch::Tensor f = impl.script->run_method("features", x).toTensor();
  return detail::to_matrix(f.reshape({f.size(0), -1}));
}

}  // namespace rmtlens
