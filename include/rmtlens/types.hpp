// Matrix types and the error kinds shared by every part of rmtlens.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace rmtlens {

// Column-major float64 storage, the layout LAPACK expects. A data set of n
// samples with p features is an n x p Matrix (one sample per row).
using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;
using Index = Eigen::Index;

// A caller error: bad input, an impossible request. The message is one line
// that names the file or parameter, the value and the bound it broke.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A request for something rmtlens does not do (yet): said plainly rather
// than silently doing something else.
class NotImplemented : public std::runtime_error {
 public:
  explicit NotImplemented(const std::string& what)
      : std::runtime_error("not implemented: " + what) {}
};

}  // namespace rmtlens
