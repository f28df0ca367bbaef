// rmtlens ntk, features and pretrain: network kernels through LibTorch.
// Every input is loaded and checked and the model is probed before the
// work starts; the outputs are written only once everything is computed.
#ifdef RMTLENS_HAVE_TORCH

#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <limits>
#include <memory>
#include <optional>

#include "commands.hpp"
#include "common.hpp"
#include "network_commands.hpp"
#include "rmtlens/atomic_file.hpp"
#include "rmtlens/npy.hpp"
#include "rmtlens/torch/networks.hpp"
#include "rmtlens/torch/ntk.hpp"
#include "rmtlens/torch/pretrain.hpp"
#ifdef RMTLENS_HAVE_MPI
#include "rmtlens/mpi/gram.hpp"
#include "rmtlens/mpi/npy_io.hpp"
#include "rmtlens/mpi/sweep_command.hpp"
#endif

namespace rmtlens::cli {
namespace {

// Where the network comes from: exactly one of --model, --arch, --weights.
struct ModelFlags {
  std::string model;
  int output_index = -1;
  std::string arch;
  int depth = 20;
  int width = 16;
  std::uint64_t seed = 0;
  std::string weights;
  std::uint64_t head_seed = 0;
};

// What the network sees: .npy inputs or a Fashion-MNIST class range.
struct DataFlags {
  std::string inputs;
  std::string test_inputs;
  std::string input_shape;
  std::string labels;
  std::string test_labels;
  std::string dataset;
  std::string classes = "5-9";
  std::int64_t count = 2000;
  std::int64_t test_count = 1000;
  std::uint64_t data_seed = 0;
};

struct NtkFlags {
  ModelFlags model;
  DataFlags data;
  double memory_budget_mb = NtkOptions{}.memory_budget_mb;
  std::string dtype = "float32";
  std::string method = "auto";
  int batch_size = NtkOptions{}.batch_size;
  int threads = 0;
  std::string out;
  int verbosity = 0;
  // MPI builds: assemble across processes (taken anyway under mpirun with
  // more than one), with this block size.
  bool distributed = false;
  int block_size = 64;
};

void add_model_flags(CLI::App* c, ModelFlags* f) {
  auto* model = c->add_option("--model",
                              f->model,
                              "TorchScript file exported from PyTorch "
                              "(torch.jit.script/trace(...).save)");
  c->add_option("--output-index",
                f->output_index,
                "column of a (batch, k) model output to differentiate");
  auto* arch =
      c->add_option("--arch", f->arch, "built-in architecture: resnet or mlp");
  c->add_option("--depth",
                f->depth,
                "ResNet depth 6k+2 (default 20) or MLP linear layers")
      ->capture_default_str();
  c->add_option(
       "--width", f->width, "ResNet first-stage channels or MLP hidden units")
      ->capture_default_str();
  c->add_option("--seed", f->seed, "random initialisation seed")
      ->capture_default_str();
  auto* weights = c->add_option(
      "--weights", f->weights, "weights written by rmtlens pretrain");
  c->add_option("--head-seed",
                f->head_seed,
                "seed of the 1-output linear head that replaces the "
                "classifier of a built-in network")
      ->capture_default_str();
  model->excludes(arch)->excludes(weights);
  arch->excludes(weights);
}

void add_data_flags(CLI::App* c, DataFlags* f) {
  c->add_option("--inputs", f->inputs, "n x ... .npy of network inputs");
  c->add_option("--test-inputs", f->test_inputs, "m x ... .npy");
  c->add_option("--input-shape",
                f->input_shape,
                "per-sample shape for 2-D inputs, e.g. 1,28,28");
  c->add_option("--labels", f->labels, "labels to copy beside the kernel");
  c->add_option("--test-labels", f->test_labels, "test labels to copy");
  c->add_option("--dataset",
                f->dataset,
                "fashion-mnist: pool from the training split, test set "
                "from the test split");
  c->add_option(
       "--classes", f->classes, "classes of --dataset, relabelled 0..k-1")
      ->capture_default_str();
  c->add_option("--count", f->count, "pool size drawn from --dataset")
      ->capture_default_str();
  c->add_option("--test-count", f->test_count, "test set size (0: none)")
      ->capture_default_str();
  c->add_option("--data-seed", f->data_seed, "seed of the image draw")
      ->capture_default_str();
}

std::vector<std::int64_t> parse_shape(const std::string& text) {
  std::vector<std::int64_t> shape;
  if (text.empty()) return shape;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) {
    try {
      shape.push_back(std::stoll(item));
    } catch (const std::exception&) {
      shape.push_back(0);
    }
    if (shape.back() < 1) {
      throw InputError(fmt::format(
          "--input-shape '{}': expected positive sizes like 1,28,28", text));
    }
  }
  return shape;
}

// Inputs, labels and where they came from.
struct Data {
  InputArray train;
  std::optional<InputArray> test;
  std::vector<std::int64_t> labels;
  std::vector<std::int64_t> test_labels;
  nlohmann::json description;
};

Data load_dataset(const DataFlags& f) {
  if (f.dataset != "fashion-mnist") {
    throw InputError(fmt::format(
        "--dataset '{}': only fashion-mnist is built in (or use --inputs)",
        f.dataset));
  }
  const auto classes = parse_class_list(f.classes, "--classes");
  Data data;
  const ImageTask pool = select_classes(load_fashion_mnist(Split::kTrain),
                                        classes,
                                        f.count,
                                        f.data_seed,
                                        "--count");
  data.train = {pool.images, {1, pool.height, pool.width}};
  data.labels = pool.labels;
  if (f.test_count > 0) {
    const ImageTask test = select_classes(load_fashion_mnist(Split::kTest),
                                          classes,
                                          f.test_count,
                                          f.data_seed,
                                          "--test-count");
    data.test = InputArray{test.images, {1, test.height, test.width}};
    data.test_labels = test.labels;
  }
  data.description = {{"dataset", f.dataset},
                      {"classes", classes},
                      {"pool_split", "train"},
                      {"test_split", "test"},
                      {"count", pool.images.rows()},
                      {"test_count", data.test_labels.size()},
                      {"data_seed", f.data_seed}};
  return data;
}

Data load_data(const DataFlags& f) {
  if (!f.dataset.empty()) {
    if (!f.inputs.empty()) {
      throw InputError("--inputs and --dataset: give one source of inputs");
    }
    return load_dataset(f);
  }
  if (f.inputs.empty()) {
    throw InputError("no inputs: give --inputs X.npy or --dataset");
  }
  const auto shape = parse_shape(f.input_shape);
  Data data;
  data.train = read_input_array(f.inputs, "--inputs", shape);
  data.description = {{"inputs", f.inputs}};
  if (!f.test_inputs.empty()) {
    data.test = read_input_array(f.test_inputs, "--test-inputs", shape);
    data.description["test_inputs"] = f.test_inputs;
  }
  if (!f.labels.empty()) data.labels = read_npy_integers(f.labels);
  if (!f.test_labels.empty())
    data.test_labels = read_npy_integers(f.test_labels);
  return data;
}

// The image shape a built-in network takes from the inputs: (n, C, H, W)
// arrays say it; flat ones of 784 or 3072 values are the two built-in
// image sizes.
void fit_image_shape(const InputArray& inputs, NetworkSpec& spec) {
  const auto& s = inputs.sample_shape;
  if (s.size() == 3) {
    spec.image_channels = s[0];
    spec.image_height = s[1];
    spec.image_width = s[2];
  } else if (s.size() == 1 && s[0] == 3072) {
    spec.image_channels = 3;
    spec.image_height = spec.image_width = 32;
  } else if (s.size() != 1 || s[0] != 784) {
    throw InputError(fmt::format(
        "--inputs: samples of {} values; a built-in network needs C x H x W "
        "images (give --input-shape C,H,W)",
        inputs.values.cols()));
  }
}

struct LoadedModel {
  std::optional<Network> network;
  nlohmann::json description;
};

LoadedModel load_builtin(const ModelFlags& f, const InputArray& inputs) {
  LoadedModel loaded;
  if (!f.weights.empty()) {
    SavedNetwork saved = load_network(f.weights);
    loaded.network = saved.network;
    loaded.description = {{"weights", f.weights},
                          {"pretraining", saved.metadata}};
    return loaded;
  }
  NetworkSpec spec;
  spec.architecture = parse_architecture(f.arch, "--arch");
  spec.depth = f.depth;
  spec.width = f.width;
  fit_image_shape(inputs, spec);
  loaded.network = make_network(spec, f.seed);
  loaded.description = spec_to_json(spec);
  loaded.description["seed"] = f.seed;
  loaded.description["initialisation"] = "random";
  return loaded;
}

NtkModel load_model(const ModelFlags& f,
                    const InputArray& inputs,
                    nlohmann::json* description) {
  if (!f.model.empty()) {
    *description = {{"torchscript", f.model}, {"output_index", f.output_index}};
    return NtkModel::from_torchscript(f.model, f.output_index);
  }
  if (f.arch.empty() && f.weights.empty()) {
    throw InputError(
        "no network: give --model M.pt, --arch NAME or "
        "--weights W");
  }
  LoadedModel loaded = load_builtin(f, inputs);
  *description = loaded.description;
  (*description)["head_seed"] = f.head_seed;
  return NtkModel::from_network(*loaded.network, f.head_seed);
}

void write_labels(const std::string& out, const Data& data) {
  if (!data.labels.empty()) write_npy(out + "/labels.npy", data.labels);
  if (!data.test_labels.empty()) {
    write_npy(out + "/test_labels.npy", data.test_labels);
  }
}

// The gradient passes allocate and free tens of MiB of temporaries per
// batch. glibc hands blocks above its mmap threshold back to the kernel at
// once, so every batch paid the page faults again (perf: a third of the
// eNTK's time in the kernel). Serving them from the heap and keeping up to
// 2 GiB of freed memory reuses the pages: gradients 1.5x faster, peak
// memory unchanged within 5% (ResNet-20, N = 1000).
void keep_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
}

NtkOptions ntk_options(const NtkFlags& f) {
  NtkOptions options;
  options.memory_budget_mb = f.memory_budget_mb;
  options.precision = parse_precision(f.dtype, "--dtype");
  options.method = parse_gradient_method(f.method, "--method");
  options.batch_size = f.batch_size;
  options.validate();
  return options;
}

nlohmann::json ntk_summary(const nlohmann::json& model_description,
                           const Data& data,
                           const NtkFlags& f,
                           const NtkResult& r,
                           double entries) {
  const double total = r.gradient_seconds + r.gram_seconds;
  return {{"model", model_description},
          {"data", data.description},
          {"parameters", r.parameter_count},
          {"method", gradient_method_name(r.method)},
          {"dtype", f.dtype},
          {"chunks", r.chunk_count},
          {"memory_budget_mb", f.memory_budget_mb},
          {"peak_chunk_mb", r.peak_chunk_mb},
          {"seconds",
           {{"gradients", r.gradient_seconds}, {"gram", r.gram_seconds}}},
          {"gram_gflops_per_s",
           r.gram_flops / std::max(r.gram_seconds, 1e-9) / 1e9},
          {"entries_per_s", entries / std::max(total, 1e-9)},
          {"build", build_info()}};
}

#ifdef RMTLENS_HAVE_MPI
InputArray rows_of(const InputArray& inputs, const std::vector<Index>& rows) {
  return {inputs.values(rows, Eigen::all), inputs.sample_shape};
}

// `rmtlens ntk` across MPI processes: every process loads the inputs and
// the network (both small next to the kernel), differentiates its own
// share of the inputs, and the kernels are formed block-cyclically and
// written with MPI-IO, so no process holds a whole kernel.
void run_ntk_distributed(const NtkFlags& f) {
  const bool root = mpi::world_rank() == 0;
  configure_logging(f.verbosity);
  if (!root) spdlog::set_level(spdlog::level::off);
  set_torch_threads(f.threads);
  keep_freed_memory();
  const NtkOptions options = ntk_options(f);

  const Data data = load_data(f.data);
  nlohmann::json model_description;
  const NtkModel model = load_model(f.model, data.train, &model_description);
  const InputArray no_test{Matrix(0, data.train.values.cols()),
                           data.train.sample_shape};
  const InputArray& test = data.test ? *data.test : no_test;
  check_ntk_inputs(model, data.train, &test);

  mpi::ProcessGrid grid(f.block_size);
  mpi::DistributedGram gram(grid,
                            data.train.count(),
                            test.count(),
                            options.precision == NtkPrecision::kFloat32);
  spdlog::info(
      "eNTK of {} ({} parameters) on {} + {} inputs across {} processes "
      "(grid {} x {}, block {}; at most {} inputs differentiated each)",
      model.description(),
      model.parameter_count(),
      data.train.count(),
      test.count(),
      grid.size(),
      grid.rows(),
      grid.cols(),
      grid.block_size(),
      gram.largest_share());

  std::optional<ProgressBar> bar;
  if (root) bar.emplace("ntk");
  NtkResult r = stream_ntk(model,
                           rows_of(data.train, gram.train_rows()),
                           rows_of(test, gram.test_rows()),
                           rows_of(data.train, {0}),
                           {gram.largest_share(), gram.largest_train_share()},
                           options,
                           gram,
                           bar ? bar->callback() : Progress{});
  // The slowest process sets the pace.
  r.gradient_seconds = mpi::max_over_processes(r.gradient_seconds, grid.comm());
  r.gram_seconds = mpi::max_over_processes(r.gram_seconds, grid.comm());
  r.gram_flops = gram.flops();

  if (root) ensure_directory(f.out);
  MPI_Barrier(grid.comm());
  mpi::write_npy(f.out + "/kernel.npy", gram.kernel());
  if (data.test) mpi::write_npy(f.out + "/test_kernel.npy", gram.test_kernel());
  if (!root) return;

  write_labels(f.out, data);
  const double n = data.train.count();
  nlohmann::json summary =
      ntk_summary(model_description, data, f, r, n * n + n * test.count());
  summary["distributed"] = {{"processes", grid.size()},
                            {"grid", {grid.rows(), grid.cols()}},
                            {"block_size", grid.block_size()},
                            {"largest_share", gram.largest_share()}};
  write_json(f.out + "/ntk.json", summary);
  std::printf(
      "wrote %s/kernel.npy (%lld x %lld)%s, %lld parameters, %d processes, "
      "%.1f s\n",
      f.out.c_str(),
      static_cast<long long>(data.train.count()),
      static_cast<long long>(data.train.count()),
      data.test ? " and test_kernel.npy" : "",
      static_cast<long long>(r.parameter_count),
      grid.size(),
      r.gradient_seconds + r.gram_seconds);
}
#endif

void run_ntk(const NtkFlags& f) {
#ifdef RMTLENS_HAVE_MPI
  if (f.distributed || mpi::world_size() > 1) {
    run_on_every_process([&] { run_ntk_distributed(f); });
    return;
  }
#endif
  configure_logging(f.verbosity);
  set_torch_threads(f.threads);
  keep_freed_memory();
  const NtkOptions options = ntk_options(f);

  const Data data = load_data(f.data);
  nlohmann::json model_description;
  const NtkModel model = load_model(f.model, data.train, &model_description);
  spdlog::info("eNTK of {} ({} parameters) on {} + {} inputs",
               model.description(),
               model.parameter_count(),
               data.train.count(),
               data.test ? data.test->count() : 0);

  ProgressBar bar("ntk");
  const NtkResult r = compute_ntk(model,
                                  data.train,
                                  data.test ? &*data.test : nullptr,
                                  options,
                                  bar.callback());
  const double total = r.gradient_seconds + r.gram_seconds;
  const double entries = double(r.kernel.size()) + double(r.test_kernel.size());
  spdlog::info(
      "{} chunk(s), gradients {:.2f} s, J J^T {:.2f} s "
      "({:.1f} GFLOP/s)",
      r.chunk_count,
      r.gradient_seconds,
      r.gram_seconds,
      r.gram_flops / std::max(r.gram_seconds, 1e-9) / 1e9);

  ensure_directory(f.out);
  write_npy(f.out + "/kernel.npy", r.kernel);
  if (data.test) write_npy(f.out + "/test_kernel.npy", r.test_kernel);
  write_labels(f.out, data);
  write_json(f.out + "/ntk.json",
             ntk_summary(model_description, data, f, r, entries));
  std::printf(
      "wrote %s/kernel.npy (%lld x %lld)%s, %lld parameters, "
      "%.1f s\n",
      f.out.c_str(),
      static_cast<long long>(r.kernel.rows()),
      static_cast<long long>(r.kernel.cols()),
      data.test ? " and test_kernel.npy" : "",
      static_cast<long long>(r.parameter_count),
      total);
}

void run_features(const NtkFlags& f) {
  configure_logging(f.verbosity);
  set_torch_threads(f.threads);
  keep_freed_memory();
  const Data data = load_data(f.data);
  nlohmann::json model_description;
  const NtkModel model = load_model(f.model, data.train, &model_description);

  const Matrix features = compute_features(model, data.train);
  const double p = features.cols();
  Matrix test_features;
  if (data.test) test_features = compute_features(model, *data.test);

  // The linear feature kernel F F^T / p of DESIGN section 1.
  ensure_directory(f.out);
  write_npy(f.out + "/features.npy", features);
  write_npy(f.out + "/kernel.npy", features * features.transpose() / p);
  if (data.test) {
    write_npy(f.out + "/test_features.npy", test_features);
    write_npy(f.out + "/test_kernel.npy",
              test_features * features.transpose() / p);
  }
  write_labels(f.out, data);
  write_json(f.out + "/features.json",
             {{"model", model_description},
              {"data", data.description},
              {"feature_size", features.cols()},
              {"build", build_info()}});
  std::printf("wrote %s/features.npy (%lld x %lld) and its linear kernel\n",
              f.out.c_str(),
              static_cast<long long>(features.rows()),
              static_cast<long long>(features.cols()));
}

CLI::App* add_network_kernel_command(CLI::App& app,
                                     const std::string& name,
                                     const std::string& help,
                                     std::shared_ptr<NtkFlags> flags) {
  CLI::App* c = app.add_subcommand(name, help);
  add_model_flags(c, &flags->model);
  add_data_flags(c, &flags->data);
  c->add_option("--threads", flags->threads, "LibTorch threads (0: all cores)")
      ->capture_default_str();
  c->add_option("--out", flags->out, "output directory")->required();
  c->add_flag("-v,--verbose", flags->verbosity, "more log lines (-vv: debug)");
  return c;
}

}  // namespace

void add_ntk_command(CLI::App& app) {
  auto flags = std::make_shared<NtkFlags>();
  CLI::App* c = add_network_kernel_command(
      app, "ntk", network_command_help("ntk"), flags);
  c->add_option("--memory-budget",
                flags->memory_budget_mb,
                "MiB for the Jacobian chunk and working memory (the kernels "
                "come on top)")
      ->capture_default_str();
  c->add_option(
       "--dtype", flags->dtype, "float32 or float64 gradients and accumulation")
      ->capture_default_str();
  c->add_option("--method",
                flags->method,
                "auto, structured (built-in networks) or per-sample")
      ->capture_default_str();
  c->add_option("--batch-size",
                flags->batch_size,
                "inputs per forward/backward pass (structured)")
      ->capture_default_str();
#ifdef RMTLENS_HAVE_MPI
  c->add_flag("--distributed",
              flags->distributed,
              "assemble across MPI processes even on one (done whenever "
              "mpirun starts more than one); kernels written with MPI-IO");
  c->add_option("--block-size",
                flags->block_size,
                "block size nb of the block-cyclic layout (1-4096)")
      ->capture_default_str();
#endif
  c->callback([flags] { run_ntk(*flags); });
}

void add_features_command(CLI::App& app) {
  auto flags = std::make_shared<NtkFlags>();
  CLI::App* c = add_network_kernel_command(
      app, "features", network_command_help("features"), flags);
  c->callback([flags] { run_features(*flags); });
}

namespace {

struct PretrainFlags {
  std::string dataset = "fashion-mnist";
  std::string classes = "0-4";
  std::string arch = "resnet";
  int depth = 20;
  int width = 16;
  std::int64_t train_count = 15000;
  std::int64_t heldout_count = 0;
  PretrainOptions options;
  int threads = 0;
  std::string out;
  int verbosity = 0;
};

void run_pretrain(const PretrainFlags& f) {
  configure_logging(f.verbosity);
  set_torch_threads(f.threads);
  f.options.validate();
  if (f.dataset != "fashion-mnist") {
    throw InputError(fmt::format(
        "--dataset '{}': only fashion-mnist is built in", f.dataset));
  }
  NetworkSpec spec;
  spec.architecture = parse_architecture(f.arch, "--arch");
  spec.depth = f.depth;
  spec.width = f.width;
  const auto classes = parse_class_list(f.classes, "--classes");
  spec.classes = classes.size();
  spec.validate();

  // Training images from the training split, held-out accuracy on the
  // test split's images of the same classes.
  const ImageTask train = select_classes(load_fashion_mnist(Split::kTrain),
                                         classes,
                                         f.train_count,
                                         f.options.seed,
                                         "--train-count");
  const ImageTask heldout = select_classes(load_fashion_mnist(Split::kTest),
                                           classes,
                                           f.heldout_count,
                                           f.options.seed,
                                           "--heldout-count");
  spdlog::info("pretraining {}-{} width {} on {} images of classes {}",
               f.arch,
               f.depth,
               f.width,
               train.images.rows(),
               f.classes);

  ProgressBar bar("pretrain");
  const PretrainResult r =
      pretrain(spec, train, heldout, f.options, bar.callback());
  nlohmann::json meta = spec_to_json(spec);
  meta["seed"] = f.options.seed;
  meta["data"] = {{"dataset", f.dataset},
                  {"split", "train"},
                  {"classes", classes},
                  {"images", train.images.rows()}};
  meta["epochs"] = f.options.epochs;
  meta["batch_size"] = f.options.batch_size;
  meta["learning_rate"] = f.options.learning_rate;
  meta["weight_decay"] = f.options.weight_decay;
  meta["heldout_accuracy"] = r.heldout_accuracy;
  meta["heldout_images"] = heldout.images.rows();
  meta["final_train_loss"] = r.final_train_loss;
  meta["seconds"] = r.seconds;
  meta["rmtlens_version"] = RMTLENS_VERSION;
  save_network(f.out, r.network, meta);
  std::printf(
      "wrote %s: held-out accuracy %.4f on %lld test-split images, "
      "%d epoch(s), %.0f s\n",
      f.out.c_str(),
      r.heldout_accuracy,
      static_cast<long long>(heldout.images.rows()),
      f.options.epochs,
      r.seconds);
}

}  // namespace

void add_pretrain_command(CLI::App& app) {
  auto f = std::make_shared<PretrainFlags>();
  CLI::App* c =
      app.add_subcommand("pretrain", network_command_help("pretrain"));
  c->add_option("--dataset", f->dataset, "fashion-mnist")
      ->capture_default_str();
  c->add_option("--classes", f->classes, "source classes, e.g. 0-4")
      ->capture_default_str();
  c->add_option("--arch", f->arch, "resnet or mlp")->capture_default_str();
  c->add_option("--depth", f->depth, "ResNet 6k+2 or MLP linear layers")
      ->capture_default_str();
  c->add_option("--width", f->width, "ResNet channels or MLP units")
      ->capture_default_str();
  c->add_option("--train-count",
                f->train_count,
                "training images drawn from the class range (0: all)")
      ->capture_default_str();
  c->add_option("--heldout-count",
                f->heldout_count,
                "test-split images for the accuracy (0: all)")
      ->capture_default_str();
  c->add_option("--epochs", f->options.epochs)->capture_default_str();
  c->add_option("--batch-size", f->options.batch_size)->capture_default_str();
  c->add_option("--learning-rate",
                f->options.learning_rate,
                "peak SGD rate (warm-up, then cosine decay)")
      ->capture_default_str();
  c->add_option("--weight-decay", f->options.weight_decay)
      ->capture_default_str();
  c->add_option("--seed", f->options.seed, "initialisation and batch order")
      ->capture_default_str();
  c->add_option("--threads", f->threads, "LibTorch threads (0: all cores)")
      ->capture_default_str();
  c->add_option("--out", f->out, "weights file to write")->required();
  c->add_flag("-v,--verbose", f->verbosity, "more log lines (-vv: debug)");
  c->callback([f] { run_pretrain(*f); });
}

}  // namespace rmtlens::cli

#endif  // RMTLENS_HAVE_TORCH
