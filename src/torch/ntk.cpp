// eNTK assembly: per-sample gradients in parameter chunks, K += J J^T and
// K* += J* J^T as BLAS-3 calls.
#include <cblas.h>
#include <dlfcn.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <thread>

#include "ntk_internal.hpp"

namespace rmtlens {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
// Rows per block when the Hadamard form of a linear layer's Gram matrix is
// added, bounding its temporaries to two blocks of kHadamardRows x n.
constexpr std::int64_t kHadamardRows = 512;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

void syrk_upper(std::int64_t n, std::int64_t p, const float* a, float* c) {
  cblas_ssyrk(
      CblasRowMajor, CblasUpper, CblasNoTrans, n, p, 1.0f, a, p, 1.0f, c, n);
}
void syrk_upper(std::int64_t n, std::int64_t p, const double* a, double* c) {
  cblas_dsyrk(
      CblasRowMajor, CblasUpper, CblasNoTrans, n, p, 1.0, a, p, 1.0, c, n);
}
void gemm_abt(std::int64_t m,
              std::int64_t n,
              std::int64_t p,
              const float* a,
              const float* b,
              float* c) {
  cblas_sgemm(CblasRowMajor,
              CblasNoTrans,
              CblasTrans,
              m,
              n,
              p,
              1.0f,
              a,
              p,
              b,
              p,
              1.0f,
              c,
              n);
}
void gemm_abt(std::int64_t m,
              std::int64_t n,
              std::int64_t p,
              const double* a,
              const double* b,
              double* c) {
  cblas_dgemm(CblasRowMajor,
              CblasNoTrans,
              CblasTrans,
              m,
              n,
              p,
              1.0,
              a,
              p,
              b,
              p,
              1.0,
              c,
              n);
}

// K (n x n, upper triangle kept, row-major) and K* (m x n), accumulated in
// the working precision over the chunks: the sink of one process that
// differentiates every input.
class GramAccumulator : public GramSink {
 public:
  GramAccumulator(std::int64_t n, std::int64_t m, torch::Dtype dtype)
      : n_(n),
        m_(m),
        k_(torch::zeros({n, n}, dtype)),
        kt_(torch::zeros({m, n}, dtype)) {}

  // jacobian: (n + m) x p; train rows first.
  void add_jacobian(const SampleBlock& jacobian) override {
    if (jacobian.single) {
      add_jacobian_typed(static_cast<const float*>(jacobian.data),
                         jacobian.cols);
    } else {
      add_jacobian_typed(static_cast<const double*>(jacobian.data),
                         jacobian.cols);
    }
    const double p = jacobian.cols;
    flops_ += double(n_) * (n_ + 1) * p + 2.0 * m_ * n_ * p;
  }

  // g: (n + m) x out, a: (n + m) x in.
  void add_linear(const SampleBlock& g_block,
                  const SampleBlock& a_block,
                  bool has_bias) override {
    const torch::Tensor g = as_tensor(g_block);
    const torch::Tensor a = as_tensor(a_block);
    const torch::Tensor g_train = g.narrow(0, 0, n_);
    const torch::Tensor a_train = a.narrow(0, 0, n_);
    add_hadamard_rows(g_train, a_train, g_train, a_train, has_bias, k_);
    add_hadamard_rows(g.narrow(0, n_, m_),
                      a.narrow(0, n_, m_),
                      g_train,
                      a_train,
                      has_bias,
                      kt_);
    flops_ += 2.0 * (n_ + m_) * n_ * (g.size(1) + a.size(1));
  }

  double flops() const override { return flops_; }

  Matrix kernel() const {
    const torch::Tensor upper = k_.triu();
    return detail::to_matrix(upper + upper.triu(1).t());
  }
  Matrix test_kernel() const {
    if (m_ == 0) return Matrix(0, n_);
    return detail::to_matrix(kt_);
  }

 private:
  template <typename T>
  void add_jacobian_typed(const T* rows, std::int64_t p) {
    syrk_upper(n_, p, rows, k_.data_ptr<T>());
    if (m_ > 0) gemm_abt(m_, n_, p, rows + n_ * p, rows, kt_.data_ptr<T>());
  }

  // A view of the block's memory, no copy.
  static torch::Tensor as_tensor(const SampleBlock& block) {
    return torch::from_blob(const_cast<void*>(block.data),
                            {block.rows, block.cols},
                            block.single ? torch::kFloat32 : torch::kFloat64);
  }

  // target += (G_rows G_train^T) o (A_rows A_train^T + bias), a block of
  // rows at a time.
  static void add_hadamard_rows(const torch::Tensor& g_rows,
                                const torch::Tensor& a_rows,
                                const torch::Tensor& g_train,
                                const torch::Tensor& a_train,
                                bool has_bias,
                                torch::Tensor& target) {
    const std::int64_t count = g_rows.size(0);
    for (std::int64_t r0 = 0; r0 < count; r0 += kHadamardRows) {
      const std::int64_t rows = std::min(kHadamardRows, count - r0);
      torch::Tensor gram = g_rows.narrow(0, r0, rows).mm(g_train.t());
      torch::Tensor inner = a_rows.narrow(0, r0, rows).mm(a_train.t());
      if (has_bias) inner.add_(1.0);
      target.narrow(0, r0, rows).add_(gram.mul_(inner));
    }
  }

  std::int64_t n_, m_;
  torch::Tensor k_, kt_;
  double flops_ = 0;
};

// A contiguous tensor of samples as the sink sees it.
SampleBlock sample_block(const torch::Tensor& t) {
  return {t.data_ptr(), t.size(0), t.size(1),
          t.scalar_type() == torch::kFloat32};
}

// The sink with the time spent in it, so that gradient and Gram times are
// reported apart whichever sink is used.
class TimedSink {
 public:
  explicit TimedSink(GramSink& sink) : sink_(sink) {}

  void add_jacobian(const torch::Tensor& jacobian) {
    const auto start = std::chrono::steady_clock::now();
    sink_.add_jacobian(sample_block(jacobian));
    seconds_ += seconds_since(start);
  }
  void add_linear(const torch::Tensor& g, const torch::Tensor& a, bool bias) {
    const auto start = std::chrono::steady_clock::now();
    sink_.add_linear(sample_block(g), sample_block(a), bias);
    seconds_ += seconds_since(start);
  }
  double seconds() const { return seconds_; }
  double flops() const { return sink_.flops(); }

 private:
  GramSink& sink_;
  double seconds_ = 0;
};

// What one computation needs besides the model: the inputs it
// differentiates (train rows first, then test rows; possibly none), one
// input to trace the network on, the row counts the memory plan is made
// for (equal on every process of a distributed assembly, so that all plan
// the same chunks), and where the Jacobian goes.
struct NtkJob {
  torch::Tensor x;
  torch::Tensor probe;
  std::int64_t planning_rows = 0;
  std::int64_t planning_train_rows = 0;
  const NtkOptions& options;
  const Progress& progress;
  GramSink& sink;
};

// OpenBLAS's thread count for one phase, restored after it. The gradient
// passes run many small GEMMs inside LibTorch operators that LibTorch
// already spreads over the cores; OpenBLAS's own threads then spin and
// yield (perf: a third of the time in sched_yield and OpenMP waits), and
// one OpenBLAS thread made the gradients 1.6x faster. The J J^T products
// want every core, so they run outside. Looked up at run time: other BLAS
// builds have no such call, and then nothing changes.
class BlasThreads {
 public:
  explicit BlasThreads(int count) {
    using Get = int (*)();
    using Set = void (*)(int);
    static const auto get =
        reinterpret_cast<Get>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    static const auto set =
        reinterpret_cast<Set>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (!get || !set) return;
    set_ = set;
    saved_ = get();
    set(count);
  }
  ~BlasThreads() {
    if (set_) set_(saved_);
  }
  BlasThreads(const BlasThreads&) = delete;
  BlasThreads& operator=(const BlasThreads&) = delete;

 private:
  void (*set_)(int) = nullptr;
  int saved_ = 0;
};

// A group of columns of J: one layer (structured) or one parameter tensor
// (per-sample), never split across chunks.
struct Unit {
  std::size_t index;  // tape entry or parameter position
  std::int64_t columns;
  std::string name;
};

// Consecutive units packed greedily into chunks of at most `capacity`
// columns. Throws InputError naming the budget if one unit does not fit.
std::vector<std::vector<Unit>> plan_chunks(const std::vector<Unit>& units,
                                           std::int64_t capacity,
                                           const std::string& why_short) {
  std::vector<std::vector<Unit>> chunks;
  std::int64_t filled = 0;
  for (const Unit& unit : units) {
    if (unit.columns > capacity) throw InputError(why_short);
    if (chunks.empty() || filled + unit.columns > capacity) {
      chunks.emplace_back();
      filled = 0;
    }
    chunks.back().push_back(unit);
    filled += unit.columns;
  }
  return chunks;
}

// Columns of J a chunk may hold: what the budget left after the working
// memory allows for all rows, capped by max_chunk_columns.
std::int64_t chunk_capacity(const NtkOptions& options,
                            double workspace_bytes,
                            std::int64_t rows,
                            std::int64_t bytes) {
  const double left = options.memory_budget_mb * kMiB - workspace_bytes;
  auto capacity =
      static_cast<std::int64_t>(std::max(0.0, left / (double(rows) * bytes)));
  if (options.max_chunk_columns > 0) {
    capacity = std::min(capacity, options.max_chunk_columns);
  }
  return capacity;
}

std::int64_t total_columns(const std::vector<Unit>& chunk) {
  std::int64_t columns = 0;
  for (const Unit& unit : chunk) columns += unit.columns;
  return columns;
}

// Fills the Jacobian columns of one chunk at a time (fill(c, J)) and hands
// each to the sink before the next is allocated, so one chunk is held at
// most. Returns the largest chunk in MiB.
template <typename Fill>
double stream_chunks(const std::vector<std::vector<Unit>>& chunks,
                     std::int64_t rows,
                     const torch::TensorOptions& options,
                     TimedSink& sink,
                     Fill fill) {
  double peak_mb = 0.0;
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    torch::Tensor jacobian =
        torch::empty({rows, total_columns(chunks[c])}, options);
    peak_mb = std::max(peak_mb, jacobian.nbytes() / kMiB);
    fill(c, jacobian);
    sink.add_jacobian(jacobian);
  }
  return peak_mb;
}

std::string budget_message(const NtkOptions& options,
                           const Unit& largest,
                           std::int64_t rows,
                           std::int64_t bytes,
                           double workspace_mb) {
  const double need = double(largest.columns) * rows * bytes / kMiB;
  return fmt::format(
      "--memory-budget {} MiB is too small for one chunk: {} ({} values) "
      "needs {:.1f} MiB for {} inputs in float{}, plus {:.1f} MiB working "
      "memory",
      options.memory_budget_mb,
      largest.name,
      largest.columns,
      need,
      rows,
      8 * bytes,
      workspace_mb);
}

const Unit& largest_unit(const std::vector<Unit>& units) {
  return *std::max_element(
      units.begin(), units.end(), [](const Unit& a, const Unit& b) {
        return a.columns < b.columns;
      });
}

// Per-sample gradients of conv, BatchNorm (eval) and the output head from
// one batched forward and backward pass: the backward pass of sum_b f(x_b)
// gives each sample's gradient at every layer output because samples do
// not interact, and each layer's per-sample weight gradient then has a
// closed form from its input (Goodfellow 2015; Rochette et al. 2019 for
// convolutions via im2col).
class StructuredNtk {
 public:
  StructuredNtk(NtkModel::Impl& model, const NtkJob& job)
      : model_(model),
        job_(job),
        x_(job.x),
        rows_(job.x.size(0)),
        options_(job.options),
        sink_(job.sink),
        batch_(std::min<std::int64_t>(job.options.batch_size,
                                      job.planning_rows)),
        bytes_(job.x.element_size()),
        workers_(std::max(1, torch::get_num_threads())) {}

  NtkResult run() {
    plan();
    NtkResult result;
    const auto start = std::chrono::steady_clock::now();
    result.peak_chunk_mb = stream_chunks(
        chunks_, rows_, x_.options(), sink_,
        [&](std::size_t c, torch::Tensor& jacobian) { pass(c, jacobian); });
    add_linear_layers();
    result.gradient_seconds = seconds_since(start) - sink_.seconds();
    return finish(result);
  }

 private:
  // Records the layers on one input, sizes the work per batch, and packs
  // the conv and BatchNorm layers into chunks under the budget. Linear
  // layers take the Hadamard route and need no Jacobian columns.
  void plan() {
    detail::Tape tape;
    model_.forward(job_.probe, &tape);
    std::vector<Unit> units;
    std::int64_t activations = 0, scratch = 0, linear_width = 0;
    for (std::size_t i = 0; i < tape.size(); ++i) {
      const auto& entry = tape[i];
      activations += entry.input.numel() + entry.output.numel();
      if (entry.kind == detail::LayerKind::kLinear) {
        linears_.push_back(i);
        linear_width += entry.input.numel() + entry.output.numel();
        continue;
      }
      const std::int64_t columns = layer_columns(entry);
      units.push_back({i, columns, unit_name(entry, i)});
      if (entry.kind == detail::LayerKind::kConv) {
        scratch = std::max(scratch, conv_scratch(entry));
      }
    }
    fit_budget(units, activations, scratch, linear_width);
  }

  void fit_budget(const std::vector<Unit>& units,
                  std::int64_t activations,
                  std::int64_t scratch,
                  std::int64_t linear_width) {
    // Per batch, and one batch per worker: the activations, the gradients
    // at every layer output and the autograd graph's saved tensors (about
    // three copies), the im2col and per-sample gradient scratch of the
    // largest conv; overall:
    // the gathered linear-layer inputs and output gradients and the
    // Hadamard blocks. Sized for the planning rows, the same on every
    // process of a distributed assembly.
    const std::int64_t rows = job_.planning_rows;
    const double fixed =
        double(rows) * linear_width * bytes_ +
        2.0 * std::min(kHadamardRows, rows) * job_.planning_train_rows * bytes_;
    double workspace = 0;
    for (;; batch_ = std::max<std::int64_t>(1, batch_ / 2)) {
      workspace = fixed + double(workers_) * double(batch_) *
                              (3 * activations + scratch) * bytes_;
      if (workspace <= options_.memory_budget_mb * kMiB / 2 || batch_ == 1) {
        break;
      }
    }
    const auto capacity = chunk_capacity(options_, workspace, rows, bytes_);
    if (units.empty()) return;
    chunks_ = plan_chunks(
        units,
        capacity,
        budget_message(
            options_, largest_unit(units), rows, bytes_, workspace / kMiB));
  }

  static std::string unit_name(const detail::TapeEntry& entry,
                               std::size_t index) {
    const bool conv = entry.kind == detail::LayerKind::kConv;
    const torch::Tensor weight = entry.module->parameters(false).front();
    return fmt::format("{} layer {} (weight [{}])",
                       conv ? "conv" : "BatchNorm",
                       index,
                       fmt::join(weight.sizes(), ", "));
  }

  static std::int64_t layer_columns(const detail::TapeEntry& entry) {
    std::int64_t columns = 0;
    for (const auto& p : entry.module->parameters(false)) {
      columns += p.numel();
    }
    return columns;
  }

  static std::int64_t conv_scratch(const detail::TapeEntry& entry) {
    auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(entry.module);
    const auto& w = conv->weight;
    const std::int64_t patch = w.size(1) * w.size(2) * w.size(3);
    const std::int64_t positions = entry.output.size(2) * entry.output.size(3);
    return patch * positions + w.numel();
  }

  // Batched forward and backward passes over every input, filling the
  // chunk's columns of J (and, in the first pass, the linear layers'
  // inputs and output gradients). With several workers each takes every
  // workers-th batch on its own thread, LibTorch running one thread per
  // worker: the batches are independent and write disjoint rows, and the
  // small operators of a batch parallelise poorly inside LibTorch
  // (ResNet-20, 2 cores: 1.3x from 2 LibTorch threads, 1.6x from 2
  // workers).
  void pass(std::size_t chunk_index, torch::Tensor& jacobian) {
    const BlasThreads single_blas(1);
    if (chunk_index == 0) allocate_linear_buffers();
    const std::int64_t batches = (rows_ + batch_ - 1) / batch_;
    const int workers = static_cast<int>(std::min<std::int64_t>(
        workers_, std::max<std::int64_t>(batches, 1)));
    if (workers <= 1) {
      for (std::int64_t k = 0; k < batches; ++k) {
        run_batch(chunk_index, k, jacobian, true);
      }
      return;
    }

    // Set here, once: each worker's first LibTorch operator reads it.
    const int threads = torch::get_num_threads();
    torch::set_num_threads(1);
    std::vector<std::thread> pool;
    std::vector<std::exception_ptr> errors(workers);
    for (int w = 0; w < workers; ++w) {
      pool.emplace_back([&, w] {
        try {
          for (std::int64_t k = w; k < batches; k += workers) {
            run_batch(chunk_index, k, jacobian, w == 0);
          }
        } catch (...) {
          errors[w] = std::current_exception();
        }
      });
    }
    for (auto& thread : pool) thread.join();
    torch::set_num_threads(threads);
    for (const auto& error : errors) {
      if (error) std::rethrow_exception(error);
    }
  }

  // Batch k of a pass; only one worker reports progress.
  void run_batch(std::size_t chunk_index,
                 std::int64_t k,
                 torch::Tensor& jacobian,
                 bool reports) {
    const auto& chunk = chunks_[chunk_index];
    const bool gather_linear = chunk_index == 0;
    {
      const std::int64_t r0 = k * batch_;
      const std::int64_t b = std::min(batch_, rows_ - r0);
      detail::Tape tape;
      torch::Tensor f = model_.forward(x_.narrow(0, r0, b), &tape);

      std::vector<torch::Tensor> outputs;
      for (const Unit& unit : chunk) outputs.push_back(tape[unit.index].output);
      if (gather_linear) {
        for (std::size_t i : linears_) outputs.push_back(tape[i].output);
      }
      const auto grads = torch::autograd::grad({f.sum()}, outputs);

      torch::NoGradGuard no_grad;
      std::int64_t column = 0;
      for (std::size_t u = 0; u < chunk.size(); ++u) {
        torch::Tensor block =
            jacobian.narrow(0, r0, b).narrow(1, column, chunk[u].columns);
        write_gradients(tape[chunk[u].index], grads[u], block);
        column += chunk[u].columns;
      }
      if (gather_linear) store_linear(tape, grads, chunk.size(), r0, b);
      if (reports) report(chunk_index, double(r0 + b) / rows_);
    }
  }

  // Per-sample gradients of one layer into block (b x columns): weight
  // first, then bias.
  static void write_gradients(const detail::TapeEntry& entry,
                              const torch::Tensor& grad_out,
                              torch::Tensor& block) {
    const std::int64_t b = grad_out.size(0);
    if (entry.kind == detail::LayerKind::kConv) {
      auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(entry.module);
      const auto& o = conv->options;
      const auto padding = c10::get<torch::ExpandingArray<2>>(o.padding());
      // dL/dW_b = G_b U_b^T with U_b the im2col patches of sample b, formed
      // transposed (U_b G_b^T): with both operands' positions innermost
      // this is the GEMM form BLAS runs fastest, measured 3x faster here.
      // The layer's columns are then in (patch, channel) order, which
      // K = J J^T does not see.
      torch::Tensor patches = at::im2col(
          entry.input, *o.kernel_size(), *o.dilation(), *padding, *o.stride());
      torch::Tensor g = grad_out.flatten(2);
      torch::Tensor weight_grad = torch::bmm(patches, g.transpose(1, 2));
      const std::int64_t w = conv->weight.numel();
      block.narrow(1, 0, w).copy_(weight_grad.view({b, w}));
      if (conv->bias.defined()) block.narrow(1, w, g.size(1)).copy_(g.sum(2));
      return;
    }
    // BatchNorm in eval mode: y = gamma xhat + beta with fixed statistics.
    auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(entry.module);
    const std::int64_t c = bn->weight.numel();
    torch::Tensor scale =
        (bn->running_var + bn->options.eps()).rsqrt().view({1, c, 1, 1});
    torch::Tensor xhat =
        (entry.input - bn->running_mean.view({1, c, 1, 1})) * scale;
    block.narrow(1, 0, c).copy_((grad_out * xhat).sum({2, 3}));
    block.narrow(1, c, c).copy_(grad_out.sum({2, 3}));
  }

  void allocate_linear_buffers() {
    detail::Tape tape;
    model_.forward(job_.probe, &tape);
    for (std::size_t i : linears_) {
      linear_grads_.push_back(
          torch::empty({rows_, tape[i].output.size(1)}, x_.options()));
      linear_inputs_.push_back(
          torch::empty({rows_, tape[i].input.size(1)}, x_.options()));
      auto* linear = dynamic_cast<torch::nn::LinearImpl*>(tape[i].module);
      linear_bias_.push_back(linear->bias.defined());
    }
  }

  void store_linear(const detail::Tape& tape,
                    const std::vector<torch::Tensor>& grads,
                    std::size_t first,
                    std::int64_t r0,
                    std::int64_t b) {
    for (std::size_t l = 0; l < linears_.size(); ++l) {
      linear_grads_[l].narrow(0, r0, b).copy_(grads[first + l]);
      linear_inputs_[l].narrow(0, r0, b).copy_(tape[linears_[l]].input);
    }
  }

  // Without conv layers (an MLP) no chunk pass ran: gather here.
  void add_linear_layers() {
    if (chunks_.empty()) {
      chunks_.emplace_back();
      torch::Tensor none = torch::empty({rows_, 0}, x_.options());
      pass(0, none);
    }
    for (std::size_t l = 0; l < linears_.size(); ++l) {
      sink_.add_linear(linear_grads_[l], linear_inputs_[l], linear_bias_[l]);
    }
  }

  void report(std::size_t chunk_index, double fraction) const {
    if (!job_.progress) return;
    job_.progress(
        fmt::format("eNTK chunk {}/{}", chunk_index + 1, chunks_.size()),
        (chunk_index + fraction) / chunks_.size());
  }

  NtkResult finish(NtkResult result) const {
    result.chunk_count = chunks_.size();
    result.method = GradientMethod::kStructured;
    result.gram_seconds = sink_.seconds();
    result.gram_flops = sink_.flops();
    return result;
  }

  NtkModel::Impl& model_;
  const NtkJob& job_;
  const torch::Tensor& x_;
  std::int64_t rows_;
  const NtkOptions& options_;
  TimedSink sink_;
  std::int64_t batch_;
  std::int64_t bytes_;
  int workers_;
  std::vector<std::vector<Unit>> chunks_;
  std::vector<std::size_t> linears_;
  std::vector<torch::Tensor> linear_grads_, linear_inputs_;
  std::vector<bool> linear_bias_;
};

// Any differentiable model: one forward and one backward pass per input,
// the textbook per-sample loop, for each chunk of parameter tensors.
class PerSampleNtk {
 public:
  PerSampleNtk(NtkModel::Impl& model, const NtkJob& job)
      : model_(model),
        job_(job),
        x_(job.x),
        rows_(job.x.size(0)),
        options_(job.options),
        sink_(job.sink),
        params_(model.parameters()),
        bytes_(job.x.element_size()) {}

  NtkResult run() {
    plan();
    NtkResult result;
    const auto start = std::chrono::steady_clock::now();
    result.peak_chunk_mb = stream_chunks(
        chunks_, rows_, x_.options(), sink_,
        [&](std::size_t c, torch::Tensor& jacobian) { pass(c, jacobian); });
    result.gradient_seconds = seconds_since(start) - sink_.seconds();
    result.chunk_count = chunks_.size();
    result.method = GradientMethod::kPerSample;
    result.gram_seconds = sink_.seconds();
    result.gram_flops = sink_.flops();
    return result;
  }

 private:
  void plan() {
    std::vector<Unit> units;
    std::int64_t total = 0;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const auto& p = params_[i];
      units.push_back(
          {i,
           p.numel(),
           fmt::format(
               "parameter {} of shape [{}]", i, fmt::join(p.sizes(), ", "))});
      total += p.numel();
    }
    // One input's gradients, autograd's copies of them and the forward
    // pass of a single input: a few times the parameters.
    const double workspace = 4.0 * total * bytes_;
    const std::int64_t rows = job_.planning_rows;
    const auto capacity = chunk_capacity(options_, workspace, rows, bytes_);
    chunks_ = plan_chunks(
        units,
        capacity,
        budget_message(
            options_, largest_unit(units), rows, bytes_, workspace / kMiB));
  }

  void pass(std::size_t chunk_index, torch::Tensor& jacobian) {
    const BlasThreads single_blas(1);
    std::vector<torch::Tensor> inputs;
    for (const Unit& unit : chunks_[chunk_index]) {
      inputs.push_back(params_[unit.index]);
    }
    for (std::int64_t r = 0; r < rows_; ++r) {
      torch::Tensor f = model_.forward(x_.narrow(0, r, 1), nullptr);
      const auto grads =
          torch::autograd::grad({f.sum()}, inputs, {}, false, false, true);
      write_row(grads, jacobian[r]);
      if (job_.progress && (r % 64 == 63 || r + 1 == rows_)) {
        job_.progress(
            fmt::format("eNTK chunk {}/{}", chunk_index + 1, chunks_.size()),
            (chunk_index + double(r + 1) / rows_) / chunks_.size());
      }
    }
  }

  // A parameter f does not depend on has no gradient: its column is 0.
  static void write_row(const std::vector<torch::Tensor>& grads,
                        torch::Tensor row) {
    torch::NoGradGuard no_grad;
    std::int64_t column = 0;
    for (std::size_t i = 0; i < grads.size(); ++i) {
      const std::int64_t size = grads[i].defined() ? grads[i].numel() : 0;
      if (size > 0) row.narrow(0, column, size).copy_(grads[i].view({-1}));
      column += size;
    }
  }

  NtkModel::Impl& model_;
  const NtkJob& job_;
  const torch::Tensor& x_;
  std::int64_t rows_;
  const NtkOptions& options_;
  TimedSink sink_;
  std::vector<torch::Tensor> params_;
  std::int64_t bytes_;
  std::vector<std::vector<Unit>> chunks_;
};

}  // namespace

NtkPrecision parse_precision(const std::string& name, const std::string& flag) {
  if (name == "float32") return NtkPrecision::kFloat32;
  if (name == "float64") return NtkPrecision::kFloat64;
  throw InputError(
      fmt::format("{} '{}': expected float32 or float64", flag, name));
}

GradientMethod parse_gradient_method(const std::string& name,
                                     const std::string& flag) {
  if (name == "auto") return GradientMethod::kAuto;
  if (name == "structured") return GradientMethod::kStructured;
  if (name == "per-sample") return GradientMethod::kPerSample;
  throw InputError(fmt::format(
      "{} '{}': expected auto, structured or per-sample", flag, name));
}

std::string gradient_method_name(GradientMethod method) {
  switch (method) {
    case GradientMethod::kStructured:
      return "structured";
    case GradientMethod::kPerSample:
      return "per-sample";
    default:
      return "auto";
  }
}

void NtkOptions::validate() const {
  if (!(memory_budget_mb > 0)) {
    throw InputError(
        fmt::format("--memory-budget {}: must be > 0 MiB", memory_budget_mb));
  }
  if (max_chunk_columns < 0) {
    throw InputError(
        fmt::format("max_chunk_columns {}: must be >= 0", max_chunk_columns));
  }
  if (batch_size < 1 || batch_size > 65536) {
    throw InputError(
        fmt::format("--batch-size {}: must be in 1-65536", batch_size));
  }
}

namespace {

GradientMethod resolve_method(const NtkModel& model, GradientMethod asked) {
  if (asked == GradientMethod::kAuto) {
    return model.structured() ? GradientMethod::kStructured
                              : GradientMethod::kPerSample;
  }
  if (asked == GradientMethod::kStructured && !model.structured()) {
    throw NotImplemented(
        "structured per-sample gradients of a TorchScript model (use "
        "--method per-sample or auto)");
  }
  return asked;
}

// Train rows first, then test rows: one tensor, one pass per chunk.
torch::Tensor stacked_inputs(NtkModel::Impl& impl,
                             const InputArray& train,
                             const InputArray* test) {
  const auto shape = impl.tensor_shape(train);
  torch::Tensor x = detail::to_tensor(train.values, shape, impl.dtype());
  if (test && test->count() > 0) {
    x = torch::cat({x, detail::to_tensor(test->values, shape, impl.dtype())});
  }
  return x;
}

NtkResult run_job(const NtkModel& model,
                  const NtkJob& job,
                  GradientMethod method) {
  auto& impl = model.impl();
  NtkResult result = method == GradientMethod::kStructured
                         ? StructuredNtk(impl, job).run()
                         : PerSampleNtk(impl, job).run();
  result.parameter_count = model.parameter_count();
  return result;
}

}  // namespace

void check_ntk_inputs(const NtkModel& model,
                      const InputArray& train,
                      const InputArray* test) {
  if (train.count() < 1) throw InputError("inputs: no samples");
  model.impl().check_shape(train, "inputs");
  if (!test) return;
  model.impl().check_shape(*test, "test inputs");
  if (test->sample_shape != train.sample_shape) {
    throw InputError(fmt::format(
        "test inputs: sample shape [{}] differs from the inputs' [{}]",
        fmt::join(test->sample_shape, ", "),
        fmt::join(train.sample_shape, ", ")));
  }
}

NtkResult compute_ntk(const NtkModel& model,
                      const InputArray& train,
                      const InputArray* test,
                      const NtkOptions& options,
                      const Progress& progress) {
  options.validate();
  auto& impl = model.impl();
  check_ntk_inputs(model, train, test);
  const GradientMethod method = resolve_method(model, options.method);
  impl.to(torch_dtype(options.precision));
  impl.probe(train);

  const torch::Tensor x = stacked_inputs(impl, train, test);
  const std::int64_t n = train.count();
  GramAccumulator gram(n, x.size(0) - n, x.scalar_type());
  const NtkJob job{x, x.narrow(0, 0, 1), x.size(0), n, options, progress, gram};
  NtkResult result = run_job(model, job, method);
  result.kernel = gram.kernel();
  result.test_kernel = gram.test_kernel();
  return result;
}

NtkResult stream_ntk(const NtkModel& model,
                     const InputArray& train,
                     const InputArray& test,
                     const InputArray& probe,
                     const NtkShare& share,
                     const NtkOptions& options,
                     GramSink& sink,
                     const Progress& progress) {
  options.validate();
  auto& impl = model.impl();
  for (const InputArray* rows : {&probe, &train, &test}) {
    if (rows->sample_shape != probe.sample_shape) {
      throw std::logic_error("stream_ntk: inputs of different shapes");
    }
  }
  if (probe.count() != 1) throw std::logic_error("stream_ntk: one probe");
  impl.check_shape(probe, "inputs");
  const GradientMethod method = resolve_method(model, options.method);
  impl.to(torch_dtype(options.precision));
  impl.probe(probe);

  const torch::Tensor x = stacked_inputs(impl, train, &test);
  const torch::Tensor first =
      detail::to_tensor(probe.values, impl.tensor_shape(probe), impl.dtype());
  const NtkJob job{x,
                   first,
                   share.planning_rows,
                   share.planning_train_rows,
                   options,
                   progress,
                   sink};
  return run_job(model, job, method);
}

}  // namespace rmtlens
