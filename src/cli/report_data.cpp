#include "report_data.hpp"

#include <cassert>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "rmtlens/types.hpp"

namespace rmtlens::cli {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream stream(line);
  std::string field;
  while (std::getline(stream, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  while (!text.empty() && text.front() == ' ') text.erase(0, 1);
  return text;
}

// strtod reads "nan", "inf" and "-inf" as sweep.csv writes them.
bool parse_double(const std::string& text, double& value) {
  if (text.empty()) return false;
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

bool exists(const std::string& path) {
  return fs::is_regular_file(path);
}

std::optional<CsvTable> optional_csv(const std::string& path,
                                     const std::vector<std::string>& required) {
  if (!exists(path)) return std::nullopt;
  return read_csv_table(path, required);
}

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot be read");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(path + ": not valid JSON (" + e.what() + ")");
  }
}

void require(bool condition, const std::string& file, const std::string& what) {
  if (!condition) throw InputError(file + ": " + what);
}

void check_error_table(const nlohmann::json& table, const std::string& file) {
  require(
      table.is_object(), file, "'relative_error_vs_test' must be an object");
  for (const auto& [name, entry] : table.items()) {
    require(entry.is_object(),
            file,
            "'relative_error_vs_test." + name + "' must be an object");
    for (const char* key : {"rows", "median", "p90", "max"}) {
      json_number(entry, key, file + ": relative_error_vs_test." + name);
    }
  }
}

void check_sizes(const nlohmann::json& sizes, const std::string& file) {
  require(sizes.is_array(), file, "'sizes' must be an array");
  for (const nlohmann::json& size : sizes) {
    require(size.is_object(), file, "each entry of 'sizes' is an object");
    for (const char* key : {"n",
                            "gcv_ridge",
                            "test_mse_at_gcv_ridge",
                            "best_ridge",
                            "best_test_mse"}) {
      json_number(size, key, file + ": sizes[]");
    }
  }
}

// The parts of summary.json the report reads, checked before any drawing
// so a malformed file stops the report with one line.
nlohmann::json read_summary(const std::string& path) {
  nlohmann::json summary = read_json_file(path);
  require(summary.is_object(), path, "must hold a JSON object");
  if (summary.contains("sizes")) check_sizes(summary["sizes"], path);
  if (summary.contains("relative_error_vs_test")) {
    check_error_table(summary["relative_error_vs_test"], path);
  }
  if (summary.contains("notes")) {
    require(summary["notes"].is_array(), path, "'notes' must be an array");
    for (const nlohmann::json& note : summary["notes"]) {
      require(note.is_string(), path, "'notes' must hold strings");
    }
  }
  for (const char* key : {"pool_size", "test_size", "outputs"}) {
    json_number(summary, key, path);
  }
  return summary;
}

// The first of dir/file, dir/spectrum/file, dir/scaling/file that
// exists; empty when none does.
std::string find_output(const std::string& dir, const std::string& file) {
  for (const char* sub : {"", "/spectrum", "/scaling"}) {
    const std::string path = dir + sub + "/" + file;
    if (exists(path)) return path;
  }
  return "";
}

std::string folder_of(const std::string& path) {
  return fs::path(path).parent_path().string();
}

void check_fit(const nlohmann::json& fit, const std::string& where) {
  require(fit.is_null() || fit.is_object(), where, "must be an object");
  for (const char* key :
       {"exponent", "log_scale", "r_squared", "first", "last"}) {
    if (fit.is_object()) json_number(fit, key, where);
  }
}

// spectrum's summary.json lists its kernels; the entry named like the
// representation, or the only one, holds the fits.
nlohmann::json spectrum_fits(const std::string& folder,
                             const std::string& name) {
  const std::string path = folder + "/summary.json";
  if (!exists(path)) return nullptr;
  const nlohmann::json summary = read_json_file(path);
  const nlohmann::json& kernels = json_member(summary, "kernels");
  if (kernels.is_null()) return nullptr;
  require(kernels.is_array(), path, "'kernels' must be an array");
  for (const nlohmann::json& k : kernels) {
    require(k.is_object(), path, "each entry of 'kernels' is an object");
    check_fit(json_member(k, "eigen_decay"), path + ": eigen_decay");
    check_fit(json_member(k, "tail_energy"), path + ": tail_energy");
  }
  for (const nlohmann::json& k : kernels) {
    if (json_member(k, "name") == name) return k;
  }
  return kernels.size() == 1 ? kernels[0] : nlohmann::json(nullptr);
}

nlohmann::json scaling_summary(const std::string& folder) {
  const std::string path = folder + "/summary.json";
  if (!exists(path)) return nullptr;
  nlohmann::json scaling = json_member(read_summary(path), "scaling");
  require(scaling.is_null() || scaling.is_object(),
          path,
          "'scaling' must be an object");
  if (scaling.is_object()) {
    for (const auto& [key, value] : scaling.items()) {
      if (value.is_object() && value.contains("exponent")) {
        check_fit(value, path + ": scaling." + key);
      }
    }
  }
  return scaling;
}

void load_spectrum_outputs(Representation& r) {
  const std::string spectrum = find_output(r.dir, "spectrum.csv");
  if (!spectrum.empty()) {
    r.spectrum = read_csv_table(spectrum, {"index", "eigenvalue"});
    r.spectrum_fits = spectrum_fits(folder_of(spectrum), r.name);
  }
  // A driver that writes spectrum.csv beside the sweep may keep the fits
  // in the sweep's summary, shaped like an entry of kernels[].
  const nlohmann::json& beside = json_member(r.summary, "spectrum");
  if (r.spectrum_fits.is_null() && beside.is_object()) {
    const std::string where = r.dir + "/summary.json: spectrum";
    check_fit(json_member(beside, "eigen_decay"), where + ".eigen_decay");
    check_fit(json_member(beside, "tail_energy"), where + ".tail_energy");
    r.spectrum_fits = beside;
  }
  const std::string alignment = find_output(r.dir, "alignment.csv");
  if (!alignment.empty()) {
    r.alignment = read_csv_table(alignment, {"index", "cumulative", "tail"});
  }
}

void load_scaling_outputs(Representation& r) {
  const std::string learning = find_output(r.dir, "learning_curve.csv");
  if (!learning.empty()) {
    r.learning = read_csv_table(learning, {"n", "test_at_gcv_ridge"});
    r.scaling = scaling_summary(folder_of(learning));
  }
  const std::string extrapolation = find_output(r.dir, "extrapolation.csv");
  if (!extrapolation.empty()) {
    r.extrapolation =
        read_csv_table(extrapolation, {"n", "ridge", "predicted", "measured"});
  }
}

Representation load_representation(const std::string& name,
                                   const std::string& label,
                                   const std::string& dir) {
  Representation r;
  r.name = name;
  r.label = label;
  r.dir = dir;
  r.sweep = optional_csv(dir + "/sweep.csv",
                         {"n", "ridge", "train_mse", "gcv", "test_mse"});
  if (exists(dir + "/summary.json")) {
    r.summary = read_summary(dir + "/summary.json");
  }
  load_spectrum_outputs(r);
  load_scaling_outputs(r);
  return r;
}

std::string string_field(const nlohmann::json& object,
                         const std::string& key,
                         const std::string& file,
                         const std::string& fallback) {
  if (!object.contains(key)) {
    require(!fallback.empty(), file, "missing '" + key + "'");
    return fallback;
  }
  require(object[key].is_string() && !object[key].get<std::string>().empty(),
          file,
          "'" + key + "' must be a non-empty string");
  return object[key].get<std::string>();
}

Study load_study_json(const std::string& dir) {
  const std::string path = dir + "/study.json";
  const nlohmann::json study = read_json_file(path);
  require(study.is_object() && study.contains("representations") &&
              study["representations"].is_array() &&
              !study["representations"].empty(),
          path,
          "needs a non-empty array 'representations'");

  Study out;
  out.dir = dir;
  out.from_study_json = true;
  out.title = string_field(study, "title", path, "rmtlens study");
  for (const nlohmann::json& entry : study["representations"]) {
    require(entry.is_object(), path, "each representation is an object");
    const std::string name = string_field(entry, "name", path, "");
    const std::string label = string_field(entry, "label", path, name);
    const std::string sub = string_field(entry, "dir", path, name);
    out.representations.push_back(
        load_representation(name, label, dir + "/" + sub));
  }
  return out;
}

}  // namespace

bool CsvTable::has(const std::string& name) const {
  for (const std::string& n : names)
    if (n == name) return true;
  return false;
}

const std::vector<double>& CsvTable::column(const std::string& name) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return columns[i];
  assert(false && "column not in table");
  return columns.front();
}

CsvTable read_csv_table(const std::string& path,
                        const std::vector<std::string>& required) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot be read");
  CsvTable table;
  table.path = path;

  std::string line;
  require(static_cast<bool>(std::getline(in, line)), path, "is empty");
  for (const std::string& name : split_fields(line)) {
    table.names.push_back(trimmed(name));
  }
  table.columns.resize(table.names.size());
  for (const std::string& name : required) {
    require(table.has(name), path, "missing column '" + name + "'");
  }

  // Data rows: every field a number, as many fields as the header.
  for (int number = 2; std::getline(in, line); ++number) {
    if (trimmed(line).empty()) continue;
    const std::vector<std::string> fields = split_fields(line);
    const std::string where = path + ": line " + std::to_string(number);
    require(fields.size() == table.names.size(),
            where,
            std::to_string(fields.size()) + " fields, the header has " +
                std::to_string(table.names.size()));
    for (size_t c = 0; c < fields.size(); ++c) {
      double value = 0.0;
      require(parse_double(trimmed(fields[c]), value),
              where,
              "'" + fields[c] + "' in column '" + table.names[c] +
                  "' is not a number");
      table.columns[c].push_back(value);
    }
  }
  return table;
}

double json_number(const nlohmann::json& object,
                   const std::string& key,
                   const std::string& file) {
  if (!object.contains(key) || object[key].is_null())
    return std::numeric_limits<double>::quiet_NaN();
  if (!object[key].is_number()) {
    throw InputError(file + ": '" + key + "' must be a number");
  }
  return object[key].get<double>();
}

const nlohmann::json& json_member(const nlohmann::json& json,
                                  const std::string& key) {
  static const nlohmann::json null;
  if (!json.is_object()) return null;
  const auto found = json.find(key);
  return found == json.end() ? null : *found;
}

Study load_study(const std::string& dir) {
  if (!fs::is_directory(dir)) {
    throw InputError(dir + ": not a directory");
  }
  if (exists(dir + "/study.json")) return load_study_json(dir);

  // One sweep output folder: its own name labels it.
  require(exists(dir + "/sweep.csv") || exists(dir + "/summary.json"),
          dir,
          "holds neither study.json nor sweep.csv/summary.json (write "
          "them with rmtlens demo or rmtlens sweep --out " +
              dir + ")");
  Study out;
  out.dir = dir;
  fs::path folder = fs::absolute(dir).lexically_normal();
  if (folder.filename().empty()) folder = folder.parent_path();
  const std::string name = folder.filename().string();
  out.title = "rmtlens report: " + name;
  out.representations.push_back(load_representation(name, name, dir));
  return out;
}

}  // namespace rmtlens::cli
