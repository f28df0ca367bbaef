// Outputs appear whole or not at all: each file is written to a temporary
// name beside its destination and renamed into place.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace rmtlens {

// Calls `write` on a stream to a temporary file next to `path`, flushes,
// fsyncs and renames it to `path`. If `write` throws or the stream fails, the
// temporary file is removed and the error propagates; `path` is untouched.
// A failing stream, create, fsync or rename throws InputError naming `path`.
// A new file gets the permissions the umask gives an ordinary create.
void write_atomically(const std::string& path,
                      const std::function<void(std::ostream&)>& write);

// Creates `dir` and its parents if missing. Throws InputError if it exists
// and is not a directory or cannot be created.
void ensure_directory(const std::string& dir);

// Example:
//   rmtlens::ensure_directory("out");
//   rmtlens::write_atomically("out/sweep.csv", [&](std::ostream& out) {
//     out << "n,ridge,gcv\n";
//   });

}  // namespace rmtlens
