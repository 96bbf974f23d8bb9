// Buffered sequential reads from a file descriptor, counting the bytes consumed so that errors
// in compressed data can name a file offset. The descriptor is read from its current position
// (a pipe works), which the caller names as `start_offset`.
#pragma once

#include "ifx/format/error.hpp"
#include "io/byte_buffer.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include <fmt/format.h>

namespace ifx::archive {

class InputBuffer {
 public:
  explicit InputBuffer(int fd, std::uint64_t start_offset = 0, std::size_t capacity = 64 * 1024)
      : fd_(fd), buf_(capacity), total_read_(start_offset) {}

  // Refills when empty; false at end of file.
  Result<bool> fill() {
    if (pos_ < len_) return true;
    if (eof_) return false;
    while (true) {
      ssize_t n = ::read(fd_, buf_.data(), buf_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        return fail(ErrorCode::io, fmt::format("read failed at offset {}: {}", total_read_, std::strerror(errno)),
                    total_read_);
      pos_ = 0;
      len_ = static_cast<std::size_t>(n);
      total_read_ += len_;
      if (n == 0) eof_ = true;
      return n > 0;
    }
  }

  // The next byte, or nullopt at end of file.
  Result<std::optional<std::uint8_t>> byte() {
    auto more = fill();
    if (!more) return std::unexpected(more.error());
    if (!*more) return std::optional<std::uint8_t>{};
    return std::optional<std::uint8_t>{buf_[pos_++]};
  }

  const std::uint8_t* data() const { return buf_.data() + pos_; }
  std::size_t available() const { return len_ - pos_; }
  void consume(std::size_t n) { pos_ += n; }
  // File offset of the next unconsumed byte.
  std::uint64_t offset() const { return total_read_ - (len_ - pos_); }

 private:
  int fd_;
  ByteBuffer buf_;
  std::size_t pos_ = 0;
  std::size_t len_ = 0;
  std::uint64_t total_read_ = 0;
  bool eof_ = false;
};

}  // namespace ifx::archive
