// Where the per-sample gradients of an empirical NTK go. The network side
// (src/torch) differentiates a set of inputs chunk by chunk and hands each
// chunk of the Jacobian to a GramSink; the sink turns chunks into kernel
// entries. In one process the sink sums K += J J^T in memory; on MPI each
// process differentiates its own share of the inputs and the sink
// (mpi::DistributedGram) forms block-cyclic kernels with ScaLAPACK.
// Header-only and free of LibTorch so that the MPI library needs no
// LibTorch to build.
#pragma once

#include <cstdint>

namespace rmtlens {

// Per-sample values of a set of inputs: `rows` samples x `cols` values,
// row-major (row r starts at r * cols), float when `single`, else double.
// The inputs' training samples come first, then their test samples.
struct SampleBlock {
  const void* data = nullptr;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  bool single = false;
};

// Receives the Jacobian of the inputs a process differentiates. Calls come
// in the same order and with the same column counts on every process that
// shares one kernel, which is what lets a distributed sink make collective
// calls from inside them.
class GramSink {
 public:
  virtual ~GramSink() = default;

  // J for one chunk of parameters: one row per sample, one column per
  // parameter of the chunk. Adds J J^T to the kernels.
  virtual void add_jacobian(const SampleBlock& jacobian) = 0;

  // A linear layer y = W a + b, whose per-sample gradient g a^T is never
  // formed: its Gram block is (G G^T) o (A A^T + 1) (the 1 only with a
  // bias), from the output gradients g and inputs a of every sample.
  virtual void add_linear(const SampleBlock& g,
                          const SampleBlock& a,
                          bool has_bias) = 0;

  // Floating-point operations the sink has done (for rate reports).
  virtual double flops() const = 0;
};

}  // namespace rmtlens
