// What `rmtlens report` reads: the output folders of sweep, spectrum and
// scaling for one representation, or a study (study.json) listing several.
// Absent files are allowed (their plots are left out with a note); a file
// that is present but malformed is an InputError naming it.
//
//   Study study = load_study("results");
//   for (const Representation& r : study.representations)
//     if (r.sweep) use(r.sweep->column("test_mse"));
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace rmtlens::cli {

// A CSV file of numbers with a header row; "nan" and "inf" are numbers.
struct CsvTable {
  std::string path;
  std::vector<std::string> names;
  std::vector<std::vector<double>> columns;  // one per name, equal lengths

  bool has(const std::string& name) const;
  // The column called `name`; it must exist (asserted; check has()).
  const std::vector<double>& column(const std::string& name) const;
  size_t rows() const { return columns.empty() ? 0 : columns[0].size(); }
};

// Reads `path`. Throws InputError naming the file (and line) on a row
// with the wrong number of fields, a field that is not a number, an empty
// file, or a missing column of `required`.
CsvTable read_csv_table(const std::string& path,
                        const std::vector<std::string>& required);

// One representation's outputs. Members are empty (nullopt, or JSON null)
// when their file is absent. The files of rmtlens spectrum and rmtlens
// scaling are looked for in the representation's folder, then in its
// spectrum/ and scaling/ subfolders (spectrum writes a summary.json of
// its own, so it cannot share the sweep's folder).
struct Representation {
  std::string name;                       // short name, as in study.json
  std::string label;                      // what legends call it
  std::string dir;                        // folder of its files
  std::optional<CsvTable> sweep;          // sweep.csv
  nlohmann::json summary;                 // summary.json beside sweep.csv
  std::optional<CsvTable> spectrum;       // spectrum.csv
  std::optional<CsvTable> alignment;      // alignment.csv
  nlohmann::json spectrum_fits;           // its kernels[] entry: fits
  std::optional<CsvTable> learning;       // learning_curve.csv
  std::optional<CsvTable> extrapolation;  // extrapolation.csv
  nlohmann::json scaling;                 // "scaling" of scaling's summary
};

struct Study {
  std::string dir;
  std::string title;
  bool from_study_json = false;
  std::vector<Representation> representations;  // at least one
};

// DIR with study.json: every representation it lists, from DIR/<dir>/.
// DIR without it: DIR itself as the only representation, which needs
// sweep.csv or summary.json there. Throws InputError (one line naming the
// file) when DIR holds neither, or a present file is malformed.
Study load_study(const std::string& dir);

// A number of a JSON object: NaN when the key is absent or null. Throws
// InputError naming `file` and `key` when the value is not a number.
double json_number(const nlohmann::json& object,
                   const std::string& key,
                   const std::string& file);

// json[key] when `json` is an object holding `key`, else JSON null.
const nlohmann::json& json_member(const nlohmann::json& json,
                                  const std::string& key);

}  // namespace rmtlens::cli
