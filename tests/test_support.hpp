// Helpers shared by the unit tests: a scratch directory that cleans up
// after itself, and the check that a reader rejects bad input with the
// one-line message the command-line contract asks for.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include "rmtlens/types.hpp"

namespace rmtlens::test_support {

// A fresh directory under the system temp dir for one test, removed with
// its contents when the test ends (pass or fail).
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "rmtlens-test-XXXXXX")
            .string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed for " + pattern);
    }
    path_ = pattern;
  }

  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  std::string file(const std::string& name) const {
    return (std::filesystem::path(path_) / name).string();
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs `call` and checks it throws InputError with a one-line message that
// starts with `path` and contains `fragment`.
template <typename Call>
void expect_input_error(const std::string& path,
                        const std::string& fragment,
                        Call call) {
  try {
    call();
    ADD_FAILURE() << "expected an InputError containing: " << fragment;
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

}  // namespace rmtlens::test_support
