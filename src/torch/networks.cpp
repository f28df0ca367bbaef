// Built-in ResNet and MLP modules, seeded initialisation, save and load.
#include "rmtlens/torch/networks.hpp"

#include <fmt/format.h>

#include <sstream>
#include <thread>

#include "modules.hpp"
#include "rmtlens/atomic_file.hpp"

namespace rmtlens {
namespace detail {

torch::Tensor run_conv(torch::nn::Conv2d& conv,
                       const torch::Tensor& x,
                       Tape* tape) {
  torch::Tensor y = conv->forward(x);
  if (tape) tape->push_back({LayerKind::kConv, conv.get(), x.detach(), y});
  return y;
}

torch::Tensor run_batch_norm(torch::nn::BatchNorm2d& bn,
                             const torch::Tensor& x,
                             Tape* tape) {
  torch::Tensor y = bn->forward(x);
  if (tape) tape->push_back({LayerKind::kBatchNorm, bn.get(), x.detach(), y});
  return y;
}

torch::Tensor run_linear(torch::nn::Linear& linear,
                         const torch::Tensor& x,
                         Tape* tape) {
  torch::Tensor y = linear->forward(x);
  if (tape) {
    tape->push_back({LayerKind::kLinear, linear.get(), x.detach(), y});
  }
  return y;
}

namespace {

torch::nn::Conv2d conv3x3(int in, int out, int stride) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3)
                               .stride(stride)
                               .padding(1)
                               .bias(false));
}

// Two 3x3 convolutions with BatchNorm and a shortcut: identity, or a 1x1
// projection with BatchNorm where the shape changes (option B of He et
// al. 2016), which keeps every parameter in a layer the tape knows.
class BasicBlock : public torch::nn::Module {
 public:
  BasicBlock(int in, int out, int stride) {
    conv1 = register_module("conv1", conv3x3(in, out, stride));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(out));
    conv2 = register_module("conv2", conv3x3(out, out, 1));
    bn2 = register_module("bn2", torch::nn::BatchNorm2d(out));
    if (stride != 1 || in != out) {
      auto options = torch::nn::Conv2dOptions(in, out, 1).stride(stride);
      proj = register_module("proj", torch::nn::Conv2d(options.bias(false)));
      proj_bn = register_module("proj_bn", torch::nn::BatchNorm2d(out));
    }
  }

  torch::Tensor forward(const torch::Tensor& x, Tape* tape) {
    torch::Tensor out = run_batch_norm(bn1, run_conv(conv1, x, tape), tape);
    out = run_batch_norm(bn2, run_conv(conv2, out.relu(), tape), tape);
    torch::Tensor shortcut = x;
    if (proj) shortcut = run_batch_norm(proj_bn, run_conv(proj, x, tape), tape);
    return (out + shortcut).relu();
  }

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, proj{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, proj_bn{nullptr};
};

class ResNet : public BuiltinNet {
 public:
  explicit ResNet(const NetworkSpec& spec) : width_(spec.width) {
    stem = register_module("stem", conv3x3(spec.image_channels, width_, 1));
    stem_bn = register_module("stem_bn", torch::nn::BatchNorm2d(width_));
    add_stages((spec.depth - 2) / 6);
    fc = register_module("fc", torch::nn::Linear(4 * width_, spec.classes));
  }

  torch::Tensor features(const torch::Tensor& x, Tape* tape) override {
    torch::Tensor out =
        run_batch_norm(stem_bn, run_conv(stem, x, tape), tape).relu();
    for (auto& block : blocks_) out = block->forward(out, tape);
    return out.mean({2, 3});
  }

  std::int64_t feature_size() const override { return 4 * width_; }

 private:
  // Three stages of `blocks` blocks; the first block of stages 2 and 3
  // halves the resolution and doubles the channels.
  void add_stages(int blocks) {
    int in = width_;
    for (int stage = 0; stage < 3; ++stage) {
      const int out = width_ << stage;
      for (int b = 0; b < blocks; ++b) {
        const int stride = (stage > 0 && b == 0) ? 2 : 1;
        auto name = fmt::format("s{}b{}", stage + 1, b);
        blocks_.push_back(register_module(
            name, std::make_shared<BasicBlock>(in, out, stride)));
        in = out;
      }
    }
  }

  int width_;
  torch::nn::Conv2d stem{nullptr};
  torch::nn::BatchNorm2d stem_bn{nullptr};
  std::vector<std::shared_ptr<BasicBlock>> blocks_;
};

class Mlp : public BuiltinNet {
 public:
  explicit Mlp(const NetworkSpec& spec) : width_(spec.width) {
    std::int64_t in = spec.input_size();
    for (int i = 0; i + 1 < spec.depth; ++i) {
      auto name = fmt::format("hidden{}", i);
      hidden_.push_back(
          register_module(name, torch::nn::Linear(in, spec.width)));
      in = spec.width;
    }
    fc = register_module("fc", torch::nn::Linear(in, spec.classes));
  }

  torch::Tensor features(const torch::Tensor& x, Tape* tape) override {
    torch::Tensor out = x.flatten(1);
    for (auto& layer : hidden_) out = run_linear(layer, out, tape).relu();
    return out;
  }

  std::int64_t feature_size() const override { return width_; }

 private:
  int width_;
  std::vector<torch::nn::Linear> hidden_;
};

}  // namespace

std::shared_ptr<BuiltinNet> build_module(const NetworkSpec& spec) {
  if (spec.architecture == Architecture::kResNet) {
    return std::make_shared<ResNet>(spec);
  }
  return std::make_shared<Mlp>(spec);
}

torch::Tensor to_tensor(const Matrix& rows,
                        const std::vector<std::int64_t>& sample_shape,
                        torch::Dtype dtype) {
  // Eigen stores columns; the transpose of a column-major n x d block is
  // the row-major n x d tensor the network reads.
  const std::int64_t n = rows.rows();
  const std::int64_t d = rows.cols();
  torch::Tensor t = torch::from_blob(
      const_cast<double*>(rows.data()), {d, n}, torch::kFloat64);
  std::vector<std::int64_t> shape{n};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  return t.t().to(dtype).contiguous().view(shape);
}

Matrix to_matrix(const torch::Tensor& t) {
  torch::Tensor d = t.detach().to(torch::kFloat64).contiguous();
  using RowMajor =
      Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  return Eigen::Map<const RowMajor>(d.data_ptr<double>(), d.size(0), d.size(1));
}

}  // namespace detail

Architecture parse_architecture(const std::string& name,
                                const std::string& flag) {
  if (name == "resnet") return Architecture::kResNet;
  if (name == "mlp") return Architecture::kMlp;
  throw InputError(
      fmt::format("{} '{}': unknown architecture (resnet, mlp)", flag, name));
}

std::string architecture_name(Architecture architecture) {
  return architecture == Architecture::kResNet ? "resnet" : "mlp";
}

std::int64_t NetworkSpec::input_size() const {
  return std::int64_t{image_channels} * image_height * image_width;
}

void NetworkSpec::validate() const {
  if (architecture == Architecture::kResNet &&
      (depth < 8 || (depth - 2) % 6 != 0)) {
    throw InputError(fmt::format(
        "--depth {}: a ResNet has depth 6k + 2 with k >= 1 (8, 14, 20, ...)",
        depth));
  }
  if (architecture == Architecture::kMlp && (depth < 2 || depth > 64)) {
    throw InputError(
        fmt::format("--depth {}: an MLP has 2 to 64 linear layers", depth));
  }
  if (width < 1 || width > 4096) {
    throw InputError(fmt::format("--width {}: must be in 1-4096", width));
  }
  if (image_channels < 1 || image_height < 4 || image_width < 4) {
    throw InputError(fmt::format(
        "image shape {}x{}x{}: needs >= 1 channel and height, width >= 4",
        image_channels,
        image_height,
        image_width));
  }
  if (classes < 1) {
    throw InputError(fmt::format("classes {}: must be >= 1", classes));
  }
}

Network::Network(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

const NetworkSpec& Network::spec() const {
  return impl_->spec;
}

std::int64_t Network::parameter_count() const {
  std::int64_t count = 0;
  for (const auto& p : impl_->module->parameters()) count += p.numel();
  return count;
}

std::int64_t Network::feature_size() const {
  return impl_->module->feature_size();
}

Matrix Network::features(const Matrix& inputs) const {
  const NetworkSpec& s = impl_->spec;
  torch::NoGradGuard no_grad;
  impl_->module->eval();
  auto dtype = impl_->module->fc->weight.scalar_type();
  torch::Tensor x = detail::to_tensor(
      inputs, {s.image_channels, s.image_height, s.image_width}, dtype);
  return detail::to_matrix(impl_->module->features(x, nullptr));
}

Matrix Network::logits(const Matrix& inputs) const {
  const NetworkSpec& s = impl_->spec;
  torch::NoGradGuard no_grad;
  impl_->module->eval();
  auto dtype = impl_->module->fc->weight.scalar_type();
  torch::Tensor x = detail::to_tensor(
      inputs, {s.image_channels, s.image_height, s.image_width}, dtype);
  return detail::to_matrix(
      impl_->module->fc->forward(impl_->module->features(x, nullptr)));
}

Network make_network(const NetworkSpec& spec, std::uint64_t seed) {
  spec.validate();
  // LibTorch's initialisers draw from the global generator; seeding it
  // right before construction fixes every parameter.
  torch::manual_seed(seed);
  auto impl = std::make_shared<Network::Impl>();
  impl->spec = spec;
  impl->module = detail::build_module(spec);
  impl->module->eval();
  return Network(impl);
}

nlohmann::json spec_to_json(const NetworkSpec& spec) {
  return {{"architecture", architecture_name(spec.architecture)},
          {"depth", spec.depth},
          {"width", spec.width},
          {"image_shape",
           {spec.image_channels, spec.image_height, spec.image_width}},
          {"classes", spec.classes}};
}

NetworkSpec spec_from_json(const nlohmann::json& meta,
                           const std::string& source) {
  try {
    NetworkSpec spec;
    spec.architecture =
        parse_architecture(meta.at("architecture").get<std::string>(), source);
    spec.depth = meta.at("depth").get<int>();
    spec.width = meta.at("width").get<int>();
    spec.image_channels = meta.at("image_shape").at(0).get<int>();
    spec.image_height = meta.at("image_shape").at(1).get<int>();
    spec.image_width = meta.at("image_shape").at(2).get<int>();
    spec.classes = meta.at("classes").get<int>();
    spec.validate();
    return spec;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format(
        "{}: metadata lacks the network spec ({})", source, e.what()));
  }
}

namespace {

constexpr const char* kMetadataKey = "rmtlens_metadata";

}  // namespace

void save_network(const std::string& path,
                  const Network& network,
                  const nlohmann::json& metadata) {
  torch::serialize::OutputArchive archive;
  network.impl().module->save(archive);
  archive.write(kMetadataKey, c10::IValue(metadata.dump()));
  write_atomically(path, [&](std::ostream& out) { archive.save_to(out); });
}

SavedNetwork load_network(const std::string& path) {
  torch::serialize::InputArchive archive;
  c10::IValue text;
  try {
    archive.load_from(path);
    archive.read(kMetadataKey, text);
  } catch (const c10::Error& e) {
    throw InputError(fmt::format(
        "--weights {}: not an rmtlens weights file (written by rmtlens "
        "pretrain)",
        path));
  }
  nlohmann::json metadata = nlohmann::json::parse(text.toStringRef());
  NetworkSpec spec = spec_from_json(metadata, "--weights " + path);
  Network network = make_network(spec, 0);
  try {
    network.impl().module->load(archive);
  } catch (const c10::Error& e) {
    throw InputError(
        fmt::format("--weights {}: tensors do not match the {} in its metadata",
                    path,
                    architecture_name(spec.architecture)));
  }
  network.impl().module->eval();
  return {network, metadata};
}

void set_torch_threads(int threads) {
  if (threads <= 0) {
    threads =
        static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  torch::set_num_threads(threads);
}

}  // namespace rmtlens
