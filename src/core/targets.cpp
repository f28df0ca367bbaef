#include "rmtlens/targets.hpp"

#include <algorithm>
#include <map>

#include "rmtlens/npy.hpp"

namespace rmtlens {

namespace {

// Centred one-hot rows: y_ic = [class(i) = c] - 1/C (DESIGN section 1).
Targets one_hot(const std::vector<std::int64_t>& labels,
                const std::map<std::int64_t, std::int64_t>& column_of,
                const std::vector<std::int64_t>& class_values,
                const std::string& file) {
  const Index n = static_cast<Index>(labels.size());
  const Index c = static_cast<Index>(class_values.size());
  Targets t;
  t.y = Matrix::Constant(n, c, -1.0 / static_cast<double>(c));
  t.class_index.resize(labels.size());
  t.class_values = class_values;

  for (Index i = 0; i < n; ++i) {
    const auto found = column_of.find(labels[i]);
    if (found == column_of.end()) {
      throw InputError(file + ": label " + std::to_string(labels[i]) +
                       " at index " + std::to_string(i) +
                       " is not among the training classes");
    }
    t.class_index[i] = found->second;
    t.y(i, found->second) += 1.0;
  }
  return t;
}

void require_non_negative(const std::vector<std::int64_t>& labels,
                          const std::string& file) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0) {
      throw InputError(file + ": class labels must be >= 0, found " +
                       std::to_string(labels[i]) + " at index " +
                       std::to_string(i));
    }
  }
}

}  // namespace

void make_class_targets(const std::vector<std::int64_t>& train_labels,
                        const std::vector<std::int64_t>& test_labels,
                        const std::string& train_file,
                        const std::string& test_file,
                        Targets* train,
                        Targets* test) {
  require_non_negative(train_labels, train_file);
  require_non_negative(test_labels, test_file);

  std::vector<std::int64_t> values = train_labels;
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  if (values.size() < 2) {
    throw InputError(train_file +
                     ": classification needs at least 2 "
                     "classes, found " +
                     std::to_string(values.size()));
  }
  std::map<std::int64_t, std::int64_t> column_of;
  for (size_t c = 0; c < values.size(); ++c) {
    column_of[values[c]] = static_cast<std::int64_t>(c);
  }

  *train = one_hot(train_labels, column_of, values, train_file);
  *test = one_hot(test_labels, column_of, values, test_file);
}

void load_targets(const std::string& train_file,
                  const std::string& test_file,
                  Targets* train,
                  Targets* test) {
  // A 1-D file holds class labels, a 2-D file a float target matrix.
  const bool train_is_matrix = read_npy_header(train_file).shape.size() == 2;
  const bool test_is_matrix = read_npy_header(test_file).shape.size() == 2;
  if (train_is_matrix != test_is_matrix) {
    throw InputError(test_file + ": is " +
                     (test_is_matrix ? "a target matrix" : "class labels") +
                     " but " + train_file + " is " +
                     (train_is_matrix ? "a target matrix" : "class labels") +
                     "; both must be of one kind");
  }

  if (!train_is_matrix) {
    make_class_targets(read_npy_integers(train_file),
                       read_npy_integers(test_file),
                       train_file,
                       test_file,
                       train,
                       test);
    return;
  }
  train->y = read_npy_matrix(train_file);
  test->y = read_npy_matrix(test_file);
  train->class_index.clear();
  test->class_index.clear();
}

Targets take_rows(const Targets& t,
                  const std::vector<std::int64_t>& order,
                  Index n) {
  Targets out;
  out.y.resize(n, t.y.cols());
  out.class_values = t.class_values;
  if (t.is_classification()) out.class_index.resize(static_cast<size_t>(n));
  for (Index i = 0; i < n; ++i) {
    out.y.row(i) = t.y.row(order[i]);
    if (t.is_classification()) out.class_index[i] = t.class_index[order[i]];
  }
  return out;
}

}  // namespace rmtlens
