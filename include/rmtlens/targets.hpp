// Regression targets from class labels or float target matrices.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rmtlens/types.hpp"

namespace rmtlens {

// n x C targets. For classification, y_ic = [class(i) = c] - 1/C and
// class_index holds class(i) in 0..C-1; for regression class_index is
// empty and no classification error is reported.
struct Targets {
  Matrix y;
  std::vector<std::int64_t> class_index;
  std::vector<std::int64_t> class_values;  // original label of each column

  Index size() const { return y.rows(); }
  Index outputs() const { return y.cols(); }
  bool is_classification() const { return !class_index.empty(); }
};

// Centred one-hot targets. The classes are the distinct values of
// `train_labels`; `test_labels` must use only those (InputError naming
// `test_file` otherwise). Labels must be >= 0.
void make_class_targets(const std::vector<std::int64_t>& train_labels,
                        const std::vector<std::int64_t>& test_labels,
                        const std::string& train_file,
                        const std::string& test_file,
                        Targets* train,
                        Targets* test);

// Reads a labels file: a 1-D integer array becomes class labels, a 2-D
// float array an n x C target matrix. Both files must be of one kind and,
// for matrices, have the same C.
void load_targets(const std::string& train_file,
                  const std::string& test_file,
                  Targets* train,
                  Targets* test);

// Rows `order[0..n)` of `t`, in that order.
Targets take_rows(const Targets& t,
                  const std::vector<std::int64_t>& order,
                  Index n);

}  // namespace rmtlens
