// The .npy reader and writer. Files come from three sources: write_npy
// (round trips), bytes assembled here (header grammar and every rejected
// input, each with its message), and NumPy itself through Debian's
// /usr/bin/python3 (every dtype, order, byte order and format version that
// NumPy writes, read back and compared with the values NumPy was given).
#include "rmtlens/npy.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "test_support.hpp"

namespace rmtlens {
namespace {

namespace fs = std::filesystem;

constexpr char kPython[] = "/usr/bin/python3";

using test_support::ScratchDir;
using test_support::expect_input_error;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// An .npy file: the preamble of version major.0, `dict` plus '\n' as the
// header, then `data`.
std::string npy_bytes(const std::string& dict,
                      const std::string& data,
                      int major = 1) {
  const std::string header = dict + "\n";
  const std::size_t n = header.size();
  std::string bytes = "\x93NUMPY";
  bytes += static_cast<char>(major);
  bytes += '\0';
  const int length_bytes = major == 1 ? 2 : 4;
  for (int i = 0; i < length_bytes; ++i) {
    bytes += static_cast<char>((n >> (8 * i)) & 0xff);
  }
  return bytes + header + data;
}

// The raw little-endian bytes of `values` (this test assumes a
// little-endian host, as every platform rmtlens targets is).
template <typename T>
std::string raw_bytes(const std::vector<T>& values) {
  std::string bytes(values.size() * sizeof(T), '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::string f8_dict(const std::string& shape, bool fortran = false) {
  return std::string("{'descr': '<f8', 'fortran_order': ") +
         (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
}

// Writes `bytes` to `name` and expects every reader to reject it.
void expect_rejected(const ScratchDir& dir,
                     const std::string& bytes,
                     const std::string& fragment) {
  const std::string path = dir.file("bad.npy");
  write_bytes(path, bytes);
  expect_input_error(path, fragment, [&] { read_npy_header(path); });
  expect_input_error(path, fragment, [&] { read_npy_matrix(path); });
  expect_input_error(path, fragment, [&] { read_npy_integers(path); });
}

Matrix numbered_matrix(Index rows, Index cols) {
  Matrix m(rows, cols);
  for (Index i = 0; i < rows; ++i) {
    for (Index j = 0; j < cols; ++j) m(i, j) = 10.0 * i + j + 0.25;
  }
  return m;
}

// ---------------------------------------------------------------------------
// Writing, and reading back.

TEST(NpyWriteTest, MatrixRoundTripsExactly) {
  ScratchDir dir;
  const std::vector<std::pair<Index, Index>> shapes = {
      {3, 5}, {4, 4}, {6, 1}, {1, 6}};
  for (const auto& [rows, cols] : shapes) {
    const Matrix m = numbered_matrix(rows, cols);
    const std::string path = dir.file("m.npy");
    write_npy(path, m);
    EXPECT_EQ(read_npy_matrix(path), m) << rows << " x " << cols;
  }
}

TEST(NpyWriteTest, IntegersRoundTripExactly) {
  ScratchDir dir;
  const std::vector<std::int64_t> v = {
      std::numeric_limits<std::int64_t>::min(),
      -1,
      0,
      7,
      std::numeric_limits<std::int64_t>::max()};
  const std::string path = dir.file("v.npy");
  write_npy(path, v);

  EXPECT_EQ(read_npy_integers(path), v);
  const NpyHeader header = read_npy_header(path);
  EXPECT_EQ(header.kind, 'i');
  EXPECT_EQ(header.item_size, 8);
  EXPECT_EQ(header.shape, std::vector<std::int64_t>{5});
}

TEST(NpyWriteTest, HeaderIsFortranOrderPaddedTo64Bytes) {
  ScratchDir dir;
  const std::string path = dir.file("m.npy");
  write_npy(path, numbered_matrix(3, 5));
  const std::string bytes = read_bytes(path);

  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const std::size_t length = static_cast<unsigned char>(bytes[8]) |
                             static_cast<unsigned char>(bytes[9]) << 8;
  EXPECT_EQ((10 + length) % 64, 0u);
  EXPECT_EQ(bytes[10 + length - 1], '\n');
  EXPECT_EQ(bytes.size(), 10 + length + 15 * sizeof(double));

  const NpyHeader header = read_npy_header(path);
  EXPECT_TRUE(header.fortran_order);
  EXPECT_EQ(header.kind, 'f');
  EXPECT_EQ(header.data_offset, static_cast<std::int64_t>(10 + length));
  EXPECT_EQ(header.shape, (std::vector<std::int64_t>{3, 5}));
}

// ---------------------------------------------------------------------------
// Reading bytes assembled here.

TEST(NpyReadTest, COrderBecomesColumnMajor) {
  ScratchDir dir;
  const std::string path = dir.file("c.npy");
  write_bytes(
      path,
      npy_bytes(f8_dict("(2, 3)"), raw_bytes<double>({1, 2, 3, 4, 5, 6})));
  Matrix expected(2, 3);
  expected << 1, 2, 3, 4, 5, 6;
  EXPECT_EQ(read_npy_matrix(path), expected);

  // Square: the in-place transpose.
  write_bytes(path,
              npy_bytes(f8_dict("(2, 2)"), raw_bytes<double>({1, 2, 3, 4})));
  Matrix square(2, 2);
  square << 1, 2, 3, 4;
  EXPECT_EQ(read_npy_matrix(path), square);
}

TEST(NpyReadTest, FortranOrderIsReadAsIs) {
  ScratchDir dir;
  const std::string path = dir.file("f.npy");
  write_bytes(path,
              npy_bytes(f8_dict("(2, 3)", true),
                        raw_bytes<double>({1, 2, 3, 4, 5, 6})));
  Matrix expected(2, 3);
  expected << 1, 3, 5, 2, 4, 6;
  EXPECT_EQ(read_npy_matrix(path), expected);
}

TEST(NpyReadTest, HeaderKeysInAnyOrderEitherQuoteAnyTrailingComma) {
  ScratchDir dir;
  const std::string path = dir.file("h.npy");
  const std::string data = raw_bytes<double>({1.5, -2.5});
  for (const std::string dict :
       {"{\"shape\": (2,), 'fortran_order': False, \"descr\": '<f8'}",
        "{'fortran_order':False,'descr':'<f8','shape':(2,),}",
        "  { 'shape' : ( 2 , ) , 'descr' : '<f8' , 'fortran_order' : True }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2L,), }"}) {
    write_bytes(path, npy_bytes(dict, data));
    const Matrix m = read_npy_matrix(path);
    ASSERT_EQ(m.rows(), 2) << dict;
    EXPECT_EQ(m(0, 0), 1.5) << dict;
    EXPECT_EQ(m(1, 0), -2.5) << dict;
  }
}

TEST(NpyReadTest, FormatVersionsTwoAndThree) {
  ScratchDir dir;
  const std::string path = dir.file("v.npy");
  for (const int major : {2, 3}) {
    write_bytes(
        path, npy_bytes(f8_dict("(3,)"), raw_bytes<double>({1, 2, 3}), major));
    EXPECT_EQ(read_npy_header(path).data_offset,
              static_cast<std::int64_t>(12 + f8_dict("(3,)").size() + 1));
    EXPECT_EQ(read_npy_integers(path), (std::vector<std::int64_t>{1, 2, 3}));
  }
}

TEST(NpyReadTest, ByteOrderMarksAndAZeroDimensionalHeader) {
  ScratchDir dir;
  const std::string path = dir.file("b.npy");
  write_bytes(path,
              npy_bytes("{'descr': 'f8', 'fortran_order': False, 'shape': ()}",
                        raw_bytes<double>({4.0})));
  const NpyHeader scalar = read_npy_header(path);
  EXPECT_TRUE(scalar.shape.empty());
  EXPECT_EQ(scalar.element_count(), 1);

  write_bytes(
      path,
      npy_bytes("{'descr': '=u2', 'fortran_order': False, 'shape': (2,)}",
                raw_bytes<std::uint16_t>({65535, 3})));
  EXPECT_EQ(read_npy_integers(path), (std::vector<std::int64_t>{65535, 3}));
}

TEST(NpyReadTest, ConvertsAcrossBlockBoundaries) {
  // 300000 float32 values span two 1 MiB conversion blocks.
  ScratchDir dir;
  const std::string path = dir.file("long.npy");
  std::vector<float> values(300000);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = i % 1000 - 500.f;
  write_bytes(path,
              npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': "
                        "(300000,)}",
                        raw_bytes(values)));

  const Matrix m = read_npy_matrix(path);
  const std::vector<std::int64_t> ints = read_npy_integers(path);
  ASSERT_EQ(m.rows(), 300000);
  for (std::size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(m(i, 0), values[i]) << i;
    ASSERT_EQ(ints[i], static_cast<std::int64_t>(values[i])) << i;
  }
}

TEST(NpyReadTest, BigEndianBoolAndIntegersConvert) {
  ScratchDir dir;
  const std::string path = dir.file("be.npy");
  write_bytes(
      path,
      npy_bytes("{'descr': '>i2', 'fortran_order': False, 'shape': (2,)}",
                std::string("\xff\xfe\x01\x00", 4)));
  EXPECT_EQ(read_npy_integers(path), (std::vector<std::int64_t>{-2, 256}));

  write_bytes(
      path,
      npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (3,)}",
                std::string("\x01\x00\x01", 3)));
  EXPECT_EQ(read_npy_integers(path), (std::vector<std::int64_t>{1, 0, 1}));
}

// ---------------------------------------------------------------------------
// Rejected inputs: each names the file and says what is wrong.

TEST(NpyErrorTest, MissingFileAndDirectory) {
  ScratchDir dir;
  const std::string missing = dir.file("absent.npy");
  expect_input_error(
      missing, "no such file", [&] { read_npy_matrix(missing); });
  const std::string folder = dir.file("");
  expect_input_error(
      folder, "is a directory", [&] { read_npy_header(folder); });
}

TEST(NpyErrorTest, BadMagic) {
  ScratchDir dir;
  std::string bytes = npy_bytes(f8_dict("(1,)"), raw_bytes<double>({1}));
  bytes[0] = 'X';
  expect_rejected(dir, bytes, "bad magic \"XNUMPY\"");
  expect_rejected(dir, "", "bad magic");
  expect_rejected(dir, "\x93NUM", "bad magic");
}

TEST(NpyErrorTest, UnknownVersion) {
  ScratchDir dir;
  std::string bytes = npy_bytes(f8_dict("(1,)"), raw_bytes<double>({1}));
  bytes[6] = 4;
  expect_rejected(dir, bytes, "unsupported .npy format version 4.0");
  bytes[6] = 1;
  bytes[7] = 1;
  expect_rejected(dir, bytes, "unsupported .npy format version 1.1");
  expect_rejected(dir, std::string("\x93NUMPY\x01", 7), "truncated");
}

TEST(NpyErrorTest, HeaderLengthBeyondFile) {
  ScratchDir dir;
  std::string bytes = npy_bytes(f8_dict("(1,)"), raw_bytes<double>({1}));
  bytes[9] = 0x10;  // a 4096 + original length
  const std::size_t length = 4096 + static_cast<unsigned char>(bytes[8]);
  expect_rejected(dir,
                  bytes,
                  "header length " + std::to_string(length) +
                      " goes beyond the end of the file (" +
                      std::to_string(bytes.size()) + " bytes)");
}

TEST(NpyErrorTest, TruncatedData) {
  ScratchDir dir;
  expect_rejected(
      dir,
      npy_bytes(f8_dict("(2, 3)"), raw_bytes<double>({1, 2, 3, 4, 5})),
      "file is truncated: expected 48 bytes of data, found 40");
}

TEST(NpyErrorTest, UnsupportedDtypes) {
  ScratchDir dir;
  for (const std::string descr :
       {"<c16", "|O", "<U3", "|S5", "<f2", "<M8[ns]", "|V8", "<i3", "<f16"}) {
    const std::string dict =
        "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (1,), }";
    expect_rejected(dir,
                    npy_bytes(dict, std::string(16, '\0')),
                    "unsupported dtype '" + descr + "'");
  }
  expect_rejected(dir,
                  npy_bytes("{'descr': [('a', '<f8')], 'fortran_order': False, "
                            "'shape': (1,), }",
                            std::string(8, '\0')),
                  "structured");
}

TEST(NpyErrorTest, NegativeAndOverflowingShapes) {
  ScratchDir dir;
  expect_rejected(dir,
                  npy_bytes(f8_dict("(3, -3)"), ""),
                  "negative dimension -3 in shape (3, -3)");
  expect_rejected(dir,
                  npy_bytes(f8_dict("(4294967296, 4294967296)"), ""),
                  "shape (4294967296, 4294967296) is too large");
  expect_rejected(dir,
                  npy_bytes(f8_dict("(1152921504606846976,)"), ""),
                  "is too large: its size in bytes overflows 64 bits");
  expect_rejected(dir,
                  npy_bytes(f8_dict("(99999999999999999999,)"), ""),
                  "dimension in shape does not fit in 64 bits");
}

TEST(NpyErrorTest, MalformedHeaders) {
  ScratchDir dir;
  const std::string data = raw_bytes<double>({1});
  expect_rejected(dir,
                  npy_bytes("{'descr' '<f8'}", data),
                  "malformed header: expected ':' at byte 9");
  expect_rejected(dir,
                  npy_bytes("{'descr': '<f8', 'shape': (1,)}", data),
                  "header has no 'fortran_order' key");
  expect_rejected(dir,
                  npy_bytes("{'descr': '<f8', 'fortran_order': False, "
                            "'shape': (1,), 'extra': 1}",
                            data),
                  "unexpected key 'extra'");
  expect_rejected(dir,
                  npy_bytes("{'descr': '<f8', 'fortran_order': Maybe, "
                            "'shape': (1,)}",
                            data),
                  "expected True or False");
  expect_rejected(dir,
                  npy_bytes(f8_dict("(1,)") + " junk", data),
                  "unexpected text after the dict");
  expect_rejected(
      dir, npy_bytes("{'descr': '<f8", data), "unterminated string");
}

TEST(NpyErrorTest, MatrixRankAndEmptiness) {
  ScratchDir dir;
  const std::string path = dir.file("m.npy");
  write_bytes(path, npy_bytes(f8_dict("()"), raw_bytes<double>({1})));
  expect_input_error(path, "expected a 1-D or 2-D array, got shape ()", [&] {
    read_npy_matrix(path);
  });

  write_bytes(path, npy_bytes(f8_dict("(3, 4, 5)"), std::string(480, '\0')));
  expect_input_error(path,
                     "expected a 1-D or 2-D array, got shape (3, 4, 5)",
                     [&] { read_npy_matrix(path); });

  write_npy(path, Matrix(0, 3));
  EXPECT_EQ(read_npy_header(path).element_count(), 0);
  expect_input_error(
      path, "array is empty, shape (0, 3)", [&] { read_npy_matrix(path); });
}

TEST(NpyErrorTest, IntegersThatAreNotWholeOrDoNotFit) {
  ScratchDir dir;
  const std::string path = dir.file("i.npy");
  write_bytes(path, npy_bytes(f8_dict("(3,)"), raw_bytes<double>({0, 1.5, 2})));
  expect_input_error(path, "value 1.5 at index 1 is not a whole number", [&] {
    read_npy_integers(path);
  });

  const double nan = std::numeric_limits<double>::quiet_NaN();
  write_bytes(path, npy_bytes(f8_dict("(1,)"), raw_bytes<double>({nan})));
  expect_input_error(path, "value nan at index 0 is not a whole number", [&] {
    read_npy_integers(path);
  });

  write_bytes(path, npy_bytes(f8_dict("(2,)"), raw_bytes<double>({1, 0x1p63})));
  expect_input_error(path, "at index 1 does not fit in int64", [&] {
    read_npy_integers(path);
  });

  write_bytes(
      path,
      npy_bytes("{'descr': '<u8', 'fortran_order': False, 'shape': (1,)}",
                std::string(8, '\xff')));
  expect_input_error(path,
                     "value 18446744073709551615 at index 0 does not fit in "
                     "int64",
                     [&] { read_npy_integers(path); });
}

TEST(NpyErrorTest, IntegersNeedAVectorShape) {
  ScratchDir dir;
  const std::string path = dir.file("i.npy");
  write_bytes(path, npy_bytes(f8_dict("(2, 3)"), std::string(48, '\0')));
  expect_input_error(
      path, "got shape (2, 3)", [&] { read_npy_integers(path); });

  write_bytes(path, npy_bytes(f8_dict("(3, 1)"), raw_bytes<double>({4, 5, 6})));
  EXPECT_EQ(read_npy_integers(path), (std::vector<std::int64_t>{4, 5, 6}));
}

// ---------------------------------------------------------------------------
// Files written by NumPy.

// Writes one .npy file per case into the directory given as argv[1].
constexpr char kMakeFixtures[] = R"PY(
import sys
import numpy as np
from numpy.lib import format as npy_format

out = sys.argv[1]


def save(name, array, version=None):
    with open(f'{out}/{name}.npy', 'wb') as f:
        npy_format.write_array(f, array, version=version, allow_pickle=True)


# Every dtype in both orders: the 3 x 4 grid 4 i + j, shifted by -5 for
# signed types so that negative values are covered.
codes = ['<f4', '<f8', '>f4', '>f8', '|i1', '<i2', '>i2', '<i4', '>i4',
         '<i8', '>i8', '|u1', '<u2', '>u2', '<u4', '>u4', '<u8', '>u8']
order_names = {'<': 'le', '>': 'be', '|': 'na'}
grid = np.arange(12).reshape(3, 4)
for code in codes:
    values = grid if code[1] == 'u' else grid - 5
    for order in 'CF':
        array = np.array(values, dtype=code, order=order)
        save(f'{order_names[code[0]]}_{code[1:]}_{order}', array)
for order in 'CF':
    save(f'na_b1_{order}', np.array(grid % 3 == 0, order=order))

for major in (1, 2, 3):
    save(f'version{major}', grid.astype('<f8') - 5, (major, 0))


def ramp(rows, cols):
    return np.arange(rows * cols).reshape(rows, cols) % 1001 - 500


# The direct float64 read in both orders, square and not, and the
# blockwise conversion across a block boundary.
save('big_f8_C', ramp(300, 200).astype('<f8'))
save('big_f8_F', np.asfortranarray(ramp(300, 200).astype('<f8')))
save('square_f8_C', ramp(150, 150).astype('<f8'))
save('big_be_f4_C', ramp(700, 500).astype('>f4'))

save('vector_i8', np.arange(7, dtype='<i8') - 3)
save('column_u1', np.arange(5, dtype='|u1').reshape(5, 1))
save('row_be_i4', np.arange(5, dtype='>i4').reshape(1, 5))
save('integral_f8', np.array([0.0, 3.0, -2.0]))
save('fraction_f4', np.array([0.0, 1.5], dtype='<f4'))
save('extremes_i8', np.array([-2**63, 2**63 - 1], dtype='<i8'))
save('huge_u8', np.array([2**64 - 1], dtype='<u8'))
save('scalar', np.array(2.5))
save('empty', np.zeros((0, 3)))
save('cube', np.zeros((3, 4, 5)))
save('complex', np.zeros(3, dtype='<c16'))
save('object', np.array([1, 'a'], dtype=object))
save('unicode', np.array(['abc']))
save('record_utf8', np.zeros(2, dtype=[('\u00e9', '<f8')]))
)PY";

// Checks with NumPy what write_npy wrote: argv[1] a 3 x 5 matrix, argv[2]
// an int64 vector.
constexpr char kCheckWritten[] = R"PY(
import sys
import numpy as np
from numpy.lib import format as npy_format

m = np.load(sys.argv[1])
expected = np.add.outer(10.0 * np.arange(3), np.arange(5)) + 0.25
assert m.dtype == np.float64 and m.shape == (3, 5), (m.dtype, m.shape)
assert np.array_equal(m, expected), m
with open(sys.argv[1], 'rb') as f:
    assert npy_format.read_magic(f) == (1, 0)
    shape, fortran_order, dtype = npy_format.read_array_header_1_0(f)
    assert fortran_order and f.tell() % 64 == 0, (fortran_order, f.tell())

v = np.load(sys.argv[2])
assert v.dtype == np.int64, v.dtype
assert v.tolist() == [-2**63, -1, 0, 7, 2**63 - 1], v
print('ok')
)PY";

struct PythonRun {
  int status = -1;
  std::string output;
};

// Runs kPython on `script` with `args`; stdout and stderr are captured.
PythonRun run_python(const ScratchDir& dir,
                     const std::string& script,
                     const std::vector<std::string>& args) {
  if (!fs::exists(kPython)) {
    return {-1, std::string(kPython) + " is missing"};
  }
  const std::string script_path = dir.file("script.py");
  write_bytes(script_path, script);

  std::string command = std::string(kPython) + " '" + script_path + "'";
  for (const std::string& arg : args) command += " '" + arg + "'";
  command += " 2>&1";
  PythonRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed for: " + command};

  std::array<char, 4096> buffer;
  std::size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    run.output.append(buffer.data(), got);
  }
  run.status = ::pclose(pipe);
  return run;
}

std::string python_failure(const PythonRun& run) {
  return std::string(kPython) +
         " with numpy is required (scripts/setup installs python3-numpy); "
         "the script failed with status " +
         std::to_string(run.status) + ": " + run.output;
}

// Generates the NumPy files once for the whole suite.
class NpyNumpyTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<ScratchDir>();
    fs::create_directory(dir_->file("fixtures"));
    const PythonRun run =
        run_python(*dir_, kMakeFixtures, {dir_->file("fixtures")});
    error_ = run.status == 0 ? "" : python_failure(run);
  }
  static void TearDownTestSuite() { dir_.reset(); }

  // A missing NumPy fails every test here: scripts/setup installs it.
  void SetUp() override { ASSERT_TRUE(error_.empty()) << error_; }

  static std::string fixture(const std::string& name) {
    return dir_->file("fixtures/" + name + ".npy");
  }

  static inline std::unique_ptr<ScratchDir> dir_;
  static inline std::string error_;
};

// The expected value of the NumPy ramp(rows, cols) at (i, j).
double ramp(Index i, Index j, Index cols) {
  return static_cast<double>((i * cols + j) % 1001 - 500);
}

void expect_ramp(const Matrix& m, Index rows, Index cols) {
  ASSERT_EQ(m.rows(), rows);
  ASSERT_EQ(m.cols(), cols);
  for (Index i = 0; i < rows; ++i) {
    for (Index j = 0; j < cols; ++j) {
      ASSERT_EQ(m(i, j), ramp(i, j, cols)) << i << ", " << j;
    }
  }
}

TEST_F(NpyNumpyTest, EveryDtypeOrderAndByteOrder) {
  const std::map<char, std::string> order_names = {
      {'<', "le"}, {'>', "be"}, {'|', "na"}};
  for (const std::string code : {"<f4",
                                 "<f8",
                                 ">f4",
                                 ">f8",
                                 "|i1",
                                 "<i2",
                                 ">i2",
                                 "<i4",
                                 ">i4",
                                 "<i8",
                                 ">i8",
                                 "|u1",
                                 "<u2",
                                 ">u2",
                                 "<u4",
                                 ">u4",
                                 "<u8",
                                 ">u8",
                                 "|b1"}) {
    for (const char order : {'C', 'F'}) {
      const std::string name =
          order_names.at(code[0]) + "_" + code.substr(1) + "_" + order;
      const NpyHeader header = read_npy_header(fixture(name));
      EXPECT_EQ(header.kind, code[1]) << name;
      EXPECT_EQ(header.item_size, code[2] - '0') << name;
      EXPECT_EQ(header.big_endian, code[0] == '>') << name;
      EXPECT_EQ(header.fortran_order, order == 'F') << name;
      EXPECT_EQ(header.shape, (std::vector<std::int64_t>{3, 4})) << name;

      const Matrix m = read_npy_matrix(fixture(name));
      ASSERT_EQ(m.rows(), 3);
      ASSERT_EQ(m.cols(), 4);
      for (Index i = 0; i < 3; ++i) {
        for (Index j = 0; j < 4; ++j) {
          const Index v = 4 * i + j;
          const double expected = code[1] == 'b'   ? (v % 3 == 0)
                                  : code[1] == 'u' ? v
                                                   : v - 5;
          EXPECT_EQ(m(i, j), expected) << name << " at " << i << ", " << j;
        }
      }
    }
  }
}

TEST_F(NpyNumpyTest, FormatVersionsOneTwoThree) {
  for (const int major : {1, 2, 3}) {
    const std::string name = "version" + std::to_string(major);
    const Matrix m = read_npy_matrix(fixture(name));
    ASSERT_EQ(m.rows(), 3) << name;
    ASSERT_EQ(m.cols(), 4) << name;
    for (Index i = 0; i < 3; ++i) {
      for (Index j = 0; j < 4; ++j) EXPECT_EQ(m(i, j), 4 * i + j - 5) << name;
    }
  }
}

TEST_F(NpyNumpyTest, LargeArraysInEveryReadPath) {
  expect_ramp(read_npy_matrix(fixture("big_f8_C")), 300, 200);
  expect_ramp(read_npy_matrix(fixture("big_f8_F")), 300, 200);
  expect_ramp(read_npy_matrix(fixture("square_f8_C")), 150, 150);
  expect_ramp(read_npy_matrix(fixture("big_be_f4_C")), 700, 500);
  EXPECT_TRUE(read_npy_header(fixture("big_f8_F")).fortran_order);
  EXPECT_FALSE(read_npy_header(fixture("square_f8_C")).fortran_order);
}

TEST_F(NpyNumpyTest, IntegerVectors) {
  using Ints = std::vector<std::int64_t>;
  EXPECT_EQ(read_npy_integers(fixture("vector_i8")),
            (Ints{-3, -2, -1, 0, 1, 2, 3}));
  EXPECT_EQ(read_npy_integers(fixture("column_u1")), (Ints{0, 1, 2, 3, 4}));
  EXPECT_EQ(read_npy_integers(fixture("row_be_i4")), (Ints{0, 1, 2, 3, 4}));
  EXPECT_EQ(read_npy_integers(fixture("integral_f8")), (Ints{0, 3, -2}));
  EXPECT_EQ(read_npy_integers(fixture("extremes_i8")),
            (Ints{std::numeric_limits<std::int64_t>::min(),
                  std::numeric_limits<std::int64_t>::max()}));
  EXPECT_EQ(read_npy_header(fixture("vector_i8")).shape, Ints{7});
  EXPECT_EQ(read_npy_matrix(fixture("vector_i8")).rows(), 7);
}

TEST_F(NpyNumpyTest, RejectionsOfNumpyFiles) {
  const auto integers = [](const std::string& name) {
    return [name] { read_npy_integers(fixture(name)); };
  };
  const auto matrix = [](const std::string& name) {
    return [name] { read_npy_matrix(fixture(name)); };
  };
  expect_input_error(fixture("fraction_f4"),
                     "value 1.5 at index 1 is not a whole number",
                     integers("fraction_f4"));
  expect_input_error(fixture("huge_u8"),
                     "value 18446744073709551615 at index 0 does not fit",
                     integers("huge_u8"));
  expect_input_error(fixture("scalar"), "got shape ()", matrix("scalar"));
  expect_input_error(fixture("empty"), "is empty", matrix("empty"));
  expect_input_error(fixture("cube"), "got shape (3, 4, 5)", matrix("cube"));
  expect_input_error(
      fixture("complex"), "unsupported dtype '<c16'", matrix("complex"));
  expect_input_error(
      fixture("object"), "unsupported dtype '|O'", matrix("object"));
  expect_input_error(
      fixture("unicode"), "unsupported dtype '<U3'", matrix("unicode"));
  expect_input_error(
      fixture("record_utf8"), "structured", matrix("record_utf8"));
}

TEST_F(NpyNumpyTest, NumpyReadsWhatWeWrite) {
  const std::string matrix_path = dir_->file("written_matrix.npy");
  const std::string vector_path = dir_->file("written_vector.npy");
  write_npy(matrix_path, numbered_matrix(3, 5));
  write_npy(
      vector_path,
      std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min(),
                                -1,
                                0,
                                7,
                                std::numeric_limits<std::int64_t>::max()});

  const PythonRun run =
      run_python(*dir_, kCheckWritten, {matrix_path, vector_path});
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(run.output, "ok\n");
}

}  // namespace
}  // namespace rmtlens
