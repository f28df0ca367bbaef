// Built-in networks: seeded initialisation, shapes, save and load.
#include "rmtlens/torch/networks.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tiny_tasks.hpp"

namespace rmtlens {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + std::to_string(::getpid())))
      .string();
}

// Invariant: the same spec and seed give the same parameters.
TEST(Networks, SeedFixesInitialisation) {
  const NetworkSpec spec = testing::tiny_spec(Architecture::kResNet);
  const InputArray x = testing::tiny_inputs(3, 1);
  const Matrix a = make_network(spec, 7).logits(x.values);
  const Matrix b = make_network(spec, 7).logits(x.values);
  const Matrix c = make_network(spec, 8).logits(x.values);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(Networks, ShapesFollowTheSpec) {
  NetworkSpec resnet;  // ResNet-20 on 1x28x28
  const Network net = make_network(resnet, 0);
  EXPECT_EQ(net.feature_size(), 64);
  EXPECT_EQ(net.features(Matrix::Zero(2, 784)).cols(), 64);
  EXPECT_EQ(net.logits(Matrix::Zero(2, 784)).cols(), 10);

  NetworkSpec mlp;
  mlp.architecture = Architecture::kMlp;
  mlp.depth = 3;
  mlp.width = 32;
  mlp.image_channels = 3;
  mlp.image_height = mlp.image_width = 32;
  // 3072*32+32 + 32*32+32 + 32*10+10 parameters.
  EXPECT_EQ(make_network(mlp, 0).parameter_count(),
            3072 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10);
}

TEST(Networks, InvalidDepthIsRefused) {
  NetworkSpec spec;
  spec.depth = 21;
  try {
    spec.validate();
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "--depth 21: a ResNet has depth 6k + 2 with k >= 1 (8, 14, "
                 "20, ...)");
  }
}

// Invariant: a saved network loads back with identical outputs,
// BatchNorm statistics included, and its metadata intact.
TEST(Networks, SaveLoadRoundTrip) {
  const Network net = testing::trained_tiny_network(Architecture::kResNet);
  const std::string path = temp_path("rmtlens_weights_");
  nlohmann::json meta = spec_to_json(net.spec());
  meta["epochs"] = 1;
  save_network(path, net, meta);

  const SavedNetwork loaded = load_network(path);
  const InputArray x = testing::tiny_inputs(4, 2);
  EXPECT_EQ(loaded.network.logits(x.values), net.logits(x.values));
  EXPECT_EQ(loaded.metadata.at("epochs"), 1);
  std::filesystem::remove(path);
}

TEST(Networks, LoadingAnotherFileIsRefused) {
  const std::string path = temp_path("rmtlens_not_weights_");
  std::ofstream(path) << "hello";
  EXPECT_THROW(load_network(path), InputError);
  EXPECT_THROW(load_network(path + ".missing"), InputError);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace rmtlens
