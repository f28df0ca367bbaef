#include "rmtlens/mpi/npy_io.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>

namespace rmtlens::mpi {

namespace {

// One axis of the share a process reads: the file indices it needs,
// ascending (a file view must list offsets in nondecreasing order), and
// where each lands in the local array.
struct Axis {
  std::vector<std::int64_t> file_index;
  std::vector<Index> local_index;

  Index size() const { return static_cast<Index>(file_index.size()); }
};

Axis sorted_axis(const std::vector<std::int64_t>& file_map,
                 const std::vector<Index>& globals) {
  std::vector<Index> by_file(globals.size());
  std::iota(by_file.begin(), by_file.end(), Index{0});
  std::sort(by_file.begin(), by_file.end(), [&](Index a, Index b) {
    return file_map[globals[a]] < file_map[globals[b]];
  });
  Axis axis;
  for (Index l : by_file) {
    axis.file_index.push_back(file_map[globals[l]]);
    axis.local_index.push_back(l);
  }
  return axis;
}

// Element conversion from the file's bytes to float64.
double decode(const unsigned char* bytes, const NpyHeader& h) {
  unsigned char raw[8];
  std::memcpy(raw, bytes, h.item_size);
  const bool swap = h.big_endian != (std::endian::native == std::endian::big);
  if (swap) std::reverse(raw, raw + h.item_size);
  if (h.item_size == 8) {
    double v;
    std::memcpy(&v, raw, 8);
    return v;
  }
  float v;
  std::memcpy(&v, raw, 4);
  return v;
}

void check_mpi(int code, const std::string& path, const char* step) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw InputError(path + ": " + step +
                   " failed: " + std::string(text, length));
}

// What one process reads: the sorted slow (outer, contiguous lines in the
// file) and fast axes, and the file geometry.
struct ReadPlan {
  Axis slow;
  Axis fast;
  bool slow_is_column = false;   // Fortran order: columns are contiguous
  std::int64_t line_length = 0;  // file entries per slow index
  Index lines_per_slice = 1;
};

// Views the file so that one read_all returns entries (slow[s], fast[f])
// for s in [first, first + count), row-major in (s, f).
MPI_Datatype slice_view(const ReadPlan& p,
                        Index first,
                        Index count,
                        MPI_Datatype element,
                        int item_size) {
  std::vector<int> fast(p.fast.file_index.begin(), p.fast.file_index.end());
  MPI_Datatype line;
  MPI_Type_create_indexed_block(
      static_cast<int>(fast.size()), 1, fast.data(), element, &line);

  std::vector<MPI_Aint> starts(static_cast<size_t>(count));
  for (Index s = 0; s < count; ++s) {
    starts[s] = static_cast<MPI_Aint>(p.slow.file_index[first + s]) *
                p.line_length * item_size;
  }
  MPI_Datatype view;
  MPI_Type_create_hindexed_block(
      static_cast<int>(count), 1, starts.data(), line, &view);
  MPI_Type_commit(&view);
  MPI_Type_free(&line);
  return view;
}

void scatter_slice(const ReadPlan& p,
                   const std::vector<unsigned char>& buffer,
                   Index first,
                   Index count,
                   const NpyHeader& h,
                   Matrix& local) {
  const Index nf = p.fast.size();
  for (Index s = 0; s < count; ++s) {
    const Index ls = p.slow.local_index[first + s];
    for (Index f = 0; f < nf; ++f) {
      const double v = decode(&buffer[(s * nf + f) * h.item_size], h);
      const Index lf = p.fast.local_index[f];
      if (p.slow_is_column) {
        local(lf, ls) = v;
      } else {
        local(ls, lf) = v;
      }
    }
  }
}

ReadPlan plan_read(const NpyHeader& h,
                   const std::vector<std::int64_t>& file_rows,
                   const std::vector<std::int64_t>& file_cols,
                   const DistributedMatrix& out,
                   std::int64_t slice_bytes) {
  ReadPlan p;
  const Axis rows = sorted_axis(file_rows, out.global_rows());
  const Axis cols = sorted_axis(file_cols, out.global_cols());
  p.slow_is_column = h.fortran_order;
  p.slow = h.fortran_order ? cols : rows;
  p.fast = h.fortran_order ? rows : cols;
  p.line_length = h.fortran_order ? h.shape[0] : h.shape[1];
  const std::int64_t line_bytes =
      std::max<std::int64_t>(1, p.fast.size() * h.item_size);
  p.lines_per_slice = std::max<std::int64_t>(1, slice_bytes / line_bytes);
  return p;
}

void check_readable_dtype(const std::string& path, const NpyHeader& h) {
  if (h.kind == 'f' && (h.item_size == 4 || h.item_size == 8)) return;
  throw NotImplemented(path +
                       ": the distributed reader takes float32 or float64 "
                       "only; convert with numpy (a.astype('f8')) first");
}

void check_indices(const std::string& path,
                   const std::vector<std::int64_t>& indices,
                   std::int64_t bound,
                   const char* axis) {
  for (std::int64_t i : indices) {
    if (i < 0 || i >= bound) {
      throw std::logic_error(path + ": " + axis + " index " +
                             std::to_string(i) + " outside the file's " +
                             std::to_string(bound));
    }
  }
}

}  // namespace

NpyHeader read_matrix_header(const std::string& path, const std::string& what) {
  NpyHeader h = read_npy_header(path);
  if (h.shape.size() != 2) {
    throw InputError(what + " " + path + ": a 2-D array is needed, found " +
                     std::to_string(h.shape.size()) + "-D");
  }
  return h;
}

void read_npy_block(const std::string& path,
                    const std::vector<std::int64_t>& file_rows,
                    const std::vector<std::int64_t>& file_cols,
                    DistributedMatrix& out,
                    bool transposed,
                    std::int64_t slice_bytes) {
  NpyHeader h = read_matrix_header(path, "matrix");
  if (transposed) {
    // A C-order r x c array is the Fortran-order c x r array of its
    // transpose: only the description changes, not the bytes.
    h.fortran_order = !h.fortran_order;
    std::swap(h.shape[0], h.shape[1]);
  }
  check_readable_dtype(path, h);
  check_indices(path, file_rows, h.shape[0], "row");
  check_indices(path, file_cols, h.shape[1], "column");
  const ReadPlan p = plan_read(h, file_rows, file_cols, out, slice_bytes);
  const MPI_Comm comm = out.grid().comm();

  // Every process takes part in every collective read, with an empty view
  // once its own share is done.
  const Index mine =
      p.fast.size() == 0
          ? 0
          : (p.slow.size() + p.lines_per_slice - 1) / p.lines_per_slice;
  Index rounds = mine;
  MPI_Allreduce(MPI_IN_PLACE, &rounds, 1, MPI_INT64_T, MPI_MAX, comm);

  MPI_File file;
  check_mpi(
      MPI_File_open(comm, path.c_str(), MPI_MODE_RDONLY, MPI_INFO_NULL, &file),
      path,
      "MPI_File_open");
  MPI_Datatype element;
  MPI_Type_contiguous(h.item_size, MPI_BYTE, &element);
  MPI_Type_commit(&element);

  std::vector<unsigned char> buffer;
  for (Index round = 0; round < rounds; ++round) {
    const Index first = round * p.lines_per_slice;
    const Index count =
        round < mine ? std::min(p.lines_per_slice, p.slow.size() - first) : 0;
    MPI_Datatype view =
        count > 0 ? slice_view(p, first, count, element, h.item_size) : element;
    MPI_File_set_view(
        file, h.data_offset, element, view, "native", MPI_INFO_NULL);
    buffer.resize(static_cast<size_t>(count * p.fast.size() * h.item_size));
    MPI_Status status;
    check_mpi(MPI_File_read_all(file,
                                buffer.data(),
                                static_cast<int>(count * p.fast.size()),
                                element,
                                &status),
              path,
              "MPI_File_read_all");
    scatter_slice(p, buffer, first, count, h, out.local);
    if (count > 0) MPI_Type_free(&view);
  }
  MPI_Type_free(&element);
  MPI_File_close(&file);
}

Vector read_npy_diagonal(const std::string& path, MPI_Comm comm) {
  const NpyHeader h = read_matrix_header(path, "matrix");
  check_readable_dtype(path, h);
  const Index n = std::min(h.shape[0], h.shape[1]);
  int rank = 0;
  MPI_Comm_rank(comm, &rank);

  MPI_File file;
  check_mpi(
      MPI_File_open(comm, path.c_str(), MPI_MODE_RDONLY, MPI_INFO_NULL, &file),
      path,
      "MPI_File_open");
  MPI_Datatype element;
  MPI_Type_contiguous(h.item_size, MPI_BYTE, &element);
  MPI_Type_commit(&element);
  // Entry (i, i) sits (n + 1) i entries in, in either order.
  MPI_Datatype diagonal;
  MPI_Type_create_hvector(static_cast<int>(n),
                          1,
                          static_cast<MPI_Aint>(h.shape[1] + 1) * h.item_size,
                          element,
                          &diagonal);
  MPI_Type_commit(&diagonal);
  MPI_File_set_view(
      file, h.data_offset, element, diagonal, "native", MPI_INFO_NULL);
  std::vector<unsigned char> buffer(
      static_cast<size_t>(rank == 0 ? n * h.item_size : 0));
  MPI_Status status;
  check_mpi(MPI_File_read_all(file,
                              buffer.data(),
                              rank == 0 ? static_cast<int>(n) : 0,
                              element,
                              &status),
            path,
            "MPI_File_read_all");
  MPI_Type_free(&diagonal);
  MPI_Type_free(&element);
  MPI_File_close(&file);

  Vector d = Vector::Zero(n);
  if (rank == 0) {
    for (Index i = 0; i < n; ++i) d[i] = decode(&buffer[i * h.item_size], h);
  }
  MPI_Bcast(d.data(), static_cast<int>(n), MPI_DOUBLE, 0, comm);
  return d;
}

namespace {

// NumPy format 1.0 header for a float64 Fortran-order rows x cols array,
// padded with spaces so the data starts on a 64-byte boundary.
std::string npy_header(Index rows, Index cols) {
  std::string dict = "{'descr': '<f8', 'fortran_order': True, 'shape': (" +
                     std::to_string(rows) + ", " + std::to_string(cols) +
                     "), }";
  const size_t preamble = 10;  // magic (6), version (2), length (2)
  size_t total = preamble + dict.size() + 1;
  total = (total + 63) / 64 * 64;
  dict.append(total - preamble - dict.size() - 1, ' ');
  dict.push_back('\n');
  const std::uint16_t length = static_cast<std::uint16_t>(dict.size());
  std::string header = "\x93NUMPY";
  header.push_back('\x01');
  header.push_back('\x00');
  header.push_back(static_cast<char>(length & 0xff));
  header.push_back(static_cast<char>(length >> 8));
  return header + dict;
}

// The file type that places this process's local array (column-major, as
// ScaLAPACK stores it) at its block-cyclic positions of the global
// column-major array.
MPI_Datatype block_cyclic_view(const DistributedMatrix& m) {
  const ProcessGrid& g = m.grid();
  const int sizes[2] = {static_cast<int>(m.rows()), static_cast<int>(m.cols())};
  const int distribs[2] = {MPI_DISTRIBUTE_CYCLIC, MPI_DISTRIBUTE_CYCLIC};
  const int blocks[2] = {g.block_size(), g.block_size()};
  const int processes[2] = {g.rows(), g.cols()};
  MPI_Datatype view;
  MPI_Type_create_darray(g.size(),
                         g.rank(),
                         2,
                         sizes,
                         distribs,
                         blocks,
                         processes,
                         MPI_ORDER_FORTRAN,
                         MPI_DOUBLE,
                         &view);
  MPI_Type_commit(&view);
  return view;
}

void write_blocks(MPI_File file,
                  const std::string& path,
                  const DistributedMatrix& m,
                  MPI_Offset data_offset) {
  if (m.rows() == 0 || m.cols() == 0) return;
  MPI_Datatype view = block_cyclic_view(m);
  MPI_File_set_view(
      file, data_offset, MPI_DOUBLE, view, "native", MPI_INFO_NULL);

  // One column type keeps the count an int for local arrays beyond 2^31.
  MPI_Datatype column;
  MPI_Type_contiguous(static_cast<int>(std::max<Index>(1, m.local_rows())),
                      MPI_DOUBLE,
                      &column);
  MPI_Type_commit(&column);
  const int count = m.local_rows() > 0 ? static_cast<int>(m.local_cols()) : 0;
  MPI_Status status;
  check_mpi(MPI_File_write_all(file, m.data(), count, column, &status),
            path,
            "MPI_File_write_all");
  MPI_Type_free(&column);
  MPI_Type_free(&view);
}

}  // namespace

void write_npy(const std::string& path, const DistributedMatrix& m) {
  static_assert(std::endian::native == std::endian::little,
                "the .npy writer labels its data little-endian");
  const MPI_Comm comm = m.grid().comm();
  const std::string temporary = path + ".partial";
  const std::string header = npy_header(m.rows(), m.cols());

  MPI_File file;
  check_mpi(MPI_File_open(comm,
                          temporary.c_str(),
                          MPI_MODE_CREATE | MPI_MODE_WRONLY,
                          MPI_INFO_NULL,
                          &file),
            path,
            "MPI_File_open");
  const MPI_Offset total = static_cast<MPI_Offset>(header.size()) +
                           static_cast<MPI_Offset>(m.rows()) * m.cols() * 8;
  MPI_File_set_size(file, total);
  if (m.grid().rank() == 0) {
    MPI_Status status;
    check_mpi(MPI_File_write_at(file,
                                0,
                                header.data(),
                                static_cast<int>(header.size()),
                                MPI_BYTE,
                                &status),
              path,
              "writing the header");
  }
  write_blocks(file, path, m, static_cast<MPI_Offset>(header.size()));
  MPI_File_close(&file);

  // Rename only after every process has closed its share.
  MPI_Barrier(comm);
  int failed = 0;
  if (m.grid().rank() == 0) {
    failed = std::rename(temporary.c_str(), path.c_str()) != 0;
  }
  MPI_Bcast(&failed, 1, MPI_INT, 0, comm);
  if (failed) throw InputError(path + ": cannot rename the written file");
}

}  // namespace rmtlens::mpi
