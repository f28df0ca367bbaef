#ifdef RMTLENS_HAVE_TORCH

#include "study_networks.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "rmtlens/atomic_file.hpp"
#include "rmtlens/idx.hpp"
#include "rmtlens/npy.hpp"
#include "rmtlens/torch/networks.hpp"
#include "rmtlens/torch/ntk.hpp"
#include "rmtlens/torch/pretrain.hpp"

namespace rmtlens::cli {

namespace {

// FNV-1a: a stable 64-bit digest of a cache key, the same on every run
// and platform (std::hash is not).
std::string digest(const std::string& key) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

std::vector<std::int64_t> head(const std::vector<std::int64_t>& v,
                               std::int64_t n) {
  return {v.begin(), v.begin() + std::min<std::int64_t>(n, v.size())};
}

// The first n images of a task; n <= 0 takes all of them (the plan's
// convention for "the whole test split").
std::int64_t resolved_count(const ImageTask& task, std::int64_t n) {
  const Index all = task.images.rows();
  return n > 0 ? std::min<Index>(n, all) : all;
}

InputArray as_inputs(const ImageTask& task, std::int64_t n) {
  InputArray a;
  a.values = task.images.topRows(resolved_count(task, n));
  a.sample_shape = {1, task.height, task.width};
  return a;
}

NetworkSpec study_spec(const StudyPlan& plan) {
  NetworkSpec spec;
  spec.depth = plan.network_depth;
  spec.width = plan.network_width;
  spec.classes = static_cast<int>(plan.source_classes.size());
  return spec;
}

std::string network_key(const StudyPlan& plan) {
  return fmt::format("resnet-d{}-w{}-seed{}-src{}-img{}-ep{}",
                     plan.network_depth,
                     plan.network_width,
                     plan.seed,
                     fmt::join(plan.source_classes, ","),
                     plan.pretrain_images,
                     plan.pretrain_epochs);
}

// The pretrained network: trained on the source classes, or read back
// from the cache when the same plan trained it before.
Network pretrained_network(const StudyData& data,
                           const StudyPlan& plan,
                           const std::string& cache_dir,
                           ProgressBar& bar,
                           nlohmann::json& provenance) {
  const std::string path =
      cache_dir + "/pretrained-" + digest(network_key(plan)) + ".pt";
  if (std::filesystem::exists(path)) {
    bar.update("reusing cached pretrained network", 0.0);
    SavedNetwork saved = load_network(path);
    provenance = saved.metadata;
    return saved.network;
  }

  PretrainOptions options;
  options.epochs = plan.pretrain_epochs;
  options.seed = plan.seed;
  const PretrainResult r = pretrain(study_spec(plan),
                                    data.source,
                                    data.source_heldout,
                                    options,
                                    bar.callback());
  provenance = spec_to_json(study_spec(plan));
  provenance["seed"] = plan.seed;
  provenance["data"] = "Fashion-MNIST train split, classes " +
                       fmt::format("{}", fmt::join(plan.source_classes, ","));
  provenance["images"] = data.source.images.rows();
  provenance["epochs"] = plan.pretrain_epochs;
  provenance["heldout_accuracy"] = r.heldout_accuracy;
  provenance["seconds"] = r.seconds;
  save_network(path, r.network, provenance);
  spdlog::info("pretrained: held-out accuracy {:.3f} on the source classes",
               r.heldout_accuracy);
  return r.network;
}

// A kernel pair from the cache, or computed by `make` and stored.
template <typename Make>
void cached_pair(const std::string& cache_dir,
                 const std::string& key,
                 StudyKernel& rep,
                 Make make) {
  const std::string stem = cache_dir + "/" + rep.name + "-" + digest(key);
  if (std::filesystem::exists(stem + ".test.npy")) {
    rep.kernel = read_npy_matrix(stem + ".npy");
    rep.test_kernel = read_npy_matrix(stem + ".test.npy");
    return;
  }
  make(rep);
  write_npy(stem + ".npy", rep.kernel);
  write_npy(stem + ".test.npy", rep.test_kernel);
}

StudyKernel ntk_representation(const Network& net,
                               const char* which,
                               const StudyData& data,
                               const StudyPlan& plan,
                               const std::string& cache_dir,
                               const std::string& net_key,
                               ProgressBar& bar) {
  StudyKernel rep;
  rep.name = std::string("ntk-") + which;
  rep.label = std::string("eNTK, ") + which + " ResNet";
  const std::string key =
      fmt::format("{}|{}|pool{}|test{}|seed{}",
                  rep.name,
                  net_key,
                  plan.network_pool,
                  resolved_count(data.test, plan.network_test),
                  plan.seed);
  cached_pair(cache_dir, key, rep, [&](StudyKernel& r) {
    bar.update("eNTK of the " + std::string(which) + " network", 0.0);
    const NtkModel model = NtkModel::from_network(net, plan.seed);
    const InputArray train = as_inputs(data.pool, plan.network_pool);
    const InputArray test = as_inputs(data.test, plan.network_test);
    NtkResult k =
        compute_ntk(model, train, &test, NtkOptions{}, bar.callback());
    r.kernel = std::move(k.kernel);
    r.test_kernel = std::move(k.test_kernel);
  });
  rep.provenance = {{"kernel", "empirical NTK, 1-output head"},
                    {"network", net_key}};
  return rep;
}

StudyKernel feature_representation(const Network& net,
                                   const char* which,
                                   const StudyData& data,
                                   const StudyPlan& plan,
                                   const std::string& cache_dir,
                                   const std::string& net_key,
                                   ProgressBar& bar) {
  StudyKernel rep;
  rep.name = std::string("features-") + which;
  rep.label = std::string("penultimate features, ") + which + " ResNet";
  const std::string key =
      fmt::format("{}|{}|pool{}|test{}",
                  rep.name,
                  net_key,
                  plan.network_pool,
                  resolved_count(data.test, plan.network_test));
  cached_pair(cache_dir, key, rep, [&](StudyKernel& r) {
    bar.update("features of the " + std::string(which) + " network", 0.0);
    const Matrix f =
        net.features(as_inputs(data.pool, plan.network_pool).values);
    const Matrix ft =
        net.features(as_inputs(data.test, plan.network_test).values);
    const double p = static_cast<double>(f.cols());
    r.kernel = f * f.transpose() / p;
    r.test_kernel = ft * f.transpose() / p;
  });
  rep.provenance = {{"kernel", "linear on penultimate features, F F^T / p"},
                    {"network", net_key}};
  return rep;
}

}  // namespace

std::vector<std::int64_t> StudyData::pool_labels(std::int64_t n) const {
  return head(pool.labels, n);
}

std::vector<std::int64_t> StudyData::test_labels(std::int64_t m) const {
  return head(test.labels, m);
}

StudyData load_study_data(const StudyPlan& plan, ProgressBar& bar) {
  bar.update("loading Fashion-MNIST", 0.0);
  const ImageDataset train = load_fashion_mnist(Split::kTrain);
  const ImageDataset test = load_fashion_mnist(Split::kTest);

  StudyData d;
  d.pool = select_classes(
      train, plan.target_classes, plan.pool, plan.seed, "training pool");
  d.test = select_classes(
      test, plan.target_classes, plan.test, plan.seed, "test set");
  if (plan.networks) {
    d.source = select_classes(train,
                              plan.source_classes,
                              plan.pretrain_images,
                              plan.seed,
                              "pretraining set");
    d.source_heldout = select_classes(
        test, plan.source_classes, 0, plan.seed, "pretraining held-out set");
  }
  d.description = {
      {"dataset", "Fashion-MNIST (" + fashion_mnist_directory() + ")"},
      {"target_classes", plan.target_classes},
      {"source_classes", plan.source_classes},
      {"pool", d.pool.images.rows()},
      {"test", d.test.images.rows()}};
  return d;
}

std::vector<StudyKernel> network_representations(const StudyData& data,
                                                 const StudyPlan& plan,
                                                 const std::string& cache_dir,
                                                 ProgressBar& bar) {
  ensure_directory(cache_dir);
  set_torch_threads(0);
  nlohmann::json pretrained_meta;
  const Network pretrained =
      pretrained_network(data, plan, cache_dir, bar, pretrained_meta);
  const Network random = make_network(study_spec(plan), plan.seed);
  const std::string key = network_key(plan);

  std::vector<StudyKernel> reps;
  reps.push_back(ntk_representation(
      pretrained, "pretrained", data, plan, cache_dir, key, bar));
  reps.push_back(
      ntk_representation(random, "random", data, plan, cache_dir, key, bar));
  reps.push_back(feature_representation(
      pretrained, "pretrained", data, plan, cache_dir, key, bar));
  reps.push_back(feature_representation(
      random, "random", data, plan, cache_dir, key, bar));
  reps[0].provenance["pretraining"] = pretrained_meta;
  return reps;
}

}  // namespace rmtlens::cli

#endif  // RMTLENS_HAVE_TORCH
