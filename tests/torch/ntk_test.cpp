// The eNTK against independent references: finite differences of the
// network outputs, the literal per-sample autograd loop, and PyTorch
// itself on a TorchScript model exported in the test.
#include "rmtlens/torch/ntk.hpp"

#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "rmtlens/npy.hpp"
#include "tiny_tasks.hpp"

namespace rmtlens {
namespace {

using testing::max_abs;
using testing::relative_difference;
using testing::tiny_inputs;
using testing::trained_tiny_network;

NtkOptions float64_options(GradientMethod method) {
  NtkOptions options;
  options.precision = NtkPrecision::kFloat64;
  options.method = method;
  options.batch_size = 3;  // several batches, one of them partial
  return options;
}

// J by central differences of f over every parameter: error O(h^2) from
// the third derivative plus O(eps / h) rounding, about 1e-10 relative
// for h = 1e-5 on these smooth-almost-everywhere networks.
Matrix finite_difference_jacobian(const NtkModel& model,
                                  const InputArray& inputs) {
  const double h = 1e-5;
  const Vector w = parameter_vector(model);
  Matrix jacobian(inputs.count(), w.size());
  for (Index p = 0; p < w.size(); ++p) {
    Vector shifted = w;
    shifted(p) = w(p) + h;
    set_parameter_vector(model, shifted);
    const Vector up = evaluate_model(model, inputs, NtkPrecision::kFloat64);
    shifted(p) = w(p) - h;
    set_parameter_vector(model, shifted);
    const Vector down = evaluate_model(model, inputs, NtkPrecision::kFloat64);
    jacobian.col(p) = (up - down) / (2 * h);
  }
  set_parameter_vector(model, w);
  return jacobian;
}

class BuiltinNtk : public ::testing::TestWithParam<Architecture> {};

// Invariant: K = J J^T and K* = J* J^T with J from finite differences.
TEST_P(BuiltinNtk, MatchesFiniteDifferences) {
  const auto model = NtkModel::from_network(trained_tiny_network(GetParam()),
                                            /*head_seed=*/3);
  const InputArray train = tiny_inputs(5, 11);
  const InputArray test = tiny_inputs(3, 12);
  const NtkResult r = compute_ntk(
      model, train, &test, float64_options(GradientMethod::kStructured));

  const Matrix j = finite_difference_jacobian(model, train);
  const Matrix jt = finite_difference_jacobian(model, test);
  EXPECT_LT(relative_difference(r.kernel, j * j.transpose()), 1e-6);
  EXPECT_LT(relative_difference(r.test_kernel, jt * j.transpose()), 1e-6);
  EXPECT_EQ(r.parameter_count, j.cols());
}

// Invariant: the structured per-layer gradients equal the literal loop of
// one backward pass per input, to rounding (float64, summation order).
TEST_P(BuiltinNtk, StructuredEqualsPerSampleLoop) {
  const auto model = NtkModel::from_network(trained_tiny_network(GetParam()),
                                            /*head_seed=*/3);
  const InputArray train = tiny_inputs(7, 21);
  const InputArray test = tiny_inputs(4, 22);
  const NtkResult fast = compute_ntk(
      model, train, &test, float64_options(GradientMethod::kStructured));
  const NtkResult loop = compute_ntk(
      model, train, &test, float64_options(GradientMethod::kPerSample));
  EXPECT_EQ(fast.method, GradientMethod::kStructured);
  EXPECT_EQ(loop.method, GradientMethod::kPerSample);
  EXPECT_LT(relative_difference(fast.kernel, loop.kernel), 1e-12);
  EXPECT_LT(relative_difference(fast.test_kernel, loop.test_kernel), 1e-12);
}

// Invariant: chunking changes the order of summation, nothing else.
TEST_P(BuiltinNtk, ChunkedEqualsUnchunked) {
  const auto model = NtkModel::from_network(trained_tiny_network(GetParam()),
                                            /*head_seed=*/3);
  const InputArray train = tiny_inputs(6, 31);
  const InputArray test = tiny_inputs(2, 32);
  for (auto method :
       {GradientMethod::kStructured, GradientMethod::kPerSample}) {
    NtkOptions whole = float64_options(method);
    NtkOptions chunked = whole;
    chunked.max_chunk_columns = GetParam() == Architecture::kResNet ? 600 : 190;
    const NtkResult a = compute_ntk(model, train, &test, whole);
    const NtkResult b = compute_ntk(model, train, &test, chunked);
    EXPECT_EQ(a.chunk_count, 1);
    if (GetParam() == Architecture::kResNet ||
        method == GradientMethod::kPerSample) {
      EXPECT_GT(b.chunk_count, 1);
    }
    EXPECT_LT(relative_difference(b.kernel, a.kernel), 1e-13);
    EXPECT_LT(relative_difference(b.test_kernel, a.test_kernel), 1e-13);
  }
}

// Invariant: K is exactly symmetric and positive semidefinite up to
// rounding: its smallest eigenvalue >= -n eps max|K|.
TEST_P(BuiltinNtk, KernelIsSymmetricPsd) {
  const auto model = NtkModel::from_network(trained_tiny_network(GetParam()),
                                            /*head_seed=*/0);
  const InputArray train = tiny_inputs(12, 41);
  for (auto precision : {NtkPrecision::kFloat32, NtkPrecision::kFloat64}) {
    NtkOptions options;
    options.precision = precision;
    const Matrix k = compute_ntk(model, train, nullptr, options).kernel;
    EXPECT_EQ(k, k.transpose());
    const double eps = precision == NtkPrecision::kFloat32 ? 1.2e-7 : 2.2e-16;
    const double smallest =
        Eigen::SelfAdjointEigenSolver<Matrix>(k).eigenvalues().minCoeff();
    EXPECT_GE(smallest, -12 * eps * max_abs(k));
  }
}

// Invariant: float32 and float64 agree to float32 rounding.
TEST_P(BuiltinNtk, Float32AgreesWithFloat64) {
  const auto model = NtkModel::from_network(trained_tiny_network(GetParam()),
                                            /*head_seed=*/0);
  const InputArray train = tiny_inputs(6, 51);
  NtkOptions single;
  const Matrix k32 = compute_ntk(model, train, nullptr, single).kernel;
  const Matrix k64 =
      compute_ntk(model, train, nullptr, float64_options(GradientMethod::kAuto))
          .kernel;
  EXPECT_LT(relative_difference(k32, k64), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Architectures,
                         BuiltinNtk,
                         ::testing::Values(Architecture::kResNet,
                                           Architecture::kMlp));

TEST(NtkErrors, BudgetBelowOneChunkIsRefused) {
  const auto model = NtkModel::from_network(
      make_network(testing::tiny_spec(Architecture::kResNet), 0), 0);
  NtkOptions options;
  options.memory_budget_mb = 1e-4;
  try {
    compute_ntk(model, tiny_inputs(4, 1), nullptr, options);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--memory-budget 0.0001 MiB is too "
                                         "small for one chunk"),
              std::string::npos)
        << e.what();
  }
}

TEST(NtkErrors, WrongImageSizeIsRefused) {
  const auto model = NtkModel::from_network(
      make_network(testing::tiny_spec(Architecture::kResNet), 0), 0);
  InputArray inputs{Matrix::Zero(3, 35), {35}};
  EXPECT_THROW(compute_ntk(model, inputs, nullptr, {}), InputError);
}

// --- TorchScript models exported by PyTorch in the test ----------------

const char* kExportScript = R"(
import sys, numpy as np, torch
torch.manual_seed(0)
out = sys.argv[1]

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 3, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(3)
        self.fc = torch.nn.Linear(3 * 5 * 5, 4)

    def forward(self, x):
        h = torch.tanh(self.bn(self.conv(x)))
        return self.fc(h.flatten(1))

net = Net().double().eval()
with torch.no_grad():
    net.bn.running_mean.uniform_(-0.5, 0.5)
    net.bn.running_var.uniform_(0.5, 2.0)
    net.bn.weight.uniform_(0.5, 1.5)
x = torch.randn(7, 2, 5, 5, dtype=torch.float64)
xt = torch.randn(3, 2, 5, 5, dtype=torch.float64)
torch.jit.script(net).save(out + "/model.pt")
np.save(out + "/x.npy", x.numpy())
np.save(out + "/xt.npy", xt.numpy())

params = list(net.parameters())
def jacobian(xs, k):
    rows = []
    for i in range(xs.shape[0]):
        g = torch.autograd.grad(net(xs[i:i + 1])[0, k], params)
        rows.append(torch.cat([a.reshape(-1) for a in g]))
    return torch.stack(rows)

j, jt = jacobian(x, 2), jacobian(xt, 2)
np.save(out + "/k.npy", (j @ j.T).numpy())
np.save(out + "/kt.npy", (jt @ j.T).numpy())
)";

// The export runs once for the suite: starting Python and PyTorch costs
// seconds, the checks themselves milliseconds.
class TorchScriptNtk : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* python = std::getenv("RMTLENS_PYTHON");
    if (!python) return;
    dir_ = std::filesystem::temp_directory_path() /
           ("rmtlens_ntk_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "export.py") << kExportScript;
    const std::string command = std::string(python) + " " +
                                (dir_ / "export.py").string() + " " +
                                dir_.string();
    exported_ = std::system(command.c_str()) == 0;
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  void SetUp() override {
    if (!std::getenv("RMTLENS_PYTHON")) {
      GTEST_SKIP() << "RMTLENS_PYTHON not set";
    }
    ASSERT_TRUE(exported_) << "the PyTorch export script failed";
  }
  static std::string path(const std::string& name) {
    return (dir_ / name).string();
  }

  static inline std::filesystem::path dir_;
  static inline bool exported_ = false;
};

// Invariant: our eNTK of a PyTorch-exported model equals PyTorch's own
// per-sample autograd to 1e-8 relative in float64.
TEST_F(TorchScriptNtk, MatchesPyTorchAutograd) {
  const auto model = NtkModel::from_torchscript(path("model.pt"), 2);
  const InputArray x = read_input_array(path("x.npy"), "--inputs", {});
  const InputArray xt = read_input_array(path("xt.npy"), "--test-inputs", {});
  NtkOptions options;
  options.precision = NtkPrecision::kFloat64;
  const NtkResult r = compute_ntk(model, x, &xt, options);
  EXPECT_EQ(r.parameter_count, 3 * 2 * 9 + 3 + 3 + 3 + 4 * 75 + 4);
  EXPECT_LT(relative_difference(r.kernel, read_npy_matrix(path("k.npy"))),
            1e-8);
  EXPECT_LT(relative_difference(r.test_kernel, read_npy_matrix(path("kt.npy"))),
            1e-8);
}

TEST_F(TorchScriptNtk, VectorOutputNeedsOutputIndex) {
  const auto model = NtkModel::from_torchscript(path("model.pt"), -1);
  const InputArray x = read_input_array(path("x.npy"), "--inputs", {});
  try {
    compute_ntk(model, x, nullptr, {});
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("output shape [1, 4] for 1 input(s) "
                                         "is not one value per input; pass "
                                         "--output-index"),
              std::string::npos)
        << e.what();
  }
  const auto beyond = NtkModel::from_torchscript(path("model.pt"), 4);
  EXPECT_THROW(compute_ntk(beyond, x, nullptr, {}), InputError);
}

TEST_F(TorchScriptNtk, RejectedInputShapeIsOneLine) {
  const auto model = NtkModel::from_torchscript(path("model.pt"), 0);
  const InputArray x{Matrix::Ones(2, 75), {3, 5, 5}};
  try {
    compute_ntk(model, x, nullptr, {});
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("rejects inputs of shape [1, 3, 5, 5]"),
              std::string::npos)
        << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST_F(TorchScriptNtk, NonTorchScriptFileIsRefused) {
  std::ofstream(path("bogus.pt")) << "not a model";
  try {
    NtkModel::from_torchscript(path("bogus.pt"), -1);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a TorchScript file"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace rmtlens
