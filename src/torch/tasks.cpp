// Class-range image tasks and .npy network inputs; no LibTorch here.
#include "rmtlens/torch/tasks.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <random>

#include "rmtlens/npy.hpp"
#include "rmtlens/torch/ntk.hpp"

namespace rmtlens {
namespace {

int parse_class(const std::string& item,
                const std::string& flag,
                const std::string& text) {
  std::size_t used = 0;
  int value = -1;
  try {
    value = std::stoi(item, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != item.size() || value < 0 || value > 9) {
    throw InputError(
        fmt::format("{} '{}': '{}' is not a class 0-9", flag, text, item));
  }
  return value;
}

}  // namespace

std::vector<int> parse_class_list(const std::string& text,
                                  const std::string& flag) {
  std::vector<int> classes;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) {
    const auto dash = item.find('-');
    if (dash == std::string::npos) {
      classes.push_back(parse_class(item, flag, text));
      continue;
    }
    const int first = parse_class(item.substr(0, dash), flag, text);
    const int last = parse_class(item.substr(dash + 1), flag, text);
    for (int c = first; c <= last; ++c) classes.push_back(c);
  }
  auto sorted = classes;
  std::sort(sorted.begin(), sorted.end());
  if (classes.empty() ||
      std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    throw InputError(
        fmt::format("{} '{}': needs one or more distinct classes", flag, text));
  }
  return classes;
}

ImageTask select_classes(const ImageDataset& data,
                         const std::vector<int>& classes,
                         std::int64_t count,
                         std::uint64_t seed,
                         const std::string& what) {
  std::vector<std::int64_t> label_of(10, -1);
  for (std::size_t k = 0; k < classes.size(); ++k) label_of[classes[k]] = k;

  std::vector<std::int64_t> rows;
  for (std::size_t i = 0; i < data.labels.size(); ++i) {
    const auto c = data.labels[i];
    if (c >= 0 && c < 10 && label_of[c] >= 0) rows.push_back(i);
  }
  if (count > static_cast<std::int64_t>(rows.size())) {
    throw InputError(
        fmt::format("{}: {} images requested, classes {} have only {}",
                    what,
                    count,
                    fmt::join(classes, ","),
                    rows.size()));
  }
  if (count <= 0) count = rows.size();

  // A seeded shuffle, so that the first N rows of the result are a
  // random sample and sizes taken from the front are nested.
  std::mt19937_64 rng(seed);
  std::shuffle(rows.begin(), rows.end(), rng);
  rows.resize(count);

  ImageTask task;
  task.classes = classes;
  task.height = data.height;
  task.width = data.width;
  task.images.resize(count, data.images.cols());
  task.labels.resize(count);
  for (std::int64_t r = 0; r < count; ++r) {
    task.images.row(r) = data.images.row(rows[r]);
    task.labels[r] = label_of[data.labels[rows[r]]];
  }
  return task;
}

namespace {

// Arrays of more than two dimensions, which read_npy_matrix refuses:
// little-endian float32/float64/uint8 in C order, the forms numpy writes
// for image batches.
Matrix read_nd_rows(const std::string& path,
                    const std::string& flag,
                    const NpyHeader& header) {
  const bool supported = !header.big_endian && !header.fortran_order &&
                         ((header.kind == 'f' &&
                           (header.item_size == 4 || header.item_size == 8)) ||
                          (header.kind == 'u' && header.item_size == 1));
  if (!supported) {
    throw InputError(fmt::format(
        "{} {}: a {}-D array must be little-endian float32, float64 or "
        "uint8 in C order",
        flag,
        path,
        header.shape.size()));
  }
  const std::int64_t n = header.shape[0];
  const std::int64_t d = header.element_count() / std::max<std::int64_t>(n, 1);
  std::vector<char> bytes(header.element_count() * header.item_size);
  std::ifstream in(path, std::ios::binary);
  in.seekg(header.data_offset);
  in.read(bytes.data(), bytes.size());
  if (!in) {
    throw InputError(
        fmt::format("{} {}: file shorter than its header says", flag, path));
  }

  Matrix rows(n, d);
  for (std::int64_t i = 0; i < n * d; ++i) {
    double v;
    if (header.kind == 'u') {
      v = static_cast<unsigned char>(bytes[i]);
    } else if (header.item_size == 4) {
      float f;
      std::memcpy(&f, bytes.data() + 4 * i, 4);
      v = f;
    } else {
      std::memcpy(&v, bytes.data() + 8 * i, 8);
    }
    rows(i / d, i % d) = v;
  }
  return rows;
}

}  // namespace

InputArray read_input_array(const std::string& path,
                            const std::string& flag,
                            const std::vector<std::int64_t>& sample_shape) {
  const NpyHeader header = read_npy_header(path);
  if (header.shape.size() < 2) {
    throw InputError(
        fmt::format("{} {}: inputs need shape (n, ...), got {} dimension(s)",
                    flag,
                    path,
                    header.shape.size()));
  }
  InputArray inputs;
  inputs.values = header.shape.size() == 2 ? read_npy_matrix(path)
                                           : read_nd_rows(path, flag, header);
  inputs.sample_shape.assign(header.shape.begin() + 1, header.shape.end());
  if (!sample_shape.empty()) {
    const std::int64_t want = std::accumulate(sample_shape.begin(),
                                              sample_shape.end(),
                                              std::int64_t{1},
                                              std::multiplies<>());
    if (want != inputs.values.cols()) {
      throw InputError(
          fmt::format("{} {}: {} values per sample, --input-shape {} has {}",
                      flag,
                      path,
                      inputs.values.cols(),
                      fmt::join(sample_shape, ","),
                      want));
    }
    inputs.sample_shape = sample_shape;
  }
  if (!inputs.values.allFinite()) {
    throw InputError(fmt::format("{} {}: contains NaN or Inf", flag, path));
  }
  return inputs;
}

}  // namespace rmtlens
