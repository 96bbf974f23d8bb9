// Private helpers of the TSM file reader/writer and the tombstone reader: big-endian integers,
// an owned file descriptor, positioned reads with an error value, and a small read-ahead buffer
// so that the index (possibly hundreds of MB) is streamed key by key, never loaded whole.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "ifx/format/error.hpp"
#include "io/byte_buffer.hpp"

namespace ifx::tsm::detail {

inline std::uint16_t load_u16_be(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
inline std::uint32_t load_u32_be(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}
inline std::uint64_t load_u64_be(const std::uint8_t* p) {
  return (std::uint64_t{load_u32_be(p)} << 32) | load_u32_be(p + 4);
}
inline void append_u16_be(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
inline void append_u32_be(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
inline void append_u64_be(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// Owns a POSIX file descriptor; closes it on destruction.
class FileHandle {
 public:
  FileHandle() = default;
  explicit FileHandle(int fd) : fd_(fd) {}
  FileHandle(FileHandle&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  FileHandle& operator=(FileHandle&& o) noexcept;
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  ~FileHandle();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// Opens `path` read-only and returns its descriptor and size ("io" error otherwise).
struct OpenedFile {
  FileHandle handle;
  std::uint64_t size = 0;
};
Result<OpenedFile> open_for_reading(const std::filesystem::path& path);

// Reads exactly out.size() bytes at `offset` (retrying short reads); a file that ends early is
// an "io" error naming the offset (the file changed under us, or the caller's bounds are wrong).
Result<void> pread_exact(int fd, std::uint64_t offset, std::span<std::uint8_t> out);

// Writes all bytes (retrying short writes); "io" error otherwise.
Result<void> write_all(int fd, std::span<const std::uint8_t> data);

// Sequential reader over [begin, end) of a file through a fixed read-ahead buffer.
class BufferedRange {
 public:
  BufferedRange(int fd, std::uint64_t begin, std::uint64_t end, std::size_t buffer_size = 64 * 1024);
  std::uint64_t position() const { return pos_; }
  std::uint64_t remaining() const { return end_ - pos_; }
  // Copies the next out.size() bytes; the caller checks remaining() first.
  Result<void> read(std::span<std::uint8_t> out);
  Result<void> read(std::string& out, std::size_t n);  // resizes `out` to n

 private:
  Result<void> refill();
  int fd_;
  std::uint64_t pos_;
  std::uint64_t end_;
  ByteBuffer buffer_;
  std::size_t buffer_begin_ = 0;  // unread bytes are buffer_[buffer_begin_, buffer_end_)
  std::size_t buffer_end_ = 0;
};

}  // namespace ifx::tsm::detail
