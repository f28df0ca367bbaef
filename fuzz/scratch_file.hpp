// The parsers read files, so each fuzz input goes through a scratch file,
// one per process (named by pid, so parallel fuzzing jobs do not collide).
// It lives in /dev/shm where that exists: on a disk, writing the file costs
// ten times more than parsing it.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace rmtlens::fuzz {

class ScratchFile {
 public:
  explicit ScratchFile(const char* suffix)
      : path_((directory() /
               ("rmtlens-fuzz-" + std::to_string(::getpid()) + suffix))
                  .string()) {}
  ~ScratchFile() { std::remove(path_.c_str()); }

  // Replaces the file's content with `data`; returns its path.
  const std::string& write(const std::uint8_t* data, std::size_t size) {
    std::FILE* file = std::fopen(path_.c_str(), "wb");
    if (file == nullptr) std::abort();  // the harness itself is broken
    if (size > 0 && std::fwrite(data, 1, size, file) != size) std::abort();
    std::fclose(file);
    return path_;
  }

 private:
  static std::filesystem::path directory() {
    std::error_code error;
    if (std::filesystem::is_directory("/dev/shm", error)) return "/dev/shm";
    return std::filesystem::temp_directory_path();
  }

  std::string path_;
};

}  // namespace rmtlens::fuzz
