// write_atomically and ensure_directory. Invariant: the destination holds
// either its old content or the whole new content, and no temporary file
// outlives the call.
#include "rmtlens/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "rmtlens/types.hpp"

#include "test_support.hpp"

namespace rmtlens {
namespace {

namespace fs = std::filesystem;

using test_support::ScratchDir;
using test_support::expect_input_error;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int entry_count(const std::string& dir) {
  return static_cast<int>(
      std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(AtomicFileTest, WritesTheWholeContent) {
  ScratchDir dir;
  const std::string path = dir.file("out.txt");
  write_atomically(path, [](std::ostream& out) { out << "alpha\nbeta\n"; });

  EXPECT_EQ(read_text(path), "alpha\nbeta\n");
  EXPECT_EQ(entry_count(dir.path()), 1);
}

TEST(AtomicFileTest, ReplacesAnExistingFile) {
  ScratchDir dir;
  const std::string path = dir.file("out.txt");
  write_atomically(path, [](std::ostream& out) { out << "old content"; });
  write_atomically(path, [](std::ostream& out) { out << "new"; });

  EXPECT_EQ(read_text(path), "new");
  EXPECT_EQ(entry_count(dir.path()), 1);
}

TEST(AtomicFileTest, ThrowingWriterLeavesTheOldFileAndNoTemporary) {
  ScratchDir dir;
  const std::string path = dir.file("out.txt");
  write_atomically(path, [](std::ostream& out) { out << "kept"; });

  const auto half_then_throw = [](std::ostream& out) {
    out << "partial";
    throw std::runtime_error("writer gave up");
  };
  EXPECT_THROW(write_atomically(path, half_then_throw), std::runtime_error);
  EXPECT_EQ(read_text(path), "kept");
  EXPECT_EQ(entry_count(dir.path()), 1);
}

TEST(AtomicFileTest, FailedStreamIsAnErrorAndLeavesNoFile) {
  ScratchDir dir;
  const std::string path = dir.file("out.txt");
  const auto failing = [](std::ostream& out) {
    out << "x";
    out.setstate(std::ios::badbit);
  };
  expect_input_error(path, "failed", [&] { write_atomically(path, failing); });

  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(entry_count(dir.path()), 0);
}

TEST(AtomicFileTest, MissingDirectoryNamesThePath) {
  ScratchDir dir;
  const std::string path = dir.file("absent/out.txt");
  expect_input_error(path, "cannot create temporary file", [&] {
    write_atomically(path, [](std::ostream& out) { out << "x"; });
  });
}

TEST(AtomicFileTest, NewFileGetsPermissionsFromTheUmask) {
  ScratchDir dir;
  const std::string path = dir.file("out.txt");
  const mode_t previous = ::umask(022);
  write_atomically(path, [](std::ostream& out) { out << "x"; });
  ::umask(previous);

  const auto perms = fs::status(path).permissions();
  EXPECT_EQ(perms,
            fs::perms::owner_read | fs::perms::owner_write |
                fs::perms::group_read | fs::perms::others_read);
}

TEST(AtomicFileTest, EnsureDirectoryCreatesParentsAndIsIdempotent) {
  ScratchDir dir;
  const std::string nested = dir.file("a/b/c");
  ensure_directory(nested);
  EXPECT_TRUE(fs::is_directory(nested));

  ensure_directory(nested);
  EXPECT_TRUE(fs::is_directory(nested));
}

TEST(AtomicFileTest, EnsureDirectoryRejectsAFile) {
  ScratchDir dir;
  const std::string path = dir.file("plain");
  write_atomically(path, [](std::ostream& out) { out << "x"; });

  expect_input_error(
      path, "exists and is not a directory", [&] { ensure_directory(path); });
  const std::string below = path + "/sub";
  expect_input_error(
      below, "cannot create directory", [&] { ensure_directory(below); });
}

}  // namespace
}  // namespace rmtlens
