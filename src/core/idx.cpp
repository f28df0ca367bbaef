// IDX files, the format of LeCun's MNIST distribution: two zero bytes, a
// type code, the number of dimensions, each dimension as a big-endian
// uint32, then the elements in row-major order. zlib's gzread reads gzip
// and uncompressed files alike.
#include "rmtlens/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <memory>

namespace rmtlens {
namespace {

constexpr int kUnsignedByteType = 0x08;
constexpr int kMaxDimensions = 3;
// gzread takes an unsigned int count, so reads go in pieces of this size.
constexpr std::size_t kReadBytes = std::size_t{1} << 24;
// The payload buffer grows from the first size up to steps of the last.
constexpr std::size_t kFirstChunkBytes = std::size_t{1} << 16;
constexpr std::size_t kMaxChunkBytes = std::size_t{1} << 24;
constexpr int kClassCount = 10;

constexpr char kDefaultFashionMnistDirectory[] =
    "/usr/share/datasets/fashion-mnist";

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw InputError(path + ": " + what);
}

std::string hex_byte(int value) {
  constexpr char kHex[] = "0123456789abcdef";
  return std::string("0x") + kHex[(value >> 4) & 0xf] + kHex[value & 0xf];
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    text += (i > 0 ? " x " : "") + std::to_string(shape[i]);
  }
  return text;
}

struct GzCloser {
  void operator()(gzFile file) const { gzclose(file); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

GzHandle open_gz(const std::string& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status)) fail(path, "no such file");
  if (std::filesystem::is_directory(status)) {
    fail(path, "is a directory, expected an IDX file");
  }

  GzHandle file(gzopen(path.c_str(), "rb"));
  if (!file) fail(path, "cannot open for reading");
  return file;
}

// Reads up to n bytes; fewer only at the end of the data.
std::size_t read_some(gzFile file,
                      const std::string& path,
                      void* dest,
                      std::size_t n) {
  auto* out = static_cast<unsigned char*>(dest);
  std::size_t total = 0;
  while (total < n) {
    const auto chunk = static_cast<unsigned>(std::min(kReadBytes, n - total));
    const int got = gzread(file, out + total, chunk);
    if (got < 0) {
      int code = 0;
      fail(path, std::string("corrupt gzip data: ") + gzerror(file, &code));
    }
    if (got == 0) break;
    total += static_cast<std::size_t>(got);
  }
  return total;
}

// Magic and dimensions. Returns the shape.
std::vector<std::int64_t> read_shape(gzFile file, const std::string& path) {
  std::array<unsigned char, 4> magic{};
  if (read_some(file, path, magic.data(), magic.size()) < magic.size()) {
    fail(path, "file ends inside the IDX header");
  }
  if (magic[0] != 0 || magic[1] != 0) {
    fail(path,
         "not an IDX file: bad magic " + hex_byte(magic[0]) + " " +
             hex_byte(magic[1]) + " (expected 0x00 0x00)");
  }
  if (magic[2] != kUnsignedByteType) {
    fail(path,
         "unsupported IDX type code " + hex_byte(magic[2]) +
             " (only 0x08, unsigned byte, is supported)");
  }
  const int rank = magic[3];
  if (rank < 1 || rank > kMaxDimensions) {
    fail(path, "expected 1 to 3 dimensions, got " + std::to_string(rank));
  }

  std::vector<std::int64_t> shape;
  for (int i = 0; i < rank; ++i) {
    std::array<unsigned char, 4> be{};
    if (read_some(file, path, be.data(), be.size()) < be.size()) {
      fail(path, "file ends inside the IDX header");
    }
    shape.push_back(std::int64_t{be[0]} << 24 | std::int64_t{be[1]} << 16 |
                    std::int64_t{be[2]} << 8 | std::int64_t{be[3]});
  }
  return shape;
}

// The payload of `size` bytes. The buffer grows geometrically with the
// bytes actually read, so a header claiming a huge shape cannot make us
// allocate memory the file does not back.
std::vector<std::uint8_t> read_payload(gzFile file,
                                       const std::string& path,
                                       std::uint64_t size) {
  std::vector<std::uint8_t> data;
  while (data.size() < size) {
    const std::size_t old_size = data.size();
    const std::size_t step =
        std::clamp(old_size, kFirstChunkBytes, kMaxChunkBytes);
    const std::size_t want = std::min<std::uint64_t>(step, size - old_size);
    data.resize(old_size + want);
    const std::size_t got = read_some(file, path, data.data() + old_size, want);
    data.resize(old_size + got);
    if (got < want) break;
  }

  if (data.size() < size) {
    fail(path,
         "payload is short: expected " + std::to_string(size) +
             " bytes, found " + std::to_string(data.size()));
  }
  return data;
}

// Byte size of a shape; three uint32 dimensions can overflow 64 bits.
std::uint64_t payload_size(const std::string& path,
                           const std::vector<std::int64_t>& shape) {
  std::uint64_t size = 1;
  for (const std::int64_t dim : shape) {
    if (__builtin_mul_overflow(size, static_cast<std::uint64_t>(dim), &size)) {
      fail(path, "shape " + shape_text(shape) + " overflows 64 bits");
    }
  }
  return size;
}

// The .gz file Debian ships, or an uncompressed copy of it.
std::string locate_file(const std::string& directory, const std::string& stem) {
  const std::string compressed = directory + "/" + stem + ".gz";
  const std::string plain = directory + "/" + stem;
  std::error_code error;
  if (std::filesystem::exists(compressed, error)) return compressed;
  if (std::filesystem::exists(plain, error)) return plain;
  fail(compressed,
       "not found; install Debian's dataset-fashion-mnist "
       "(apt-get install dataset-fashion-mnist) or set "
       "RMTLENS_FASHION_MNIST to a directory holding the "
       "Fashion-MNIST files");
}

void check_dataset(const IdxArray& images,
                   const std::string& images_path,
                   const IdxArray& labels,
                   const std::string& labels_path) {
  if (images.shape.size() != 3) {
    fail(images_path,
         "expected images of shape n x height x width, got " +
             shape_text(images.shape));
  }
  if (labels.shape.size() != 1 || labels.shape[0] != images.shape[0]) {
    fail(labels_path,
         "expected " + std::to_string(images.shape[0]) +
             " labels to match the images, got shape " +
             shape_text(labels.shape));
  }
  for (std::size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] >= kClassCount) {
      fail(labels_path,
           "label " + std::to_string(labels.data[i]) + " at index " +
               std::to_string(i) + " is outside 0..9");
    }
  }
}

ImageDataset make_dataset(const IdxArray& images, const IdxArray& labels) {
  ImageDataset dataset;
  dataset.height = images.shape[1];
  dataset.width = images.shape[2];
  const Index n = images.shape[0];
  const Index pixels = dataset.height * dataset.width;

  // The file is row-major (one image after another); Matrix is col-major.
  using ByteRows = Eigen::
      Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const ByteRows> bytes(images.data.data(), n, pixels);
  dataset.images = bytes.cast<double>() / 255.0;

  dataset.labels.assign(labels.data.begin(), labels.data.end());
  return dataset;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  const GzHandle file = open_gz(path);
  IdxArray array;
  array.shape = read_shape(file.get(), path);
  array.data = read_payload(file.get(), path, payload_size(path, array.shape));
  return array;
}

std::string fashion_mnist_directory() {
  const char* custom = std::getenv("RMTLENS_FASHION_MNIST");
  if (custom != nullptr && *custom != '\0') return custom;
  return kDefaultFashionMnistDirectory;
}

ImageDataset load_fashion_mnist(Split split) {
  const std::string directory = fashion_mnist_directory();
  const std::string prefix = split == Split::kTrain ? "train" : "t10k";
  const std::string images_path =
      locate_file(directory, prefix + "-images-idx3-ubyte");
  const std::string labels_path =
      locate_file(directory, prefix + "-labels-idx1-ubyte");

  const IdxArray images = read_idx(images_path);
  const IdxArray labels = read_idx(labels_path);
  check_dataset(images, images_path, labels, labels_path);
  return make_dataset(images, labels);
}

}  // namespace rmtlens
