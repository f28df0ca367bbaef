// libFuzzer entry point for the IDX reader, raw or gzip (zlib tells them
// apart). Any input must end in a result or an InputError.
#include <cstddef>
#include <cstdint>

#include "rmtlens/idx.hpp"
#include "scratch_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  static rmtlens::fuzz::ScratchFile scratch(".idx");
  const std::string& path = scratch.write(data, size);
  try {
    const rmtlens::IdxArray array = rmtlens::read_idx(path);

    // What a caller relies on: data holds exactly the whole shape.
    std::size_t expected = 1;
    for (const std::int64_t dim : array.shape) expected *= dim;
    if (array.data.size() != expected) __builtin_trap();
  } catch (const rmtlens::InputError&) {
  }
  return 0;
}
