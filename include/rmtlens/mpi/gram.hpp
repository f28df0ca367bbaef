// The empirical NTK assembled across processes, so that no process holds
// the whole kernel or the whole Jacobian. The inputs are dealt out to the
// processes block-cyclically (blocks of nb inputs, like the columns of a
// 1 x P process grid); each process differentiates only its own inputs
// (stream_ntk in src/torch) and hands every Jacobian chunk to this sink,
// which moves the chunk onto the square process grid (p?gemr2d) and adds
// J J^T and J* J^T to the block-cyclic kernels (p?syrk, p?gemm).
//
//   mpi::ProcessGrid grid(64);
//   mpi::DistributedGram gram(grid, n, m, /*single=*/true);
//   // differentiate inputs gram.train_rows() and gram.test_rows() into gram
//   mpi::DistributedMatrix k = gram.kernel();      // n x n
//   mpi::DistributedMatrix kt = gram.test_kernel(); // m x n
//   mpi::write_npy("kernel.npy", k);
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "rmtlens/gram_sink.hpp"
#include "rmtlens/mpi/grid.hpp"

namespace rmtlens::mpi {

class DistributedGram : public GramSink {
 public:
  // n training and m test inputs; single: the Jacobian arrives in float
  // and is summed in float, as the single-process assembly does. The
  // kernels come out in float64 either way. Collective (builds a 1 x P
  // BLACS grid beside `grid`).
  DistributedGram(const ProcessGrid& grid, Index n, Index m, bool single);
  ~DistributedGram() override;

  // Global indices of the training (test) inputs this process
  // differentiates, ascending; the Jacobian rows it passes are these, train
  // rows first.
  const std::vector<Index>& train_rows() const { return train_rows_; }
  const std::vector<Index>& test_rows() const { return test_rows_; }
  // The most inputs (of both kinds, and training inputs) any process
  // differentiates: what every process sizes its chunks for.
  Index largest_share() const { return largest_share_; }
  Index largest_train_share() const { return largest_train_share_; }

  // Collective: every process calls them in the same order with the same
  // column counts.
  void add_jacobian(const SampleBlock& jacobian) override;
  void add_linear(const SampleBlock& g,
                  const SampleBlock& a,
                  bool has_bias) override;
  double flops() const override { return flops_; }

  // K (n x n, symmetric) and K* (m x n) on `grid`, float64. Collective;
  // each may be taken once, after the last chunk (the sums are released).
  DistributedMatrix kernel();
  DistributedMatrix test_kernel();

  // Bytes this process holds for the sums, for memory reports.
  double accumulator_bytes() const;

 private:
  template <typename T>
  struct Sums;
  template <typename T>
  struct Panel;

  template <typename T>
  Sums<T>& sums();
  template <typename T>
  void add_jacobian_typed(const T* rows, Index columns);
  template <typename T>
  void add_linear_typed(const SampleBlock& g,
                        const SampleBlock& a,
                        bool has_bias);
  template <typename T>
  Panel<T> to_square_grid(const T* rows, Index columns, Index count) const;
  template <typename T>
  void add_hadamard(const Panel<T>& g_rows,
                    const Panel<T>& a_rows,
                    const Panel<T>& g_train,
                    const Panel<T>& a_train,
                    bool has_bias,
                    std::vector<T>& target) const;
  template <typename T>
  DistributedMatrix take(std::vector<T>& values, Index rows);
  void check_rows(const SampleBlock& block) const;

  const ProcessGrid& grid_;
  std::unique_ptr<ProcessGrid> row_grid_;
  Index n_ = 0;
  Index m_ = 0;
  bool single_ = false;
  std::vector<Index> train_rows_;
  std::vector<Index> test_rows_;
  Index largest_share_ = 0;
  Index largest_train_share_ = 0;
  std::unique_ptr<Sums<float>> sums32_;
  std::unique_ptr<Sums<double>> sums64_;
  double flops_ = 0;
  bool kernel_taken_ = false;
  bool test_kernel_taken_ = false;
};

}  // namespace rmtlens::mpi
