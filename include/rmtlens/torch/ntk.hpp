// Empirical neural tangent kernels K(x, x') = grad_w f(x) . grad_w f(x')
// of a network with one scalar output f, and penultimate-layer features.
// The kernel is assembled in parameter chunks: for each chunk the
// (n + m) x p_chunk block of per-sample gradients is formed and
// K += J J^T, K* += J* J^T are single BLAS-3 calls (SYRK, GEMM), so the
// whole Jacobian never has to be in memory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rmtlens/gram_sink.hpp"
#include "rmtlens/sweep.hpp"
#include "rmtlens/torch/networks.hpp"
#include "rmtlens/types.hpp"

namespace rmtlens {

// Network inputs: one sample per row of `values` (n x d, flattened
// row-major) and the shape of one sample (product d), e.g. {1, 28, 28}.
struct InputArray {
  Matrix values;
  std::vector<std::int64_t> sample_shape;

  std::int64_t count() const { return values.rows(); }
};

// Reads an .npy of shape (n, ...) of floats or integers. A 2-D array
// (n, d) has sample shape {d} unless `sample_shape` is given (its product
// must be d). Throws InputError naming `flag` and the file.
InputArray read_input_array(const std::string& path,
                            const std::string& flag,
                            const std::vector<std::int64_t>& sample_shape);

// What the kernel is taken of.
class NtkModel {
 public:
  struct Impl;

  // A built-in network whose classifier head is replaced by a 1-output
  // linear layer drawn from `head_seed` (PyTorch's default Linear
  // initialisation), so that a pretrained and a random body are compared
  // with the same head.
  static NtkModel from_network(const Network& network, std::uint64_t head_seed);

  // A TorchScript module exported from PyTorch (torch.jit.script or
  // torch.jit.trace, then .save). Its output for a batch of b inputs must
  // be b values (shape (b) or (b, 1)); with output_index >= 0 it may be
  // (b, k) and column output_index is used. Evaluated in eval mode.
  // Throws InputError naming `path` when the file is not TorchScript.
  static NtkModel from_torchscript(const std::string& path, int output_index);

  // Trainable scalars the kernel differentiates against.
  std::int64_t parameter_count() const;
  // Whether the structured per-layer gradients apply (built-in networks).
  bool structured() const;
  // A short description for logs and metadata.
  std::string description() const;

  Impl& impl() const { return *impl_; }

 private:
  explicit NtkModel(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

enum class NtkPrecision { kFloat32, kFloat64 };
enum class GradientMethod { kAuto, kStructured, kPerSample };

NtkPrecision parse_precision(const std::string& name, const std::string& flag);
GradientMethod parse_gradient_method(const std::string& name,
                                     const std::string& flag);
std::string gradient_method_name(GradientMethod method);

struct NtkOptions {
  // Memory for the Jacobian chunk and the per-batch work, in MiB (> 0).
  // The kernels themselves (n x n and m x n, float64) come on top: they
  // are the result. 2048 holds a ResNet-20 chunk of 3000 inputs in a few
  // passes.
  double memory_budget_mb = 2048;
  // Network evaluation, gradients and the J J^T products run in this
  // precision; float32 is twice as fast, float64 is for verification.
  NtkPrecision precision = NtkPrecision::kFloat32;
  // kAuto: structured per-layer gradients for built-in networks, one
  // backward pass per sample for TorchScript models.
  GradientMethod method = GradientMethod::kAuto;
  // Inputs per forward/backward pass of the structured method, 1-65536.
  int batch_size = 128;
  // Upper bound on the columns of one Jacobian chunk, >= 0 (0: as many as
  // the budget allows). Tests use it to force many chunks.
  std::int64_t max_chunk_columns = 0;

  void validate() const;
};

struct NtkResult {
  Matrix kernel;       // n x n, symmetric
  Matrix test_kernel;  // m x n (0 x n without test inputs)
  std::int64_t parameter_count = 0;
  std::int64_t chunk_count = 0;
  GradientMethod method = GradientMethod::kAuto;  // the one used
  double gradient_seconds = 0;  // forward, backward, per-sample gradients
  double gram_seconds = 0;      // the SYRK and GEMM calls
  double gram_flops = 0;        // floating-point operations in them
  double peak_chunk_mb = 0;     // the largest Jacobian block held
};

// The empirical NTK of `model` on `train` (n inputs) and, if given,
// between `test` (m inputs) and `train`. Inputs must have the sample shape
// the model takes. Everything is checked before the work starts: the
// model is run on one input to verify its output shape, and the memory a
// chunk needs is compared with the budget. Throws InputError on a rejected
// input shape, a bad output shape or a budget below one parameter tensor.
NtkResult compute_ntk(const NtkModel& model,
                      const InputArray& train,
                      const InputArray* test,
                      const NtkOptions& options,
                      const Progress& progress = {});

// Throws InputError when `train` is empty or the inputs do not fit the
// model (what compute_ntk checks first); for callers that split the
// inputs before calling stream_ntk.
void check_ntk_inputs(const NtkModel& model,
                      const InputArray& train,
                      const InputArray* test);

// The row counts every process plans its chunks for: the largest share of
// inputs (train and test) and of training inputs any process holds. Equal
// plans on every process are what keep a distributed sink's collective
// calls matched.
struct NtkShare {
  std::int64_t planning_rows = 0;
  std::int64_t planning_train_rows = 0;
};

// The eNTK's Jacobian for a share of the inputs, handed to `sink` chunk
// by chunk instead of summed into kernels here: for a distributed
// assembly, where each process differentiates its own `train` and `test`
// rows (either may be empty) and the sink forms the kernel blocks.
// `probe` is one input, the same on every process: the network is traced
// on it to plan the chunks. The result carries the counts and times; its
// kernels are empty. Inputs must have been checked (check_ntk_inputs).
NtkResult stream_ntk(const NtkModel& model,
                     const InputArray& train,
                     const InputArray& test,
                     const InputArray& probe,
                     const NtkShare& share,
                     const NtkOptions& options,
                     GramSink& sink,
                     const Progress& progress = {});

// Outputs f(x) of the model (n values), in the options' precision.
Vector evaluate_model(const NtkModel& model,
                      const InputArray& inputs,
                      NtkPrecision precision);

// The trainable parameters flattened in the kernel's order, and the way
// back; for finite-difference checks.
Vector parameter_vector(const NtkModel& model);
void set_parameter_vector(const NtkModel& model, const Vector& values);

// Penultimate-layer features of a built-in network, or of a TorchScript
// module that has a `features` method (n x p). Throws NotImplemented for a
// TorchScript module without one.
Matrix compute_features(const NtkModel& model, const InputArray& inputs);

}  // namespace rmtlens

// Example:
//   auto net = rmtlens::make_network(spec, /*seed=*/0);
//   auto model = rmtlens::NtkModel::from_network(net, /*head_seed=*/0);
//   rmtlens::NtkOptions options;          // float32, 2 GiB budget
//   auto r = rmtlens::compute_ntk(model, train, &test, options);
//   // r.kernel: n x n, r.test_kernel: m x n
