#include "tsm/tsm_file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace ifx::tsm::detail {

FileHandle& FileHandle::operator=(FileHandle&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

FileHandle::~FileHandle() {
  if (fd_ >= 0) ::close(fd_);
}

Result<OpenedFile> open_for_reading(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(ErrorCode::io, fmt::format("cannot open {} for reading: {}", path.string(), std::strerror(errno)));
  }
  OpenedFile file{FileHandle(fd), 0};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return fail(ErrorCode::io, fmt::format("cannot stat {}: {}", path.string(), std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(ErrorCode::io, fmt::format("{} is not a regular file", path.string()));
  }
  file.size = static_cast<std::uint64_t>(st.st_size);
  return file;
}

Result<void> pread_exact(int fd, std::uint64_t offset, std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::io,
                  fmt::format("read of {} bytes at offset {} failed: {}", out.size(), offset, std::strerror(errno)),
                  offset);
    }
    if (n == 0) {
      return fail(
          ErrorCode::io,
          fmt::format("file ended at offset {} while reading {} bytes at offset {}", offset + done, out.size(), offset),
          offset + done);
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> write_all(int fd, std::span<const std::uint8_t> data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::io, fmt::format("write of {} bytes failed: {}", data.size() - done, std::strerror(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

BufferedRange::BufferedRange(int fd, std::uint64_t begin, std::uint64_t end, std::size_t buffer_size)
    // No larger than the range: tombstone files and small indexes are often a few bytes, and
    // zeroing 64 KiB for each of them dominated reading them.
    : fd_(fd),
      pos_(begin),
      end_(end),
      buffer_(static_cast<std::size_t>(std::min<std::uint64_t>(buffer_size, end > begin ? end - begin : 0))) {}

Result<void> BufferedRange::refill() {
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer_.size(), end_ - pos_));
  if (auto r = pread_exact(fd_, pos_, std::span(buffer_.data(), want)); !r) return r;
  buffer_begin_ = 0;
  buffer_end_ = want;
  return {};
}

Result<void> BufferedRange::read(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    if (buffer_begin_ == buffer_end_) {
      // Large reads (long keys) bypass nothing: the buffer is refilled as often as needed.
      if (auto r = refill(); !r) return r;
      if (buffer_end_ == 0) {
        return fail(ErrorCode::io, fmt::format("read past the end of the range at offset {}", pos_), pos_);
      }
    }
    std::size_t n = std::min(out.size() - done, buffer_end_ - buffer_begin_);
    std::memcpy(out.data() + done, buffer_.data() + buffer_begin_, n);
    buffer_begin_ += n;
    pos_ += n;
    done += n;
  }
  return {};
}

Result<void> BufferedRange::read(std::string& out, std::size_t n) {
  out.resize(n);
  return read(std::span(reinterpret_cast<std::uint8_t*>(out.data()), n));
}

}  // namespace ifx::tsm::detail
