// rmtlens spectrum: eigenvalues of K/N, their power-law decay, the label
// alignment per eigenvector and the tail-energy exponent, for one or
// several kernels side by side.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <numeric>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "rmtlens/atomic_file.hpp"
#include "rmtlens/kernels.hpp"
#include "rmtlens/npy.hpp"
#include "rmtlens/power_law.hpp"
#include "rmtlens/scaling.hpp"
#include "rmtlens/targets.hpp"
#include "rmtlens/theory.hpp"
#include "rmtlens/validate.hpp"
#include "theory_cli.hpp"

namespace rmtlens::cli {
namespace {

struct SpectrumFlags {
  std::vector<std::string> kernels;   // P x P .npy each
  std::vector<std::string> features;  // P x p .npy each
  std::vector<std::string> names;
  std::vector<std::string> ignored;  // test files: accepted, not needed
  std::string labels;
  std::string kernel_fn = "linear";
  double bandwidth = 0.0;
  std::int64_t population_size = 0;
  std::uint64_t seed = 0;
  bool no_shuffle = false;
  std::string decay_range;
  std::string tail_range;
  std::string out;
  int verbosity = 0;
};

struct Source {
  std::string name;
  std::string file;
  bool is_kernel = true;
};

// One analysed representation.
struct Analysis {
  Source source;
  PopulationSpectrum spectrum;
  PowerLawFit decay;
  Alignment alignment;
  PowerLawFit tail;
};

std::vector<Source> sources(const SpectrumFlags& f) {
  std::vector<Source> out;
  for (const std::string& k : f.kernels) out.push_back({"", k, true});
  for (const std::string& x : f.features) out.push_back({"", x, false});
  if (out.empty()) throw InputError("give at least one --kernel or --features");
  if (!f.names.empty() && f.names.size() != out.size()) {
    throw InputError("--name given " + std::to_string(f.names.size()) +
                     " times for " + std::to_string(out.size()) + " inputs");
  }
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].name = f.names.empty()
                      ? std::filesystem::path(out[i].file).stem().string()
                      : f.names[i];
    for (size_t j = 0; j < i; ++j) {
      if (out[j].name == out[i].name) {
        throw InputError("two inputs are both named '" + out[i].name +
                         "' (use --name)");
      }
    }
  }
  return out;
}

// The first P rows of the seeded permutation (all rows when P = 0).
std::vector<Index> chosen_rows(const SpectrumFlags& f, std::int64_t pool) {
  const std::int64_t p = f.population_size == 0 ? pool : f.population_size;
  if (p < 1 || p > pool) {
    throw InputError("--population-size = " + std::to_string(p) +
                     " (must be in [1, " + std::to_string(pool) + "])");
  }
  std::vector<std::int64_t> order(static_cast<size_t>(pool));
  std::iota(order.begin(), order.end(), 0);
  if (!f.no_shuffle) order = seeded_permutation(pool, f.seed);
  return {order.begin(), order.begin() + p};
}

Matrix load_kernel_block(const Source& s, const std::vector<Index>& rows) {
  Matrix k = read_npy_matrix(s.file);
  require_finite(k, s.file);
  if (k.rows() != k.cols()) {
    throw InputError(s.file + ": shape " + std::to_string(k.rows()) + " x " +
                     std::to_string(k.cols()) + " (a kernel must be square)");
  }
  if (relative_asymmetry(k) > kAsymmetryTolerance) {
    throw InputError(s.file + ": not symmetric (relative asymmetry above " +
                     std::to_string(kAsymmetryTolerance) + ")");
  }
  return k(rows, rows);
}

PopulationSpectrum decompose(const SpectrumFlags& f,
                             const Source& s,
                             const Targets& targets) {
  const NpyHeader header = read_npy_header(s.file);
  const std::int64_t pool = header.shape.empty() ? 0 : header.shape[0];
  if (pool != targets.size()) {
    throw InputError(s.file + ": " + std::to_string(pool) + " rows but " +
                     f.labels + " has " + std::to_string(targets.size()));
  }
  const std::vector<Index> rows = chosen_rows(f, pool);
  const Matrix y = targets.y(rows, Eigen::all);
  if (s.is_kernel) return population_from_kernel(load_kernel_block(s, rows), y);

  Matrix x = read_npy_matrix(s.file)(rows, Eigen::all);
  require_finite(x, s.file);
  KernelOptions k;
  k.kind = parse_kernel_kind(f.kernel_fn);
  k.bandwidth = f.bandwidth;
  k.validate();
  if (k.kind == KernelKind::kLinear) return population_from_features(x, y);
  k = resolve_bandwidth(k, x);
  return population_from_kernel(kernel_gram(x, k), y);
}

Analysis analyse(const SpectrumFlags& f,
                 const Source& s,
                 const Targets& targets,
                 const PowerLawOptions& decay,
                 const PowerLawOptions& tail) {
  Analysis a;
  a.source = s;
  a.spectrum = decompose(f, s, targets);
  a.decay = fit_power_law(a.spectrum.sigma, decay);
  a.alignment = label_alignment(a.spectrum.theta_energy);
  a.tail = fit_power_law(a.alignment.tail, tail);
  return a;
}

double fitted(const PowerLawFit& fit, Index i) {
  return fit.ok ? fit.at(static_cast<double>(i + 1)) : kNaN;
}

void write_files(const Analysis& a, const std::string& dir) {
  ensure_directory(dir);
  write_atomically(dir + "/spectrum.csv", [&](std::ostream& out) {
    out << "index,eigenvalue,power_law_fit\n";
    for (Index i = 0; i < a.spectrum.entries(); ++i) {
      out << i + 1 << ',' << csv_number(a.spectrum.sigma[i]) << ','
          << csv_number(fitted(a.decay, i)) << '\n';
    }
  });
  write_atomically(dir + "/alignment.csv", [&](std::ostream& out) {
    out << "index,weight,cumulative,tail,tail_fit\n";
    for (Index i = 0; i < a.alignment.weight.size(); ++i) {
      out << i + 1 << ',' << csv_number(a.alignment.weight[i]) << ','
          << csv_number(a.alignment.cumulative[i]) << ','
          << csv_number(a.alignment.tail[i]) << ','
          << csv_number(fitted(a.tail, i)) << '\n';
    }
  });
}

double cumulative_at(const Alignment& al, Index k) {
  return al.cumulative.size() == 0
             ? kNaN
             : al.cumulative[std::min(k, al.cumulative.size()) - 1];
}

nlohmann::json describe(const Analysis& a) {
  const IsotropicModel iso = isotropic_model(a.spectrum);
  const double predicted =
      a.decay.ok && a.tail.ok
          ? closed_form_exponent(a.decay.exponent, a.tail.exponent)
          : kNaN;
  return {{"name", a.source.name},
          {"file", a.source.file},
          {"points", a.spectrum.sample_size},
          {"trace", a.spectrum.trace()},
          {"effective_rank", iso.effective_rank},
          {"signal_energy", a.spectrum.signal_energy()},
          {"residual_energy", a.spectrum.residual},
          {"eigen_decay", fit_json(a.decay)},
          {"tail_energy", fit_json(a.tail)},
          {"alignment_top10", cumulative_at(a.alignment, 10)},
          {"alignment_top100", cumulative_at(a.alignment, 100)},
          {"noiseless_ridgeless_exponent",
           std::isfinite(predicted) ? nlohmann::json(predicted)
                                    : nlohmann::json(nullptr)}};
}

// index, then eigenvalue.<name> and cumulative.<name> per representation.
void write_side_by_side(const std::vector<Analysis>& all,
                        const std::string& path) {
  Index longest = 0;
  for (const Analysis& a : all) {
    longest = std::max(longest, a.spectrum.entries());
  }
  write_atomically(path, [&](std::ostream& out) {
    out << "index";
    for (const Analysis& a : all) {
      out << ",eigenvalue." << a.source.name << ",cumulative." << a.source.name;
    }
    out << '\n';
    for (Index i = 0; i < longest; ++i) {
      out << i + 1;
      for (const Analysis& a : all) {
        const bool has = i < a.spectrum.entries();
        out << ',' << csv_number(has ? a.spectrum.sigma[i] : kNaN) << ','
            << csv_number(has ? a.alignment.cumulative[i] : kNaN);
      }
      out << '\n';
    }
  });
}

void print_table(const std::vector<Analysis>& all) {
  std::printf("%-16s %8s %7s %13s %8s %7s %10s %8s %8s\n",
              "kernel",
              "alpha",
              "R^2",
              "range",
              "gamma",
              "R^2",
              "min(g,2a)",
              "A(10)",
              "eff.rank");
  for (const Analysis& a : all) {
    const std::string range = std::to_string(a.decay.range.first) + "-" +
                              std::to_string(a.decay.range.last);
    std::printf("%-16s %8.3f %7.3f %13s %8.3f %7.3f %10.3f %8.3f %8.2f\n",
                a.source.name.c_str(),
                a.decay.exponent,
                a.decay.r_squared,
                range.c_str(),
                a.tail.exponent,
                a.tail.r_squared,
                std::min(a.tail.exponent, 2.0 * a.decay.exponent),
                cumulative_at(a.alignment, 10),
                isotropic_model(a.spectrum).effective_rank);
  }
}

void run_spectrum(const SpectrumFlags& f) {
  configure_logging(f.verbosity);
  PowerLawOptions decay, tail;
  parse_fit_range(f.decay_range, "--decay-range", &decay);
  parse_fit_range(f.tail_range, "--tail-range", &tail);
  const std::vector<Source> inputs = sources(f);
  Targets targets, unused;
  load_targets(f.labels, f.labels, &targets, &unused);
  ensure_directory(f.out);

  std::vector<Analysis> all;
  nlohmann::json kernels = nlohmann::json::array();
  for (const Source& s : inputs) {
    spdlog::info("spectrum of {}", s.file);
    all.push_back(analyse(f, s, targets, decay, tail));
    const bool alone = inputs.size() == 1;
    write_files(all.back(), alone ? f.out : f.out + "/" + s.name);
    kernels.push_back(describe(all.back()));
  }
  if (all.size() > 1) write_side_by_side(all, f.out + "/spectra.csv");

  nlohmann::json summary = {
      {"kernels", kernels},
      {"fit_rule",
       "weighted least squares of log value on log index, weights 1/index; "
       "default range [max(2, ceil(sqrt(r)/4)), max(first+4, floor(r/10))], "
       "r = values above 1e-12 of the largest"},
      {"options",
       {{"population_size", f.population_size},
        {"seed", f.seed},
        {"shuffle", !f.no_shuffle}}},
      {"build", build_info()}};
  write_json(f.out + "/summary.json", summary);
  print_table(all);
  std::printf("wrote spectrum.csv, alignment.csv and summary.json under %s\n",
              f.out.c_str());
}

}  // namespace

void add_spectrum_command(CLI::App& app) {
  auto f = std::make_shared<SpectrumFlags>();
  CLI::App* c = app.add_subcommand(
      "spectrum",
      "Eigenvalues of K/N, power-law decay, label alignment and tail-energy "
      "exponent of one or several kernels.");
  c->add_option("--kernel", f->kernels, "P x P kernel .npy (repeatable)");
  c->add_option("--features", f->features, "P x p features .npy (repeatable)");
  c->add_option("--name", f->names, "a name per input, in order");
  c->add_option("--labels", f->labels, "labels or targets of the P points")
      ->required();
  c->add_option("--test-kernel,--test-features,--test-labels",
                f->ignored,
                "accepted for symmetry with sweep; not used");
  c->add_option("--kernel-fn", f->kernel_fn, "kernel on --features")
      ->capture_default_str();
  c->add_option(
       "--bandwidth", f->bandwidth, "rbf/laplace bandwidth (0: median)")
      ->capture_default_str();
  c->add_option("--population-size",
                f->population_size,
                "use the first P points of the permutation (0: all)")
      ->capture_default_str();
  c->add_option("--seed", f->seed, "seed of the permutation")
      ->capture_default_str();
  c->add_flag("--no-shuffle", f->no_shuffle, "keep the file order");
  c->add_option("--decay-range",
                f->decay_range,
                "FIRST:LAST index range of the eigen-decay fit");
  c->add_option("--tail-range",
                f->tail_range,
                "FIRST:LAST index range of the tail-energy fit");
  c->add_option("--out", f->out, "output directory")->required();
  c->add_flag("-v,--verbose", f->verbosity, "more log lines (-vv: debug)");
  c->callback([f] { run_spectrum(*f); });
}

}  // namespace rmtlens::cli
