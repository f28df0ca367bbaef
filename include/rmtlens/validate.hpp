// Checks made at the door, before any work starts. Each throws InputError
// with one line naming the file, what is wrong and where.
#pragma once

#include <cstdint>
#include <string>

#include "rmtlens/targets.hpp"
#include "rmtlens/types.hpp"

namespace rmtlens {

// Throws if `m` holds a NaN or Inf (reports the first row and column).
void require_finite(const Matrix& m, const std::string& file);

// max |K_ij - K_ji| / max |K_ij|, 0 for an exactly symmetric matrix.
double relative_asymmetry(const Matrix& k);

// Asymmetry above this is an error, not round-off.
constexpr double kAsymmetryTolerance = 1e-6;

// Shapes, finiteness and symmetry of a kernel sweep's inputs. Returns the
// relative asymmetry found (below tolerance; the sweep symmetrises).
double check_kernel_inputs(const Matrix& pool_kernel,
                           const Matrix& test_kernel,
                           const Targets& train,
                           const Targets& test,
                           const std::string& kernel_file,
                           const std::string& test_kernel_file,
                           const std::string& labels_file,
                           const std::string& test_labels_file);

// Shapes and finiteness of a feature sweep's inputs.
void check_feature_inputs(const Matrix& features,
                          const Matrix& test_features,
                          const Targets& train,
                          const Targets& test,
                          const std::string& features_file,
                          const std::string& test_features_file,
                          const std::string& labels_file,
                          const std::string& test_labels_file);

// Bytes of memory available to this process (MemAvailable), or 0 when it
// cannot be read.
std::int64_t available_memory_bytes();

// Throws InputError if `bytes_needed` exceeds what is available, stating
// the estimate, what it is for and the available amount.
void require_memory(std::int64_t bytes_needed, const std::string& what);

}  // namespace rmtlens
