#include "rmtlens/validate.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

namespace rmtlens {

namespace {

// Built by appending: GCC 12 warns falsely (-Wrestrict) on the inlined
// chain of string operator+ this would otherwise be.
std::string shape_text(const Matrix& m) {
  std::string text = "(";
  text += std::to_string(m.rows());
  text += ", ";
  text += std::to_string(m.cols());
  text += ")";
  return text;
}

void require_rows(const Matrix& m,
                  Index rows,
                  const std::string& file,
                  const std::string& what) {
  if (m.rows() != rows) {
    throw InputError(file + ": has " + std::to_string(m.rows()) + " rows but " +
                     what + " has " + std::to_string(rows));
  }
}

void check_targets(const Targets& train,
                   const Targets& test,
                   const std::string& labels_file,
                   const std::string& test_labels_file) {
  require_finite(train.y, labels_file);
  require_finite(test.y, test_labels_file);
  if (train.outputs() != test.outputs()) {
    throw InputError(test_labels_file + ": has " +
                     std::to_string(test.outputs()) + " outputs but " +
                     labels_file + " has " + std::to_string(train.outputs()));
  }
}

std::string format_gib(std::int64_t bytes) {
  std::ostringstream s;
  s.precision(3);
  s << static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0) << " GiB";
  return s.str();
}

}  // namespace

void require_finite(const Matrix& m, const std::string& file) {
  if (m.size() == 0) throw InputError(file + ": is empty");
  if (m.allFinite()) return;
  for (Index j = 0; j < m.cols(); ++j) {
    for (Index i = 0; i < m.rows(); ++i) {
      if (!std::isfinite(m(i, j))) {
        std::ostringstream s;
        s << file << ": non-finite value " << m(i, j) << " at row " << i
          << ", column " << j;
        throw InputError(s.str());
      }
    }
  }
}

double relative_asymmetry(const Matrix& k) {
  const double scale = k.cwiseAbs().maxCoeff();
  if (scale == 0.0) return 0.0;
  double worst = 0.0;
  for (Index j = 0; j < k.cols(); ++j) {
    for (Index i = j + 1; i < k.rows(); ++i) {
      worst = std::max(worst, std::abs(k(i, j) - k(j, i)));
    }
  }
  return worst / scale;
}

double check_kernel_inputs(const Matrix& pool_kernel,
                           const Matrix& test_kernel,
                           const Targets& train,
                           const Targets& test,
                           const std::string& kernel_file,
                           const std::string& test_kernel_file,
                           const std::string& labels_file,
                           const std::string& test_labels_file) {
  if (pool_kernel.rows() != pool_kernel.cols()) {
    throw InputError(kernel_file + ": a kernel must be square, got shape " +
                     shape_text(pool_kernel));
  }
  require_finite(pool_kernel, kernel_file);
  require_finite(test_kernel, test_kernel_file);
  if (test_kernel.cols() != pool_kernel.rows()) {
    throw InputError(test_kernel_file + ": has " +
                     std::to_string(test_kernel.cols()) +
                     " columns but the pool in " + kernel_file + " has " +
                     std::to_string(pool_kernel.rows()) + " points");
  }
  require_rows(train.y, pool_kernel.rows(), labels_file, kernel_file);
  require_rows(test.y, test_kernel.rows(), test_labels_file, test_kernel_file);
  check_targets(train, test, labels_file, test_labels_file);

  const double asymmetry = relative_asymmetry(pool_kernel);
  if (asymmetry > kAsymmetryTolerance) {
    std::ostringstream s;
    s << kernel_file << ": the kernel is not symmetric (max |K_ij - K_ji| / "
      << "max |K| = " << asymmetry << " > " << kAsymmetryTolerance << ")";
    throw InputError(s.str());
  }
  return asymmetry;
}

void check_feature_inputs(const Matrix& features,
                          const Matrix& test_features,
                          const Targets& train,
                          const Targets& test,
                          const std::string& features_file,
                          const std::string& test_features_file,
                          const std::string& labels_file,
                          const std::string& test_labels_file) {
  require_finite(features, features_file);
  require_finite(test_features, test_features_file);
  if (features.cols() != test_features.cols()) {
    throw InputError(test_features_file + ": has " +
                     std::to_string(test_features.cols()) +
                     " features per row but " + features_file + " has " +
                     std::to_string(features.cols()));
  }
  require_rows(train.y, features.rows(), labels_file, features_file);
  require_rows(
      test.y, test_features.rows(), test_labels_file, test_features_file);
  check_targets(train, test, labels_file, test_labels_file);
}

std::int64_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

void require_memory(std::int64_t bytes_needed, const std::string& what) {
  const std::int64_t available = available_memory_bytes();
  if (available > 0 && bytes_needed > available) {
    throw InputError(what + " needs about " + format_gib(bytes_needed) +
                     " of memory but only " + format_gib(available) +
                     " is available; use fewer or smaller sizes, or the "
                     "distributed build (docs/scale-out.md)");
  }
}

}  // namespace rmtlens
