// rmtlens report: one self-contained HTML page of plots and tables from
// the outputs of sweep, spectrum and scaling (or a whole study).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "report_data.hpp"
#include "report_html.hpp"
#include "report_plot.hpp"
#include "rmtlens/atomic_file.hpp"

namespace rmtlens::cli {

namespace {

struct ReportFlags {
  std::string dir;
  std::string out;  // empty: DIR/report.html
  int verbosity = 0;
};

void run_report(const ReportFlags& f) {
  configure_logging(f.verbosity);

  // Everything is read and checked, and gnuplot found, before any
  // drawing: a bad file or a missing program leaves no page behind.
  const Study study = load_study(f.dir);
  const Gnuplot gnuplot = Gnuplot::locate();
  spdlog::info("report: {} representation(s) from {}",
               study.representations.size(),
               f.dir);

  const ReportPage page = report_page(study, gnuplot);
  const std::string out = f.out.empty() ? f.dir + "/report.html" : f.out;
  write_atomically(out, [&page](std::ostream& o) { o << page.html; });

  for (const std::string& note : page.missing) {
    spdlog::info("report: not shown: {}", note);
  }
  std::printf("wrote %s: %d figure(s), %zu left out for missing inputs\n",
              out.c_str(),
              page.figures,
              page.missing.size());
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto flags = std::make_shared<ReportFlags>();
  CLI::App* c = app.add_subcommand(
      "report",
      "One self-contained HTML page (vector plots, tables, no network) of "
      "the results in DIR: a sweep output folder or a study with "
      "study.json.");
  c->add_option("dir", flags->dir, "results folder")->required();
  c->add_option("--out", flags->out, "page to write (default DIR/report.html)");
  c->add_flag("-v,--verbose", flags->verbosity, "more log lines (-vv: debug)");
  c->callback([flags] { run_report(*flags); });
}

}  // namespace rmtlens::cli
