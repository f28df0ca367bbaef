// NumPy .npy files, after the format NumPy documents in
// numpy/lib/format.py: the magic "\x93NUMPY", a major and a minor version
// byte, the header length as a little-endian integer (2 bytes in version
// 1.0, 4 bytes in 2.0 and 3.0), the header (a Python dict literal with the
// keys 'descr', 'fortran_order' and 'shape'; latin-1 text before 3.0, UTF-8
// in 3.0), then the raw elements.
#include "rmtlens/npy.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <type_traits>

#include "rmtlens/atomic_file.hpp"

namespace rmtlens {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::int64_t kMagicSize = 6;

// Elements are converted through a buffer of this size, so reading a
// float32 file never holds a second full-size copy of the data.
constexpr std::int64_t kBlockBytes = std::int64_t{1} << 20;

// write_npy pads its header so the data starts on this boundary, as NumPy
// does, which lets readers memory-map it with aligned access.
constexpr std::int64_t kDataAlignment = 64;

constexpr bool kHostBigEndian = std::endian::native == std::endian::big;
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw InputError(path + ": " + what);
}

// File bytes shown in a message: printable ASCII as is, anything else
// escaped, so the message stays on one line.
std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
      continue;
    }
    constexpr char kHex[] = "0123456789abcdef";
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out;
}

// Python's repr of a shape tuple: "()", "(5,)", "(3, 4)".
std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + (shape.size() == 1 ? ",)" : ")");
}

// The shortest text that reads back as the same double.
std::string number_text(double value) {
  std::array<char, 32> buffer;
  const auto result =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

// ---------------------------------------------------------------------------
// The header dict.

// The three values the header dict must hold.
struct HeaderFields {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
};

// A parser for the small subset of Python literal syntax that .npy headers
// use: one dict with string keys whose values are a string, True/False or a
// tuple of integers. Keys may come in any order; either quote style and
// trailing commas are accepted, as Python accepts them.
class HeaderParser {
 public:
  HeaderParser(const std::string& path, std::string_view text)
      : path_(path), text_(text) {}

  HeaderFields parse();

 private:
  void parse_entry(HeaderFields& fields, std::vector<std::string>& seen);
  std::string parse_string();
  bool parse_bool();
  std::vector<std::int64_t> parse_shape();
  std::int64_t parse_integer();

  void skip_space();
  bool accept(char c);
  void expect(char c);
  [[noreturn]] void malformed(const std::string& what) const;

  const std::string& path_;
  std::string_view text_;
  std::size_t pos_ = 0;
};

HeaderFields HeaderParser::parse() {
  HeaderFields fields;
  std::vector<std::string> seen;
  expect('{');
  while (!accept('}')) {
    parse_entry(fields, seen);
    if (accept('}')) break;
    expect(',');
  }

  skip_space();
  if (pos_ != text_.size()) malformed("unexpected text after the dict");
  for (const char* key : {"descr", "fortran_order", "shape"}) {
    if (std::find(seen.begin(), seen.end(), key) == seen.end()) {
      fail(path_, std::string("header has no '") + key + "' key");
    }
  }
  return fields;
}

void HeaderParser::parse_entry(HeaderFields& fields,
                               std::vector<std::string>& seen) {
  const std::string key = parse_string();
  expect(':');
  skip_space();
  if (key == "descr") {
    // A list descr describes a structured (record) array.
    if (pos_ < text_.size() && text_[pos_] == '[') {
      fail(path_, "unsupported dtype: structured (record) arrays");
    }
    fields.descr = parse_string();
  } else if (key == "fortran_order") {
    fields.fortran_order = parse_bool();
  } else if (key == "shape") {
    fields.shape = parse_shape();
  } else {
    // NumPy itself refuses headers with other keys.
    fail(path_,
         "unexpected key '" + printable(key) +
             "' in header (expected 'descr', 'fortran_order', "
             "'shape')");
  }
  seen.push_back(key);
}

std::string HeaderParser::parse_string() {
  skip_space();
  if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
    malformed("expected a quoted string");
  }
  const char quote = text_[pos_++];
  std::string value;
  while (pos_ < text_.size() && text_[pos_] != quote) {
    // A backslash keeps the next character literally; the names NumPy
    // writes never need the full escape language.
    if (text_[pos_] == '\\') ++pos_;
    if (pos_ < text_.size()) value += text_[pos_++];
  }
  if (pos_ >= text_.size()) malformed("unterminated string");
  ++pos_;
  return value;
}

bool HeaderParser::parse_bool() {
  skip_space();
  const std::string_view rest = text_.substr(pos_);
  if (rest.starts_with("True")) {
    pos_ += 4;
    return true;
  }
  if (rest.starts_with("False")) {
    pos_ += 5;
    return false;
  }
  malformed("expected True or False");
}

std::vector<std::int64_t> HeaderParser::parse_shape() {
  std::vector<std::int64_t> shape;
  expect('(');
  // "(5)" is an int rather than a tuple in Python, but its meaning is
  // plain, so it is read as (5,) like the "(5,)" NumPy writes.
  while (!accept(')')) {
    shape.push_back(parse_integer());
    if (accept(')')) break;
    expect(',');
  }
  return shape;
}

std::int64_t HeaderParser::parse_integer() {
  skip_space();
  const bool negative = accept('-');
  const std::size_t start = pos_;
  std::int64_t value = 0;
  while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
    const int digit = text_[pos_++] - '0';
    if (value > (kInt64Max - digit) / 10) {
      fail(path_, "dimension in shape does not fit in 64 bits");
    }
    value = value * 10 + digit;
  }
  if (pos_ == start) malformed("expected an integer");

  // Python 2 wrote long integers with an L suffix: "(3L, 4L)".
  if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;
  return negative ? -value : value;
}

void HeaderParser::skip_space() {
  while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                 text_[pos_] == '\n' || text_[pos_] == '\r')) {
    ++pos_;
  }
}

bool HeaderParser::accept(char c) {
  skip_space();
  if (pos_ < text_.size() && text_[pos_] == c) {
    ++pos_;
    return true;
  }
  return false;
}

void HeaderParser::expect(char c) {
  if (!accept(c)) malformed(std::string("expected '") + c + "'");
}

void HeaderParser::malformed(const std::string& what) const {
  constexpr std::size_t kContext = 24;
  const std::size_t from = pos_ > kContext ? pos_ - kContext : 0;
  const std::string before(text_.substr(from, pos_ - from));
  const std::string after(text_.substr(pos_, kContext));
  fail(path_,
       "malformed header: " + what + " at byte " + std::to_string(pos_) +
           " of the header: \"" + printable(before) + " <here> " +
           printable(after) + "\"");
}

// ---------------------------------------------------------------------------
// Validating what the header says.

// Fills kind, item_size and big_endian from a descr such as '<f8' or '|u1'.
void parse_descr(const std::string& path,
                 const std::string& descr,
                 NpyHeader& header) {
  const auto unsupported = [&] {
    fail(path,
         "unsupported dtype '" + printable(descr) +
             "' (supported: float32, float64, signed and unsigned "
             "integers of 1, 2, 4 or 8 bytes, bool)");
  };
  // The byte-order mark is optional in NumPy's dtype strings.
  std::string_view rest = descr;
  char order = '=';
  if (!rest.empty() && std::string_view("<>|=").find(rest[0]) != rest.npos) {
    order = rest[0];
    rest.remove_prefix(1);
  }
  if (rest.size() != 2) unsupported();

  const char kind = rest[0];
  const int size = rest[1] - '0';
  const bool known = (kind == 'f' && (size == 4 || size == 8)) ||
                     ((kind == 'i' || kind == 'u') &&
                      (size == 1 || size == 2 || size == 4 || size == 8)) ||
                     (kind == 'b' && size == 1);
  if (!known) unsupported();

  header.kind = kind;
  header.item_size = size;
  // '|' (not applicable) and '=' (native) both mean the host's order.
  header.big_endian = order == '>' || (order != '<' && kHostBigEndian);
}

// Rejects negative dimensions and shapes whose byte size overflows.
void check_shape(const std::string& path, const NpyHeader& header) {
  std::int64_t bytes = header.item_size;
  bool overflow = false;
  for (const std::int64_t dim : header.shape) {
    if (dim < 0) {
      fail(path,
           "negative dimension " + std::to_string(dim) + " in shape " +
               shape_text(header.shape));
    }
    overflow = overflow || __builtin_mul_overflow(bytes, dim, &bytes);
  }
  if (overflow) {
    fail(path,
         "shape " + shape_text(header.shape) +
             " is too large: its size in bytes overflows 64 bits");
  }
}

// ---------------------------------------------------------------------------
// The file.

// An open .npy file positioned anywhere; size is its length in bytes.
struct NpyFile {
  std::string path;
  std::ifstream stream;
  std::int64_t size = 0;
};

NpyFile open_file(const std::string& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status)) fail(path, "no such file");
  if (std::filesystem::is_directory(status)) {
    fail(path, "is a directory, expected an .npy file");
  }

  NpyFile file{path, std::ifstream(path, std::ios::binary), 0};
  if (!file.stream) fail(path, "cannot open for reading");
  file.stream.seekg(0, std::ios::end);
  file.size = file.stream.tellg();
  file.stream.seekg(0);
  return file;
}

void read_exact(NpyFile& file,
                std::int64_t offset,
                void* dest,
                std::int64_t n) {
  file.stream.seekg(offset);
  file.stream.read(static_cast<char*>(dest), n);
  if (!file.stream) {
    fail(file.path,
         "read of " + std::to_string(n) + " bytes at offset " +
             std::to_string(offset) + " failed");
  }
}

// The header text and where the data begins.
struct RawHeader {
  std::string text;
  std::int64_t data_offset = 0;
};

// Checks the magic string and version; returns the major version.
int check_magic_and_version(const NpyFile& file,
                            const std::array<unsigned char, 12>& bytes,
                            std::int64_t have) {
  if (have < kMagicSize || std::memcmp(bytes.data(), kMagic, kMagicSize)) {
    const auto shown = std::min<std::int64_t>(have, kMagicSize);
    const std::string found(bytes.begin(), bytes.begin() + shown);
    fail(file.path,
         "not an .npy file: bad magic \"" + printable(found) +
             "\" (expected \"\\x93NUMPY\")");
  }
  if (have < 8) fail(file.path, "file is truncated inside its preamble");

  const int major = bytes[6];
  const int minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0) {
    fail(file.path,
         "unsupported .npy format version " + std::to_string(major) + "." +
             std::to_string(minor) + " (known: 1.0, 2.0, 3.0)");
  }
  return major;
}

// The bytes before the data: magic, version, header length and header.
RawHeader read_raw_header(NpyFile& file) {
  std::array<unsigned char, 12> bytes{};
  const std::int64_t have = std::min<std::int64_t>(file.size, bytes.size());
  read_exact(file, 0, bytes.data(), have);
  const int major = check_magic_and_version(file, bytes, have);

  // The header length is little-endian: 2 bytes in 1.0, 4 after.
  const std::int64_t length_bytes = major == 1 ? 2 : 4;
  const std::int64_t header_start = 8 + length_bytes;
  if (have < header_start) {
    fail(file.path, "file is truncated inside its preamble");
  }
  std::int64_t length = 0;
  for (std::int64_t i = length_bytes - 1; i >= 0; --i) {
    length = length << 8 | bytes[8 + i];
  }

  if (header_start + length > file.size) {
    fail(file.path,
         "header length " + std::to_string(length) +
             " goes beyond the end of the file (" + std::to_string(file.size) +
             " bytes)");
  }
  RawHeader raw{std::string(length, '\0'), header_start + length};
  read_exact(file, header_start, raw.text.data(), length);
  return raw;
}

NpyHeader parse_header(NpyFile& file) {
  const RawHeader raw = read_raw_header(file);
  const HeaderFields fields = HeaderParser(file.path, raw.text).parse();

  NpyHeader header;
  parse_descr(file.path, fields.descr, header);
  header.fortran_order = fields.fortran_order;
  header.shape = fields.shape;
  header.data_offset = raw.data_offset;
  check_shape(file.path, header);

  const std::int64_t expected = header.element_count() * header.item_size;
  const std::int64_t found = file.size - header.data_offset;
  if (found < expected) {
    fail(file.path,
         "file is truncated: expected " + std::to_string(expected) +
             " bytes of data, found " + std::to_string(found));
  }
  return header;
}

// ---------------------------------------------------------------------------
// Elements.

// One element of type T from the file's bytes, byte-swapped if needed.
template <typename T>
T load_element(const std::uint8_t* bytes, bool swap) {
  if constexpr (std::is_same_v<T, bool>) {
    // Any nonzero byte is true; copying it into a bool could create an
    // invalid bool value.
    return *bytes != 0;
  } else {
    std::array<std::uint8_t, sizeof(T)> raw;
    std::memcpy(raw.data(), bytes, sizeof(T));
    if (swap) std::reverse(raw.begin(), raw.end());
    return std::bit_cast<T>(raw);
  }
}

// Calls visit(T{}) with the C++ type of the header's dtype.
template <typename Visitor>
void visit_dtype(const NpyHeader& header, Visitor&& visit) {
  const bool is_signed = header.kind == 'i';
  if (header.kind == 'b') return visit(bool{});
  if (header.kind == 'f') {
    return header.item_size == 4 ? visit(float{}) : visit(double{});
  }
  switch (header.item_size) {
    case 1:
      return is_signed ? visit(std::int8_t{}) : visit(std::uint8_t{});
    case 2:
      return is_signed ? visit(std::int16_t{}) : visit(std::uint16_t{});
    case 4:
      return is_signed ? visit(std::int32_t{}) : visit(std::uint32_t{});
    default:
      return is_signed ? visit(std::int64_t{}) : visit(std::uint64_t{});
  }
}

// Calls consume(bytes, first, n) on consecutive blocks of the data section:
// n elements starting with element number `first`.
template <typename Consume>
void for_each_block(NpyFile& file, const NpyHeader& header, Consume consume) {
  const std::int64_t count = header.element_count();
  const std::int64_t per_block = kBlockBytes / header.item_size;
  std::vector<std::uint8_t> buffer(std::min(count, per_block) *
                                   header.item_size);
  for (std::int64_t first = 0; first < count; first += per_block) {
    const std::int64_t n = std::min(per_block, count - first);
    read_exact(file,
               header.data_offset + first * header.item_size,
               buffer.data(),
               n * header.item_size);
    consume(buffer.data(), first, n);
  }
}

// All elements, in file order, as doubles into dest[0, count).
void read_doubles(NpyFile& file, const NpyHeader& header, double* dest) {
  const bool swap = header.big_endian != kHostBigEndian;
  if (header.kind == 'f' && header.item_size == 8 && !swap) {
    // Already our format: straight into the destination, no extra copy.
    read_exact(file,
               header.data_offset,
               dest,
               header.element_count() * header.item_size);
    return;
  }

  const auto convert = [&](const std::uint8_t* bytes,
                           std::int64_t first,
                           std::int64_t n) {
    visit_dtype(header, [&](auto tag) {
      using T = decltype(tag);
      for (std::int64_t i = 0; i < n; ++i) {
        dest[first + i] =
            static_cast<double>(load_element<T>(bytes + i * sizeof(T), swap));
      }
    });
  };
  for_each_block(file, header, convert);
}

// `value` as an int64, or an InputError naming its index if it is not a
// whole number in range.
template <typename T>
std::int64_t to_integer(const std::string& path, T value, std::int64_t index) {
  const auto reject = [&](const std::string& text, const char* why) {
    fail(path,
         "value " + text + " at index " + std::to_string(index) + " " + why);
  };
  if constexpr (std::is_floating_point_v<T>) {
    const double v = value;
    if (!std::isfinite(v) || v != std::floor(v)) {
      reject(number_text(v), "is not a whole number");
    }
    // 2^63 is exactly representable; every double below it fits.
    if (v < -0x1p63 || v >= 0x1p63) {
      reject(number_text(v), "does not fit in int64");
    }
    return static_cast<std::int64_t>(v);
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    if (value > static_cast<std::uint64_t>(kInt64Max)) {
      reject(std::to_string(value), "does not fit in int64");
    }
    return static_cast<std::int64_t>(value);
  } else {
    return static_cast<std::int64_t>(value);
  }
}

// ---------------------------------------------------------------------------
// Writing.

// The header for a float64 or int64 array in this host's byte order,
// padded with spaces so the data starts on a kDataAlignment boundary.
std::string header_text(char kind,
                        bool fortran_order,
                        const std::vector<std::int64_t>& shape) {
  const char order = kHostBigEndian ? '>' : '<';
  std::string text =
      std::string("{'descr': '") + order + kind +
      "8', 'fortran_order': " + (fortran_order ? "True" : "False") +
      ", 'shape': " + shape_text(shape) + ", }";

  // Preamble (10 bytes in version 1.0) + text + padding + '\n'.
  const std::int64_t unpadded = 10 + static_cast<std::int64_t>(text.size()) + 1;
  const std::int64_t padding =
      (kDataAlignment - unpadded % kDataAlignment) % kDataAlignment;
  return text + std::string(padding, ' ') + '\n';
}

void write_preamble(std::ostream& out, const std::string& header) {
  assert(header.size() <= 0xffff);  // shapes of rank <= 2 are short
  out.write(kMagic, kMagicSize);
  out.put(1);  // version 1.0
  out.put(0);
  out.put(static_cast<char>(header.size() & 0xff));
  out.put(static_cast<char>(header.size() >> 8));
  out << header;
}

}  // namespace

std::int64_t NpyHeader::element_count() const {
  std::int64_t count = 1;
  for (const std::int64_t dim : shape) count *= dim;
  return count;
}

NpyHeader read_npy_header(const std::string& path) {
  NpyFile file = open_file(path);
  return parse_header(file);
}

Matrix read_npy_matrix(const std::string& path) {
  NpyFile file = open_file(path);
  const NpyHeader header = parse_header(file);
  const auto& shape = header.shape;
  if (shape.empty() || shape.size() > 2) {
    fail(path, "expected a 1-D or 2-D array, got shape " + shape_text(shape));
  }
  if (header.element_count() == 0) {
    fail(path, "array is empty, shape " + shape_text(shape));
  }

  const Index rows = shape[0];
  const Index cols = shape.size() == 2 ? shape[1] : 1;
  // A C-order rows x cols array is, byte for byte, a column-major
  // cols x rows matrix; a single row or column is the same either way.
  const bool transpose = !header.fortran_order && rows > 1 && cols > 1;
  Matrix m(transpose ? cols : rows, transpose ? rows : cols);
  read_doubles(file, header, m.data());

  // In place for a square matrix, so a kernel file never needs two copies.
  if (transpose) m.transposeInPlace();
  return m;
}

std::vector<std::int64_t> read_npy_integers(const std::string& path) {
  NpyFile file = open_file(path);
  const NpyHeader header = parse_header(file);
  const auto& shape = header.shape;
  const bool vector_shape =
      shape.size() == 1 ||
      (shape.size() == 2 && (shape[0] == 1 || shape[1] == 1));
  if (!vector_shape) {
    fail(path,
         "expected a 1-D array (or 2-D with one row or column), got "
         "shape " +
             shape_text(shape));
  }

  // With one row or column, C and Fortran order list elements alike.
  std::vector<std::int64_t> values(header.element_count());
  const bool swap = header.big_endian != kHostBigEndian;
  const auto convert =
      [&](const std::uint8_t* bytes, std::int64_t first, std::int64_t n) {
        visit_dtype(header, [&](auto tag) {
          using T = decltype(tag);
          for (std::int64_t i = 0; i < n; ++i) {
            const T value = load_element<T>(bytes + i * sizeof(T), swap);
            values[first + i] = to_integer(path, value, first + i);
          }
        });
      };
  for_each_block(file, header, convert);
  return values;
}

void write_npy(const std::string& path, const Matrix& m) {
  // Fortran order is Eigen's column-major layout, so the buffer is written
  // as it is.
  const std::string header = header_text('f', true, {m.rows(), m.cols()});
  write_atomically(path, [&](std::ostream& out) {
    write_preamble(out, header);
    out.write(reinterpret_cast<const char*>(m.data()),
              static_cast<std::streamsize>(m.size() * sizeof(double)));
  });
}

void write_npy(const std::string& path, const std::vector<std::int64_t>& v) {
  const std::int64_t n = static_cast<std::int64_t>(v.size());
  const std::string header = header_text('i', false, {n});
  write_atomically(path, [&](std::ostream& out) {
    write_preamble(out, header);
    out.write(reinterpret_cast<const char*>(v.data()),
              static_cast<std::streamsize>(v.size() * sizeof(std::int64_t)));
  });
}

}  // namespace rmtlens
