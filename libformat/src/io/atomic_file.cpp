#include "ifx/format/io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace ifx {
namespace {

std::unexpected<Error> io_error(const std::filesystem::path& path, const std::string& what, int err) {
  auto e = fail(ErrorCode::io, fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(err)));
  e.error().file = path.string();
  return e;
}

std::filesystem::path parent_or_dot(const std::filesystem::path& p) {
  auto parent = p.parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

// rename that refuses to replace an existing NAME when asked to; RENAME_NOREPLACE makes the
// check and the rename one atomic step.
int rename_file(const std::filesystem::path& from, const std::filesystem::path& to, bool replace_existing) {
  if (replace_existing) return ::rename(from.c_str(), to.c_str());
  return ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE);
}

}  // namespace

std::filesystem::path pending_path_of(const std::filesystem::path& final_path) {
  std::filesystem::path p = final_path;
  p += kPendingSuffix;
  return p;
}

Result<void> fsync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error(dir, "open directory", errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  // Some file systems cannot fsync a directory (EINVAL); the rename is as durable as they allow.
  if (rc != 0 && err != EINVAL) return io_error(dir, "fsync directory", err);
  return {};
}

Result<AtomicFile> AtomicFile::create(std::filesystem::path final_path, AtomicFileOptions options) {
  AtomicFile file;
  file.final_path_ = std::move(final_path);
  file.pending_path_ = pending_path_of(file.final_path_);
  file.options_ = options;

  std::error_code ec;
  if (!options.replace_existing &&
      std::filesystem::symlink_status(file.final_path_, ec).type() != std::filesystem::file_type::not_found) {
    return io_error(file.final_path_, "create", EEXIST);
  }
  file.fd_ = ::open(file.pending_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, options.mode);
  if (file.fd_ < 0) {
    int err = errno;
    if (err == EEXIST) {
      auto e = fail(ErrorCode::io, fmt::format("cannot create {}: it already exists (another writer, or a "
                                               "leftover of an interrupted run: remove it and retry)",
                                               file.pending_path_.string()));
      e.error().file = file.pending_path_.string();
      return e;
    }
    return io_error(file.pending_path_, "create", err);
  }
  file.owns_pending_ = true;
  if (options.sha256) file.sha256_ = std::make_unique<Sha256>();
  return file;
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : final_path_(std::move(other.final_path_)),
      pending_path_(std::move(other.pending_path_)),
      options_(other.options_),
      fd_(std::exchange(other.fd_, -1)),
      bytes_written_(other.bytes_written_),
      committed_(std::exchange(other.committed_, true)),
      owns_pending_(std::exchange(other.owns_pending_, false)),
      sha256_(std::move(other.sha256_)),
      sha256_hex_(std::move(other.sha256_hex_)) {}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    abandon();
    final_path_ = std::move(other.final_path_);
    pending_path_ = std::move(other.pending_path_);
    options_ = other.options_;
    fd_ = std::exchange(other.fd_, -1);
    bytes_written_ = other.bytes_written_;
    committed_ = std::exchange(other.committed_, true);
    owns_pending_ = std::exchange(other.owns_pending_, false);
    sha256_ = std::move(other.sha256_);
    sha256_hex_ = std::move(other.sha256_hex_);
  }
  return *this;
}

AtomicFile::~AtomicFile() { abandon(); }

void AtomicFile::abandon() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (owns_pending_ && !committed_) ::unlink(pending_path_.c_str());
  owns_pending_ = false;  // nothing left to clean up
}

Result<void> AtomicFile::write(std::span<const std::uint8_t> bytes) {
  if (fd_ < 0) return fail(ErrorCode::invalid_argument, "write to an atomic file that is closed");
  if (sha256_) sha256_->update(bytes);
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(pending_path_, "write to", errno);
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
    bytes_written_ += static_cast<std::uint64_t>(n);
  }
  return {};
}

Result<void> AtomicFile::commit() {
  if (fd_ < 0) return fail(ErrorCode::invalid_argument, "commit of an atomic file that is closed");
  if (options_.durable && ::fsync(fd_) != 0) return io_error(pending_path_, "fsync", errno);
  int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) return io_error(pending_path_, "close", errno);
  if (rename_file(pending_path_, final_path_, options_.replace_existing) != 0) {
    return io_error(final_path_, fmt::format("rename {} to", pending_path_.string()), errno);
  }
  committed_ = true;
  if (sha256_) sha256_hex_ = sha256_->finish_hex();
  if (!options_.durable) return {};
  return fsync_dir(parent_or_dot(final_path_));
}

}  // namespace ifx
