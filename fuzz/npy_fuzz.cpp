// libFuzzer entry point for the .npy reader. Any input must end in a
// result or an InputError: a crash, a sanitizer report, another exception
// type or a huge allocation is a bug.
#include <cstddef>
#include <cstdint>

#include "rmtlens/npy.hpp"
#include "scratch_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  static rmtlens::fuzz::ScratchFile scratch(".npy");
  const std::string& path = scratch.write(data, size);

  // Each reader validates on its own, so each is driven separately.
  std::int64_t count = -1;
  try {
    count = rmtlens::read_npy_header(path).element_count();
  } catch (const rmtlens::InputError&) {
  }

  try {
    const rmtlens::Matrix m = rmtlens::read_npy_matrix(path);
    if (m.size() != count) __builtin_trap();  // header and data disagree
  } catch (const rmtlens::InputError&) {
  }

  try {
    const auto values = rmtlens::read_npy_integers(path);
    if (static_cast<std::int64_t>(values.size()) != count) __builtin_trap();
  } catch (const rmtlens::InputError&) {
  }
  return 0;
}
