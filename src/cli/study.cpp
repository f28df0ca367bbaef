#include "study.hpp"

#include <cmath>
#include <cstdio>

namespace rmtlens::cli {

StudyPlan plan_for(bool quick) {
  StudyPlan plan;
  plan.quick = quick;
  if (!quick) return plan;

  // --quick: the same study, smaller. The raw-pixel pool stays large
  // enough for four octaves of N; the network is a ResNet-8 of width 8
  // trained for one epoch on 6000 images, its kernels on 1000 + 2000
  // images, which keeps the whole run to a few minutes on two cores.
  plan.pool = 4000;
  plan.network_pool = 1000;
  plan.network_test = 2000;
  plan.network_depth = 8;
  plan.network_width = 8;
  plan.pretrain_images = 6000;
  plan.pretrain_epochs = 1;
  plan.ridges = "log:1e-7:10:13";
  // Sizes reach the whole pool, so the population spectrum is the largest
  // training block itself (summary.json notes it).
  plan.population_factor = 1.0;
  return plan;
}

std::vector<std::int64_t> study_sizes(const StudyPlan& plan,
                                      std::int64_t pool) {
  // Sizes evenly spaced in log N from smallest_size to the pool, about
  // sizes_per_decade... per octave-friendly decade, always ending at pool.
  const double lo = std::log(static_cast<double>(plan.smallest_size));
  // The largest size leaves the rest of the pool to the population
  // spectrum of the deterministic equivalent (P >= population_factor N).
  const double hi =
      std::log(static_cast<double>(pool) / plan.population_factor);
  const int count =
      std::max(2,
               static_cast<int>(std::round((hi - lo) / std::log(10.0) *
                                           plan.sizes_per_decade)) +
                   1);
  std::vector<std::int64_t> sizes;
  for (int i = 0; i < count; ++i) {
    const double t = static_cast<double>(i) / (count - 1);
    const auto n =
        static_cast<std::int64_t>(std::llround(std::exp(lo + t * (hi - lo))));
    if (sizes.empty() || n > sizes.back()) sizes.push_back(n);
  }
  return sizes;
}

nlohmann::json plan_to_json(const StudyPlan& p) {
  return {{"quick", p.quick},
          {"seed", p.seed},
          {"source_classes", p.source_classes},
          {"target_classes", p.target_classes},
          {"pool", p.pool},
          {"network_pool", p.network_pool},
          {"test", p.test},
          {"network_test", p.network_test},
          {"ridges", p.ridges},
          {"loo", p.loo},
          {"networks", p.networks},
          {"network_depth", p.network_depth},
          {"network_width", p.network_width},
          {"pretrain_images", p.pretrain_images},
          {"pretrain_epochs", p.pretrain_epochs}};
}

namespace {

double number(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : NAN;
}

}  // namespace

// The exponent field of a fit object, or NaN.
double exponent(const nlohmann::json& fit) {
  return fit.is_object() ? number(fit, "exponent") : NAN;
}

void print_study_table(const std::vector<Outcome>& outcomes) {
  std::printf("\n%-42s %8s %9s %9s %7s %6s %6s %7s %7s %6s\n",
              "representation",
              "test err",
              "test@GCV",
              "best",
              "|GCV|",
              "alpha",
              "gamma",
              "exp.meas",
              "exp.pred",
              "min(g,2a)");
  for (const Outcome& o : outcomes) {
    const nlohmann::json& last = o.summary["sizes"].back();
    const nlohmann::json& errors = o.summary["relative_error_vs_test"];
    const nlohmann::json& k = o.spectrum["kernels"][0];
    const nlohmann::json& scaling = o.scaling["scaling"];
    std::printf(
        "%-42s %7.2f%% %9.4g %9.4g %6.1f%% %6.2f %6.2f %7.2f %7.2f %6.2f\n",
        o.label.c_str(),
        100 * number(last, "best_test_error"),
        number(last, "test_mse_at_gcv_ridge"),
        number(last, "best_test_mse"),
        100 * number(errors["gcv"], "median"),
        exponent(k["eigen_decay"]),
        exponent(k["tail_energy"]),
        exponent(scaling["measured_exponent_gcv_ridge"]),
        exponent(scaling["power_law_exponent_best_ridge"]),
        number(scaling, "closed_form_exponent"));
  }
  std::printf(
      "test err: best test classification error over the ridges at the "
      "largest N; test@GCV: test risk at the ridge GCV picks there, best: "
      "the best test risk on the grid; |GCV|: median relative error of GCV "
      "against the test risk over all (N, ridge); alpha, gamma: eigenvalue "
      "decay and label tail-energy exponents; exp.meas: measured learning-"
      "curve exponent at GCV's ridge, exp.pred: predicted from the fitted "
      "power laws, min(g,2a): the noiseless ridgeless closed form.\n");
  std::fflush(stdout);
}

}  // namespace rmtlens::cli
