// NumPy .npy files: format versions 1-3, float32/float64, signed and
// unsigned integers of 1-8 bytes, bool; C or Fortran order; either byte
// order. Every reader converts to float64 (or int64 for labels).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rmtlens/types.hpp"

namespace rmtlens {

// What an .npy header says about the array that follows it.
struct NpyHeader {
  char kind = 'f';             // 'f' float, 'i' signed, 'u' unsigned, 'b' bool
  int item_size = 8;           // bytes per element: 1, 2, 4 or 8
  bool big_endian = false;
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
  std::int64_t data_offset = 0;  // bytes from the start of the file

  std::int64_t element_count() const;
};

// Parses the header of `path`. Throws InputError naming the file on a
// missing file, bad magic, unsupported dtype or a truncated header.
NpyHeader read_npy_header(const std::string& path);

// A 2-D array as an rows x cols matrix; a 1-D array of length n becomes
// n x 1. Any numeric dtype is converted to float64. Throws InputError on a
// file shorter than its header promises, on 0-D or >2-D arrays.
Matrix read_npy_matrix(const std::string& path);

// A 1-D array of whole numbers (any integer dtype, bool, or floats that are
// all integral). Throws InputError otherwise.
std::vector<std::int64_t> read_npy_integers(const std::string& path);

// Writes `m` (rows x cols) as float64, Fortran order, atomically.
void write_npy(const std::string& path, const Matrix& m);

// Writes a 1-D int64 array, atomically.
void write_npy(const std::string& path, const std::vector<std::int64_t>& v);

}  // namespace rmtlens
