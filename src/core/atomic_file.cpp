// Atomic output: write beside the destination, fsync, then rename(2), which
// POSIX makes atomic within one file system. A reader sees the old file or
// the whole new one, never a prefix, even if the process dies mid-write.
#include "rmtlens/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "rmtlens/types.hpp"

namespace rmtlens {
namespace {

namespace fs = std::filesystem;

// Gives up on finding a free temporary name after this many collisions.
constexpr int kMaxNameAttempts = 100;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw InputError(path + ": " + what);
}

std::string errno_text(int error) {
  return std::strerror(error);
}

// A temporary file beside the destination. The destructor removes it
// unless it was renamed into place, so every failure path cleans up.
class TempFile {
 public:
  explicit TempFile(const std::string& target);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }
  void sync_and_close();
  void rename_to(const std::string& target);

 private:
  std::string target_;
  std::string path_;
  int fd_ = -1;
  bool renamed_ = false;
};

TempFile::TempFile(const std::string& target) : target_(target) {
  // A process-wide counter plus the pid makes names unique among threads
  // and processes; O_EXCL guarantees we never reuse someone else's file.
  static std::atomic<unsigned> counter{0};
  int error = 0;
  for (int attempt = 0; attempt < kMaxNameAttempts; ++attempt) {
    path_ = target + ".tmp-" + std::to_string(::getpid()) + "-" +
            std::to_string(counter++);
    // Mode 0666 lets the umask decide permissions, as for a plain create.
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) return;
    error = errno;
    if (error != EEXIST) break;
  }
  fail(target,
       "cannot create temporary file " + path_ + ": " + errno_text(error));
}

TempFile::~TempFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!renamed_) ::unlink(path_.c_str());
}

void TempFile::sync_and_close() {
  // fsync acts on the inode, so it also flushes what the ofstream wrote
  // through its own descriptor.
  const int sync_result = ::fsync(fd_);
  const int sync_error = errno;
  const int close_result = ::close(fd_);
  fd_ = -1;
  if (sync_result != 0) {
    fail(target_, "fsync of " + path_ + " failed: " + errno_text(sync_error));
  }
  if (close_result != 0) {
    fail(target_, "closing " + path_ + " failed: " + errno_text(errno));
  }
}

void TempFile::rename_to(const std::string& target) {
  if (::rename(path_.c_str(), target.c_str()) != 0) {
    fail(target,
         "cannot rename " + path_ + " into place: " + errno_text(errno));
  }
  renamed_ = true;
}

// Makes the rename itself durable. Best effort: some file systems refuse
// fsync on a directory, and the data is already safe in the file.
void sync_directory_of(const std::string& path) {
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void write_stream(const std::string& target,
                  const std::string& temp_path,
                  const std::function<void(std::ostream&)>& write) {
  std::ofstream out(temp_path, std::ios::binary | std::ios::trunc);
  if (!out) {
    fail(target,
         "cannot open " + temp_path + " for writing: " + errno_text(errno));
  }
  write(out);

  out.flush();
  if (!out) fail(target, "writing " + temp_path + " failed");
  out.close();
  if (!out) fail(target, "closing " + temp_path + " failed");
}

}  // namespace

void write_atomically(const std::string& path,
                      const std::function<void(std::ostream&)>& write) {
  TempFile temp(path);
  write_stream(path, temp.path(), write);
  temp.sync_and_close();
  temp.rename_to(path);
  sync_directory_of(path);
}

void ensure_directory(const std::string& dir) {
  if (dir.empty()) return;  // the current directory
  std::error_code error;
  const fs::file_status status = fs::status(dir, error);
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) {
      fail(dir, "exists and is not a directory");
    }
    return;
  }

  fs::create_directories(dir, error);
  if (error) fail(dir, "cannot create directory: " + error.message());
}

}  // namespace rmtlens
