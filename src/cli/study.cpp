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
  return plan;
}

std::vector<std::int64_t> study_sizes(const StudyPlan& plan,
                                      std::int64_t pool) {
  // Sizes evenly spaced in log N from smallest_size to the pool, about
  // sizes_per_decade... per octave-friendly decade, always ending at pool.
  const double lo = std::log(static_cast<double>(plan.smallest_size));
  const double hi = std::log(static_cast<double>(pool));
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

void print_study_table(const std::vector<Outcome>& outcomes) {
  std::printf("\n%-44s %9s %11s %11s %10s %10s\n",
              "representation",
              "test err",
              "test@GCV",
              "best test",
              "|GCV| med",
              "|LOO| med");
  for (const Outcome& o : outcomes) {
    const nlohmann::json& sizes = o.summary["sizes"];
    const nlohmann::json& last = sizes.back();
    const nlohmann::json& errors = o.summary["relative_error_vs_test"];
    const double loo =
        errors.contains("loo") ? number(errors["loo"], "median") : NAN;
    std::printf("%-44s %8.2f%% %11.4g %11.4g %9.1f%% %9.1f%%\n",
                o.label.c_str(),
                100 * number(last, "best_test_error"),
                number(last, "test_mse_at_gcv_ridge"),
                number(last, "best_test_mse"),
                100 * number(errors["gcv"], "median"),
                100 * loo);
  }
  std::printf(
      "test err: best test classification error over the ridges at "
      "the largest N; test@GCV: test risk at the ridge GCV picks "
      "there; |GCV|, |LOO|: median relative error against the test "
      "risk over all (N, ridge).\n");
  std::fflush(stdout);
}

}  // namespace rmtlens::cli
