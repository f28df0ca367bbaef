// The IDX reader on small files written here (raw and gzip), every rejected
// input with its message, and the Fashion-MNIST loader on a synthetic
// directory and on the real test split Debian ships.
#include "rmtlens/idx.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "test_support.hpp"

namespace rmtlens {
namespace {

namespace fs = std::filesystem;

using test_support::ScratchDir;
using test_support::expect_input_error;

// Sets (or, given nullopt, unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// An IDX file: magic with `type` and the rank, big-endian dims, payload.
std::string idx_bytes(int type,
                      const std::vector<std::uint32_t>& dims,
                      const std::string& payload) {
  std::string bytes = {
      0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (const std::uint32_t dim : dims) {
    for (const int shift : {24, 16, 8, 0}) {
      bytes += static_cast<char>((dim >> shift) & 0xff);
    }
  }
  return bytes + payload;
}

std::string counting_payload(int n) {
  std::string payload;
  for (int i = 0; i < n; ++i) payload += static_cast<char>(i);
  return payload;
}

void write_raw(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

// Writes `bytes` raw and gzip-compressed; both must be rejected alike.
void expect_rejected(const ScratchDir& dir,
                     const std::string& bytes,
                     const std::string& fragment) {
  const std::string raw = dir.file("bad.idx");
  const std::string gz = dir.file("bad.idx.gz");
  write_raw(raw, bytes);
  write_gzip(gz, bytes);
  expect_input_error(raw, fragment, [&] { read_idx(raw); });
  expect_input_error(gz, fragment, [&] { read_idx(gz); });
}

// ---------------------------------------------------------------------------
// read_idx

TEST(IdxTest, ReadsRawAndGzipAlike) {
  ScratchDir dir;
  const std::string bytes = idx_bytes(0x08, {2, 2, 3}, counting_payload(12));
  write_raw(dir.file("a.idx"), bytes);
  write_gzip(dir.file("a.idx.gz"), bytes);

  for (const std::string name : {"a.idx", "a.idx.gz"}) {
    const IdxArray array = read_idx(dir.file(name));
    EXPECT_EQ(array.shape, (std::vector<std::int64_t>{2, 2, 3})) << name;
    ASSERT_EQ(array.data.size(), 12u) << name;
    for (int i = 0; i < 12; ++i) EXPECT_EQ(array.data[i], i) << name;
  }
}

TEST(IdxTest, ReadsOneDimensionalAndEmpty) {
  ScratchDir dir;
  const std::string path = dir.file("v.idx.gz");
  write_gzip(path,
             idx_bytes(0x08, {5}, std::string("\x09\x00\x07\xff\x01", 5)));
  const IdxArray array = read_idx(path);
  EXPECT_EQ(array.shape, std::vector<std::int64_t>{5});
  EXPECT_EQ(array.data, (std::vector<std::uint8_t>{9, 0, 7, 255, 1}));

  write_gzip(path, idx_bytes(0x08, {0, 28}, ""));
  EXPECT_TRUE(read_idx(path).data.empty());
}

TEST(IdxTest, BadMagic) {
  ScratchDir dir;
  std::string bytes = idx_bytes(0x08, {1}, "x");
  bytes[0] = 0x1f;
  expect_rejected(dir, bytes, "not an IDX file: bad magic 0x1f 0x00");
}

TEST(IdxTest, UnsupportedTypeCode) {
  ScratchDir dir;
  expect_rejected(dir,
                  idx_bytes(0x0d, {1}, std::string(4, '\0')),
                  "unsupported IDX type code 0x0d (only 0x08");
}

TEST(IdxTest, RankOutsideOneToThree) {
  ScratchDir dir;
  expect_rejected(dir, idx_bytes(0x08, {}, ""), "got 0");
  expect_rejected(dir,
                  idx_bytes(0x08, {1, 1, 1, 1}, "x"),
                  "expected 1 to 3 dimensions, got 4");
}

TEST(IdxTest, TruncatedHeader) {
  ScratchDir dir;
  expect_rejected(
      dir, std::string("\0\0\x08", 3), "file ends inside the IDX header");
  const std::string two_dims_one_given =
      idx_bytes(0x08, {3, 4}, "").substr(0, 10);
  expect_rejected(dir, two_dims_one_given, "file ends inside the IDX header");
}

TEST(IdxTest, ShortPayload) {
  ScratchDir dir;
  expect_rejected(dir,
                  idx_bytes(0x08, {3, 4}, counting_payload(10)),
                  "payload is short: expected 12 bytes, found 10");
}

TEST(IdxTest, HugeClaimedShapeIsRejectedWithoutAllocating) {
  // 65535^3 bytes is 256 TiB: the reader must notice the short payload
  // rather than reserve that much.
  ScratchDir dir;
  expect_rejected(dir,
                  idx_bytes(0x08, {65535, 65535, 65535}, "abc"),
                  "payload is short: expected 281462092005375 bytes, found 3");
  expect_rejected(dir,
                  idx_bytes(0x08, {0xffffffff, 0xffffffff, 0xffffffff}, ""),
                  "shape 4294967295 x 4294967295 x 4294967295 overflows");
}

TEST(IdxTest, CorruptGzipAndMissingFile) {
  ScratchDir dir;
  const std::string path = dir.file("corrupt.gz");
  // A gzip member header, then bytes that are no valid deflate stream.
  write_raw(path,
            std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10) +
                std::string(64, '\xff'));
  expect_input_error(path, "corrupt gzip data", [&] { read_idx(path); });

  const std::string missing = dir.file("absent.gz");
  expect_input_error(missing, "no such file", [&] { read_idx(missing); });
}

// ---------------------------------------------------------------------------
// load_fashion_mnist

TEST(IdxFashionMnistTest, SyntheticDirectoryInTheFileLayout) {
  ScratchDir dir;
  // Two 2 x 3 images; the labels are uncompressed to cover that fallback.
  std::string pixels = {
      0, 51, 102, 127, static_cast<char>(255), 1, 2, 3, 4, 5, 6, 7};
  write_gzip(dir.file("t10k-images-idx3-ubyte.gz"),
             idx_bytes(0x08, {2, 2, 3}, pixels));
  write_raw(dir.file("t10k-labels-idx1-ubyte"),
            idx_bytes(0x08, {2}, std::string("\x09\x00", 2)));
  ScopedEnv env("RMTLENS_FASHION_MNIST", dir.path());

  EXPECT_EQ(fashion_mnist_directory(), dir.path());
  const ImageDataset data = load_fashion_mnist(Split::kTest);
  EXPECT_EQ(data.height, 2);
  EXPECT_EQ(data.width, 3);
  ASSERT_EQ(data.images.rows(), 2);
  ASSERT_EQ(data.images.cols(), 6);
  for (int i = 0; i < 2; ++i) {
    for (int p = 0; p < 6; ++p) {
      const auto byte = static_cast<unsigned char>(pixels[6 * i + p]);
      EXPECT_EQ(data.images(i, p), byte / 255.0) << i << ", " << p;
    }
  }
  EXPECT_EQ(data.labels, (std::vector<std::int64_t>{9, 0}));
}

TEST(IdxFashionMnistTest, MissingFilesGiveTheInstallHint) {
  ScratchDir dir;
  ScopedEnv env("RMTLENS_FASHION_MNIST", dir.path());
  const std::string expected = dir.file("train-images-idx3-ubyte.gz");
  expect_input_error(expected, "apt-get install dataset-fashion-mnist", [] {
    load_fashion_mnist(Split::kTrain);
  });
}

TEST(IdxFashionMnistTest, LabelsOutsideTheTenClasses) {
  ScratchDir dir;
  write_gzip(dir.file("train-images-idx3-ubyte.gz"),
             idx_bytes(0x08, {2, 1, 1}, std::string(2, '\0')));
  const std::string labels = dir.file("train-labels-idx1-ubyte.gz");
  write_gzip(labels, idx_bytes(0x08, {2}, std::string("\x03\x0c", 2)));
  ScopedEnv env("RMTLENS_FASHION_MNIST", dir.path());
  expect_input_error(labels, "label 12 at index 1 is outside 0..9", [] {
    load_fashion_mnist(Split::kTrain);
  });

  write_gzip(labels, idx_bytes(0x08, {3}, std::string(3, '\0')));
  expect_input_error(labels, "expected 2 labels to match the images", [] {
    load_fashion_mnist(Split::kTrain);
  });
}

TEST(IdxFashionMnistTest, RealTestSplitFromDebian) {
  // The Debian package (scripts/setup installs it); an unset variable makes
  // the loader use its default directory.
  ScopedEnv env("RMTLENS_FASHION_MNIST", std::nullopt);
  const ImageDataset data = load_fashion_mnist(Split::kTest);

  ASSERT_EQ(data.images.rows(), 10000);
  ASSERT_EQ(data.images.cols(), 784);
  EXPECT_EQ(data.height, 28);
  EXPECT_EQ(data.width, 28);
  EXPECT_GE(data.images.minCoeff(), 0.0);
  EXPECT_LE(data.images.maxCoeff(), 1.0);

  ASSERT_EQ(data.labels.size(), 10000u);
  std::vector<int> counts(10, 0);
  for (const std::int64_t label : data.labels) {
    ASSERT_GE(label, 0);
    ASSERT_LE(label, 9);
    ++counts[label];
  }
  EXPECT_EQ(counts, std::vector<int>(10, 1000));
}

}  // namespace
}  // namespace rmtlens
