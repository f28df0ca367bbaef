// IDX files (the MNIST family), plain or gzip-compressed, and the
// Fashion-MNIST data set that Debian's dataset-fashion-mnist ships.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rmtlens/types.hpp"

namespace rmtlens {

// An IDX array of unsigned bytes (type code 0x08), the only type the MNIST
// family uses. shape has 1-3 dimensions; data is in row-major order.
struct IdxArray {
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> data;
};

// Reads `path` (gzip or raw; zlib detects which). Throws InputError naming
// the file on bad magic, an unsupported type code, or a short payload.
IdxArray read_idx(const std::string& path);

// Images as an n x (rows*cols) matrix of pixels scaled to [0, 1] and their
// integer labels 0-9.
struct ImageDataset {
  Matrix images;
  std::vector<std::int64_t> labels;
  std::int64_t height = 0;
  std::int64_t width = 0;
};

enum class Split { kTrain, kTest };

// Directory holding the Fashion-MNIST files: $RMTLENS_FASHION_MNIST if set,
// else /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist).
std::string fashion_mnist_directory();

// Loads one split (train: 60000 images, test: 10000; 28 x 28 pixels). Each
// file may be gzip-compressed (NAME.gz, as Debian ships it) or plain
// (NAME). Throws InputError (with the install hint) when the files are
// missing, and as read_idx does; also on a label outside 0-9 or image and
// label counts that differ.
ImageDataset load_fashion_mnist(Split split);

// Example:
//   rmtlens::ImageDataset test = rmtlens::load_fashion_mnist(
//       rmtlens::Split::kTest);
//   // test.images: 10000 x 784, test.labels[i] in 0..9

}  // namespace rmtlens
