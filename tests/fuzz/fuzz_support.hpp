// Shared pieces of the libFuzzer targets (tests/fuzz/*_fuzz.cpp): viewing the input, handing it
// to APIs that only take a path, checking invariants and error values.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "ifx/format/error.hpp"

namespace ifx::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// An invariant the library promises does not hold: print what and abort, so libFuzzer keeps the
// input as a crash artifact.
[[noreturn]] inline void invariant_failed(const char* what, const std::string& detail = {}) {
  // fwrite: the detail may hold NUL bytes from the input.
  std::fprintf(stderr, "fuzz invariant failed: %s%s", what, detail.empty() ? "" : ": ");
  std::fwrite(detail.data(), 1, detail.size(), stderr);
  std::fputc('\n', stderr);
  std::abort();
}
inline void check(bool ok, const char* what, const std::string& detail = {}) {
  if (!ok) invariant_failed(what, detail);
}

// Every error a parser returns must carry one of the codes it documents and a message, and an
// offset (when given) that lies inside the input (or just past its end: "truncated at N").
inline void check_error(const Error& e, std::span<const std::string_view> codes, std::uint64_t input_size) {
  bool known = false;
  for (auto c : codes) known = known || to_string(e.code) == c;
  check(known, "unexpected error code", std::string(to_string(e.code)) + ": " + e.message);
  check(!e.message.empty(), "error without a message", std::string(to_string(e.code)));
  if (e.offset) {
    check(*e.offset <= input_size, "error offset past the end of the input",
          std::to_string(*e.offset) + " > " + std::to_string(input_size) + ": " + e.message);
  }
}
inline void check_error(const Error& e, std::initializer_list<std::string_view> codes, std::uint64_t input_size) {
  check_error(e, std::span<const std::string_view>(codes.begin(), codes.size()), input_size);
}

// Anonymous memory files (memfd_create) opened by their /proc/self/fd name, for the APIs that
// take a path: no disk I/O and nothing to clean up, even when libFuzzer ends with _Exit.
class MemoryFile {
 public:
  // The current input, rewritten for every input.
  static MemoryFile& input() {
    static MemoryFile file("ifx-fuzz-input");
    return file;
  }
  // Where a target writes a file back (e.g. write_tombstones opens it with O_TRUNC).
  static MemoryFile& output() {
    static MemoryFile file("ifx-fuzz-output");
    return file;
  }
  const std::filesystem::path& write(std::span<const std::uint8_t> bytes) {
    check(::ftruncate(fd_, 0) == 0, "ftruncate(memfd)");
    std::size_t done = 0;
    while (done < bytes.size()) {
      const auto n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      check(n > 0, "pwrite(memfd)");
      done += static_cast<std::size_t>(n);
    }
    return path_;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit MemoryFile(const char* name) : fd_(::memfd_create(name, MFD_CLOEXEC)) {
    check(fd_ >= 0, "memfd_create");
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  int fd_;
  std::filesystem::path path_;
};

}  // namespace ifx::fuzz
