// Built-in network architectures for the network kernels: a CIFAR-style
// ResNet (He et al. 2016, section 4.2) and a plain MLP, with seeded random
// initialisation and atomic save/load of weights plus metadata. The header
// is free of LibTorch includes so that callers compile quickly; the modules
// live behind Network's opaque implementation.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "rmtlens/types.hpp"

namespace rmtlens {

enum class Architecture { kResNet, kMlp };

// "resnet" or "mlp"; throws InputError naming `flag` otherwise.
Architecture parse_architecture(const std::string& name,
                                const std::string& flag);
std::string architecture_name(Architecture architecture);

// Shape and size of a built-in network. The ResNet has three stages of
// (depth - 2) / 6 basic blocks with width, 2 width and 4 width channels,
// strides 1, 2, 2, 1x1 projection shortcuts where the shape changes, global
// average pooling and a linear classifier. The MLP has depth linear layers
// (depth - 1 hidden layers of `width` units, ReLU) on the flattened image.
struct NetworkSpec {
  Architecture architecture = Architecture::kResNet;
  // ResNet: 6k + 2 with k >= 1 (8, 14, 20, 32, ...); 20 is ResNet-20.
  // MLP: number of linear layers, >= 2.
  int depth = 20;
  // ResNet: channels of the first stage (16 is the CIFAR ResNet).
  // MLP: hidden units. Range 1-4096.
  int width = 16;
  // Image shape C x H x W. The ResNet is made for 1x28x28 and 3x32x32 but
  // takes any H, W >= 4; inputs are flattened row-major (C, H, W).
  int image_channels = 1;
  int image_height = 28;
  int image_width = 28;
  // Outputs of the classifier head, >= 1.
  int classes = 10;

  std::int64_t input_size() const;
  void validate() const;
};

// A built-in network with its parameters. Copies share the parameters.
class Network {
 public:
  struct Impl;

  explicit Network(std::shared_ptr<Impl> impl);
  const NetworkSpec& spec() const;

  // Every trainable scalar, classifier head included.
  std::int64_t parameter_count() const;
  // Length of the penultimate representation (4 width for the ResNet,
  // width for the MLP).
  std::int64_t feature_size() const;

  // Penultimate-layer features, BatchNorm in evaluation mode.
  // inputs: n x input_size() (one flattened image per row). Returns
  // n x feature_size().
  Matrix features(const Matrix& inputs) const;
  // Classifier outputs, n x classes.
  Matrix logits(const Matrix& inputs) const;

  Impl& impl() const { return *impl_; }

 private:
  std::shared_ptr<Impl> impl_;
};

// A network with PyTorch's default initialisation drawn from `seed`
// (Kaiming-uniform weights, BatchNorm scale 1, shift 0, running statistics
// 0 and 1). The same spec and seed give the same parameters.
Network make_network(const NetworkSpec& spec, std::uint64_t seed);

// The metadata saved beside the weights: the spec as JSON fields
// (architecture, depth, width, image shape, classes) plus whatever the
// caller adds (seed, data, epochs, accuracy).
nlohmann::json spec_to_json(const NetworkSpec& spec);
NetworkSpec spec_from_json(const nlohmann::json& meta,
                           const std::string& source);

// Writes parameters, BatchNorm statistics and `metadata` (which must hold
// the spec fields of spec_to_json) to one file, atomically. The file is a
// LibTorch archive; Python reads it with torch.jit.load.
void save_network(const std::string& path,
                  const Network& network,
                  const nlohmann::json& metadata);

struct SavedNetwork {
  Network network;
  nlohmann::json metadata;
};

// Reads a file written by save_network. Throws InputError naming the file
// when it is missing, not an rmtlens weights file, or its tensors do not
// match the spec in its metadata.
SavedNetwork load_network(const std::string& path);

// Sets the number of threads LibTorch uses for one operation (0: every
// core the machine reports). LibTorch otherwise starts with one here.
void set_torch_threads(int threads);

}  // namespace rmtlens

// Example:
//   rmtlens::NetworkSpec spec;            // ResNet-20, 1x28x28, 10 classes
//   auto net = rmtlens::make_network(spec, /*seed=*/0);
//   rmtlens::Matrix f = net.features(images);   // n x 64
//   rmtlens::save_network("w.pt", net, rmtlens::spec_to_json(spec));
