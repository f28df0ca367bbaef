#include "rmtlens/mpi/gram.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <tuple>

#include "rmtlens/mpi/scalapack.hpp"

namespace rmtlens::mpi {

namespace {

// The PBLAS/REDIST routine of each precision under one name.
template <typename T>
struct Pblas;

template <>
struct Pblas<double> {
  template <typename... Args>
  static void gemr2d(Args... args) {
    pdgemr2d_(args...);
  }
  template <typename... Args>
  static void syrk(Args... args) {
    pdsyrk_(args...);
  }
  template <typename... Args>
  static void gemm(Args... args) {
    pdgemm_(args...);
  }
};

template <>
struct Pblas<float> {
  template <typename... Args>
  static void gemr2d(Args... args) {
    psgemr2d_(args...);
  }
  template <typename... Args>
  static void syrk(Args... args) {
    pssyrk_(args...);
  }
  template <typename... Args>
  static void gemm(Args... args) {
    psgemm_(args...);
  }
};

// ScaLAPACK wants a valid pointer even for an empty local part, which it
// never reads or writes.
template <typename T>
T* nonnull(std::vector<T>& values) {
  static T unused = 0;
  return values.empty() ? &unused : values.data();
}

int as_int(Index value) {
  return static_cast<int>(value);
}

// Local rows and columns of a rows x cols matrix on `grid` in nb x nb
// blocks.
std::array<Index, 2> local_shape(const ProcessGrid& grid,
                                 Index rows,
                                 Index cols) {
  const int nb = grid.block_size();
  return {local_extent(rows, nb, grid.my_row(), grid.rows()),
          local_extent(cols, nb, grid.my_col(), grid.cols())};
}

std::array<int, 9> square_descriptor(const ProcessGrid& grid,
                                     Index rows,
                                     Index cols) {
  const int nb = grid.block_size();
  const Index leading = local_shape(grid, rows, cols)[0];
  return block_cyclic_descriptor(grid, rows, cols, nb, nb, leading);
}

// Global indices of the local entries of a block-cyclic dimension.
std::vector<Index> owned(Index n, int nb, int process, int count) {
  std::vector<Index> indices(
      static_cast<size_t>(local_extent(n, nb, process, count)));
  for (size_t l = 0; l < indices.size(); ++l) {
    indices[l] = global_index(static_cast<Index>(l), nb, process, count);
  }
  return indices;
}

Index largest_extent(Index n, int nb, int count) {
  // Process 0 holds the most: it is first in every round of blocks.
  return local_extent(n, nb, 0, count);
}

}  // namespace

// The running sums, in the working precision, in K's and K*'s local
// layout on the square grid.
template <typename T>
struct DistributedGram::Sums {
  std::vector<T> kernel;
  std::vector<T> test_kernel;
};

// A matrix on the square grid: its local part and descriptor.
template <typename T>
struct DistributedGram::Panel {
  std::vector<T> values;
  std::array<int, 9> desc{};

  T* data() { return nonnull(values); }
  const T* data() const { return nonnull(const_cast<std::vector<T>&>(values)); }
};

DistributedGram::DistributedGram(const ProcessGrid& grid,
                                 Index n,
                                 Index m,
                                 bool single)
    : grid_(grid),
      row_grid_(std::make_unique<ProcessGrid>(
          grid.block_size(), std::array<int, 2>{1, grid.size()})),
      n_(n),
      m_(m),
      single_(single) {
  const int nb = grid.block_size();
  const int count = row_grid_->cols();
  const int me = row_grid_->my_col();
  train_rows_ = owned(n, nb, me, count);
  test_rows_ = owned(m, nb, me, count);
  largest_train_share_ = largest_extent(n, nb, count);
  largest_share_ = largest_train_share_ + largest_extent(m, nb, count);

  const auto k_shape = local_shape(grid, n, n);
  const auto kt_shape = local_shape(grid, m, n);
  const auto k_size = static_cast<size_t>(k_shape[0] * k_shape[1]);
  const auto kt_size = static_cast<size_t>(kt_shape[0] * kt_shape[1]);
  if (single) {
    sums32_ = std::make_unique<Sums<float>>();
    sums32_->kernel.assign(k_size, 0.0f);
    sums32_->test_kernel.assign(kt_size, 0.0f);
  } else {
    sums64_ = std::make_unique<Sums<double>>();
    sums64_->kernel.assign(k_size, 0.0);
    sums64_->test_kernel.assign(kt_size, 0.0);
  }
}

DistributedGram::~DistributedGram() = default;

template <>
DistributedGram::Sums<float>& DistributedGram::sums<float>() {
  return *sums32_;
}

template <>
DistributedGram::Sums<double>& DistributedGram::sums<double>() {
  return *sums64_;
}

void DistributedGram::check_rows(const SampleBlock& block) const {
  const auto rows = static_cast<Index>(train_rows_.size() + test_rows_.size());
  if (block.rows != rows || block.single != single_ || block.cols < 1) {
    throw std::logic_error(
        "DistributedGram: a block of " + std::to_string(block.rows) + " x " +
        std::to_string(block.cols) + " where this process owns " +
        std::to_string(rows) + " rows");
  }
  if (kernel_taken_ || test_kernel_taken_) {
    throw std::logic_error("DistributedGram: kernels already taken");
  }
}

void DistributedGram::add_jacobian(const SampleBlock& jacobian) {
  check_rows(jacobian);
  if (single_) {
    add_jacobian_typed(static_cast<const float*>(jacobian.data),
                       jacobian.cols);
  } else {
    add_jacobian_typed(static_cast<const double*>(jacobian.data),
                       jacobian.cols);
  }
  const double p = jacobian.cols;
  flops_ += double(n_) * (n_ + 1) * p + 2.0 * m_ * n_ * p;
}

// This process's rows of J, row-major, are column-major the columns of
// J^T (p x count) that the 1 x P grid gives it, so they go to the square
// grid as they are, without a copy.
template <typename T>
DistributedGram::Panel<T> DistributedGram::to_square_grid(const T* rows,
                                                          Index columns,
                                                          Index count) const {
  const int p = as_int(columns);
  const int total = as_int(count);
  const auto source = block_cyclic_descriptor(
      *row_grid_, columns, count, p, grid_.block_size(), columns);

  Panel<T> out;
  const auto shape = local_shape(grid_, columns, count);
  out.values.resize(static_cast<size_t>(shape[0] * shape[1]));
  out.desc = square_descriptor(grid_, columns, count);

  T unused = 0;
  const int one = 1;
  const int context = grid_.context();
  Pblas<T>::gemr2d(&p,
                   &total,
                   rows ? rows : &unused,
                   &one,
                   &one,
                   source.data(),
                   out.data(),
                   &one,
                   &one,
                   out.desc.data(),
                   &context);
  return out;
}

template <typename T>
void DistributedGram::add_jacobian_typed(const T* rows, Index columns) {
  const int n = as_int(n_);
  const int m = as_int(m_);
  const int p = as_int(columns);
  const int one = 1;
  const T unit = 1;
  Sums<T>& sums = this->sums<T>();

  const Panel<T> train = to_square_grid(rows, columns, n_);
  const auto k_desc = square_descriptor(grid_, n_, n_);
  // K's upper triangle += J J^T; the lower one is filled when K is taken.
  Pblas<T>::syrk("U",
                 "T",
                 &n,
                 &p,
                 &unit,
                 train.data(),
                 &one,
                 &one,
                 train.desc.data(),
                 &unit,
                 nonnull(sums.kernel),
                 &one,
                 &one,
                 k_desc.data());
  if (m_ == 0) return;

  const T* test_rows = rows ? rows + train_rows_.size() * columns : nullptr;
  const Panel<T> test = to_square_grid(test_rows, columns, m_);
  const auto kt_desc = square_descriptor(grid_, m_, n_);
  Pblas<T>::gemm("T",
                 "N",
                 &m,
                 &n,
                 &p,
                 &unit,
                 test.data(),
                 &one,
                 &one,
                 test.desc.data(),
                 train.data(),
                 &one,
                 &one,
                 train.desc.data(),
                 &unit,
                 nonnull(sums.test_kernel),
                 &one,
                 &one,
                 kt_desc.data());
}

void DistributedGram::add_linear(const SampleBlock& g,
                                 const SampleBlock& a,
                                 bool has_bias) {
  check_rows(g);
  check_rows(a);
  if (single_) {
    add_linear_typed<float>(g, a, has_bias);
  } else {
    add_linear_typed<double>(g, a, has_bias);
  }
  flops_ += 2.0 * (n_ + m_) * n_ * double(g.cols + a.cols);
}

template <typename T>
void DistributedGram::add_linear_typed(const SampleBlock& g,
                                       const SampleBlock& a,
                                       bool has_bias) {
  const auto* g_rows = static_cast<const T*>(g.data);
  const auto* a_rows = static_cast<const T*>(a.data);
  const size_t local_train = train_rows_.size();
  const Panel<T> g_train = to_square_grid(g_rows, g.cols, n_);
  const Panel<T> a_train = to_square_grid(a_rows, a.cols, n_);
  Sums<T>& sums = this->sums<T>();
  add_hadamard(g_train, a_train, g_train, a_train, has_bias, sums.kernel);
  if (m_ == 0) return;

  const Panel<T> g_test = to_square_grid(
      g_rows ? g_rows + local_train * g.cols : nullptr, g.cols, m_);
  const Panel<T> a_test = to_square_grid(
      a_rows ? a_rows + local_train * a.cols : nullptr, a.cols, m_);
  add_hadamard(g_test, a_test, g_train, a_train, has_bias, sums.test_kernel);
}

// target (rows x n) += (G_rows^T G_train) o (A_rows^T A_train + bias),
// one panel of columns at a time so that the two products never take more
// than a panel each. A panel starts at a multiple of nb x (grid columns),
// so its columns sit on the same processes, in the same local order, as
// the target's columns it updates: the Hadamard product is then local.
template <typename T>
void DistributedGram::add_hadamard(const Panel<T>& g_rows,
                                   const Panel<T>& a_rows,
                                   const Panel<T>& g_train,
                                   const Panel<T>& a_train,
                                   bool has_bias,
                                   std::vector<T>& target) const {
  constexpr Index kBlocksPerPanel = 8;
  const Index rows = g_rows.desc[3];  // N_ of a p x rows panel
  const Index nb = grid_.block_size();
  const Index stride = nb * grid_.cols();
  const Index width = kBlocksPerPanel * stride;
  const Index local_rows = local_shape(grid_, rows, n_)[0];
  const int one = 1;
  const T unit = 1;
  const T zero = 0;

  for (Index first = 0; first < n_; first += width) {
    const Index w = std::min(width, n_ - first);
    const auto shape = local_shape(grid_, rows, w);
    const auto desc = square_descriptor(grid_, rows, w);
    Panel<T> gram, inner;
    gram.values.assign(static_cast<size_t>(shape[0] * shape[1]), 0);
    inner.values.assign(gram.values.size(), 0);

    const int r = as_int(rows);
    const int w32 = as_int(w);
    const int column = as_int(first + 1);
    for (auto [left, right, out] :
         {std::tuple{&g_rows, &g_train, &gram},
          std::tuple{&a_rows, &a_train, &inner}}) {
      const int p = left->desc[2];  // M_: the layer's width
      Pblas<T>::gemm("T",
                     "N",
                     &r,
                     &w32,
                     &p,
                     &unit,
                     left->data(),
                     &one,
                     &one,
                     left->desc.data(),
                     right->data(),
                     &one,
                     &column,
                     right->desc.data(),
                     &zero,
                     out->data(),
                     &one,
                     &one,
                     desc.data());
    }

    const Index offset = (first / stride) * nb;  // local column of `first`
    const T bias = has_bias ? T(1) : T(0);
    for (Index lj = 0; lj < shape[1]; ++lj) {
      T* column_of_target = target.data() + (offset + lj) * local_rows;
      for (Index li = 0; li < shape[0]; ++li) {
        const size_t at = static_cast<size_t>(lj * shape[0] + li);
        column_of_target[li] += gram.values[at] * (inner.values[at] + bias);
      }
    }
  }
}

template <typename T>
DistributedMatrix DistributedGram::take(std::vector<T>& values, Index rows) {
  DistributedMatrix out(grid_, rows, n_);
  std::copy(values.begin(), values.end(), out.local.data());
  std::vector<T>().swap(values);
  return out;
}

DistributedMatrix DistributedGram::kernel() {
  if (kernel_taken_) throw std::logic_error("DistributedGram: K taken");
  kernel_taken_ = true;
  DistributedMatrix k = single_ ? take(sums32_->kernel, n_)
                                : take(sums64_->kernel, n_);

  // p?syrk summed the upper triangle: the lower one is its transpose.
  DistributedMatrix transpose(grid_, n_, n_);
  const int n = as_int(n_);
  const int one = 1;
  const double unit = 1;
  const double zero = 0;
  pdtran_(&n,
          &n,
          &unit,
          k.data(),
          &one,
          &one,
          k.desc(),
          &zero,
          transpose.data(),
          &one,
          &one,
          transpose.desc());
  for (Index lj = 0; lj < k.local_cols(); ++lj) {
    const Index j = k.global_col(lj);
    for (Index li = 0; li < k.local_rows(); ++li) {
      if (k.global_row(li) > j) k.local(li, lj) = transpose.local(li, lj);
    }
  }
  return k;
}

DistributedMatrix DistributedGram::test_kernel() {
  if (test_kernel_taken_) throw std::logic_error("DistributedGram: K* taken");
  test_kernel_taken_ = true;
  return single_ ? take(sums32_->test_kernel, m_)
                 : take(sums64_->test_kernel, m_);
}

double DistributedGram::accumulator_bytes() const {
  const auto k = local_shape(grid_, n_, n_);
  const auto kt = local_shape(grid_, m_, n_);
  return double(k[0] * k[1] + kt[0] * kt[1]) * (single_ ? 4 : 8);
}

}  // namespace rmtlens::mpi
