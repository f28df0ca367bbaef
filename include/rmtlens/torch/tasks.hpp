// Image classification tasks carved out of a labelled image set: a class
// range, relabelled 0..k-1, in a seeded random order. The transfer study
// pretrains on one class range and analyses another, so the two never
// share an image.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rmtlens/idx.hpp"
#include "rmtlens/types.hpp"

namespace rmtlens {

// "0-4", "5,7,9" or "3"; classes 0-9, no repeats. Throws InputError
// naming `flag` and the text.
std::vector<int> parse_class_list(const std::string& text,
                                  const std::string& flag);

struct ImageTask {
  Matrix images;                     // n x (height * width * channels)
  std::vector<std::int64_t> labels;  // n, position in `classes`: 0..k-1
  std::vector<int> classes;          // original class of each label
  std::int64_t height = 0;
  std::int64_t width = 0;
};

// The images of `data` whose class is in `classes`, in an order drawn from
// `seed`, the first `count` of them (count <= 0: all). Labels become the
// index into `classes`. Throws InputError when fewer than `count` exist.
ImageTask select_classes(const ImageDataset& data,
                         const std::vector<int>& classes,
                         std::int64_t count,
                         std::uint64_t seed,
                         const std::string& what);

}  // namespace rmtlens

// Example:
//   auto train = rmtlens::load_fashion_mnist(rmtlens::Split::kTrain);
//   auto task = rmtlens::select_classes(train, {5, 6, 7, 8, 9}, 2000, 0,
//                                       "training pool");
