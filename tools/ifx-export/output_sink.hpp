// Where ifx-export's bytes go: stdout, a file written atomically (ifx::AtomicFile: NAME.pending,
// fsync, rename — never a half-written NAME), or memory (tests), optionally through a streaming
// gzip layer (`influx -import -compressed` reads it). Each sink streams: nothing is held beyond
// one 1 MiB gzip member and its compressed form.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "ifx/format/error.hpp"

namespace ifx::exporter {

class OutputSink {
 public:
  virtual ~OutputSink() = default;
  virtual Result<void> write(std::string_view bytes) = 0;
  // Flushes what is buffered and makes the output final (the file is renamed into place).
  // Without finish() a file sink leaves nothing behind.
  virtual Result<void> finish() = 0;
  // Bytes handed to the destination so far (after compression).
  virtual std::uint64_t bytes_out() const = 0;
};

// Writes to a file descriptor it does not own (stdout: 1).
std::unique_ptr<OutputSink> make_fd_sink(int fd, std::string display_name);

// NAME.pending, committed by finish() (an existing NAME is replaced, as influx_inspect export's
// os.Create would).
Result<std::unique_ptr<OutputSink>> make_file_sink(const std::filesystem::path& path);

// Appends to a caller-owned string.
std::unique_ptr<OutputSink> make_string_sink(std::string& out);

// gzip (RFC 1952, 1 MiB members) around `inner`: libdeflate at `level` 1-12, or
// GzipWriterOptions::kDefaultLevel (ISA-L igzip level 1).
Result<std::unique_ptr<OutputSink>> make_gzip_sink(std::unique_ptr<OutputSink> inner, int level = 6);

}  // namespace ifx::exporter
