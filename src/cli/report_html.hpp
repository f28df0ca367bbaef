// The page of `rmtlens report`: one self-contained HTML file (inline CSS,
// inline SVG, no scripts, nothing fetched) with every figure, caption and
// table of the study.
//
//   Study study = load_study(dir);
//   Gnuplot gnuplot = Gnuplot::locate();
//   ReportPage page = report_page(study, gnuplot);
//   write_atomically(dir + "/report.html", [&](auto& o) { o << page.html; });
#pragma once

#include <string>
#include <vector>

#include "report_data.hpp"
#include "report_plot.hpp"

namespace rmtlens::cli {

// Text made safe for HTML element content and quoted attribute values:
// & < > " ' become character references.
std::string html_escape(const std::string& text);

struct ReportPage {
  std::string html;
  int figures = 0;                   // figures drawn (<figure class=plot>)
  std::vector<std::string> missing;  // notes on figures left out
};

// Draws every figure the study's files allow and lays out the page; the
// <body> carries data-figures="<figures>" so a test can count them.
ReportPage report_page(const Study& study, const Gnuplot& gnuplot);

}  // namespace rmtlens::cli
