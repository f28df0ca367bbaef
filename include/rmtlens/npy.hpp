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
// missing file, bad magic, an unknown format version, an unsupported dtype
// (complex, object, string, structured, float16), a negative or overflowing
// shape, a truncated header, or a data section shorter than the shape
// needs. A 0-D or 0-element array parses.
NpyHeader read_npy_header(const std::string& path);

// A 2-D array as an rows x cols matrix; a 1-D array of length n becomes
// n x 1. Any numeric dtype is converted to float64 (int64 values beyond
// 2^53 round). Throws InputError as read_npy_header does, and on 0-D, >2-D
// or empty arrays. Peak memory: the matrix (plus a 1 MiB conversion buffer
// for dtypes other than native float64), twice the matrix for a non-square
// 2-D file in C order, which must be transposed.
Matrix read_npy_matrix(const std::string& path);

// A 1-D array of whole numbers (any integer dtype, bool, or floats that are
// all integral); a 2-D array with one row or one column is read the same
// way, and an empty array gives an empty vector. Throws InputError as
// read_npy_header does, on other shapes, and on the first value that is not
// whole or does not fit in int64 (naming its index and value).
std::vector<std::int64_t> read_npy_integers(const std::string& path);

// Writes `m` (rows x cols) as float64, Fortran order, atomically.
void write_npy(const std::string& path, const Matrix& m);

// Writes a 1-D int64 array, atomically.
void write_npy(const std::string& path, const std::vector<std::int64_t>& v);

// Both writers produce format 1.0 with the data 64-byte aligned, as NumPy
// writes it, and throw InputError if the file cannot be written.
//
// Example:
//   rmtlens::Matrix k = rmtlens::read_npy_matrix("kernel.npy");  // n x n
//   std::vector<std::int64_t> y = rmtlens::read_npy_integers("labels.npy");
//   rmtlens::write_npy("out/kernel_copy.npy", k);

}  // namespace rmtlens
