#include "ifx/format/io/link_or_copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "ifx/format/io/atomic_file.hpp"

namespace ifx {
namespace {

std::unexpected<Error> io_error(const std::filesystem::path& path, std::string message) {
  return fail_in_file(ErrorCode::io, path.string(), std::move(message));
}

Result<void> copy_durably(const std::filesystem::path& from, const std::filesystem::path& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return io_error(from, fmt::format("cannot read {}: {}", from.string(), std::strerror(errno)));
  struct stat st {};
  if (::fstat(in, &st) != 0) {
    const int err = errno;
    ::close(in);
    return io_error(from, fmt::format("cannot stat {}: {}", from.string(), std::strerror(err)));
  }
  // Only backup files are shared this way: a copy is as private as any file of a backup, even of
  // one written by a version that left them readable by others.
  auto out = AtomicFile::create(to, {.mode = static_cast<mode_t>(st.st_mode & kBackupFileMode)});
  if (!out) {
    ::close(in);
    return std::unexpected(out.error());
  }
  std::vector<std::uint8_t> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(in);
      return io_error(from, fmt::format("cannot read {}: {}", from.string(), std::strerror(err)));
    }
    if (n == 0) break;
    if (auto w = out->write({buf.data(), static_cast<std::size_t>(n)}); !w) {
      ::close(in);
      return w;
    }
  }
  ::close(in);
  return out->commit();
}

}  // namespace

Result<LinkKind> link_or_copy(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::link(from.c_str(), to.c_str()) == 0) return LinkKind::hard_link;
  const int err = errno;
  if (err != EXDEV && err != EPERM && err != EMLINK && err != ENOTSUP && err != EOPNOTSUPP)
    return io_error(to, fmt::format("cannot link {} to {}: {}", to.string(), from.string(), std::strerror(err)));
  if (auto r = copy_durably(from, to); !r) return std::unexpected(r.error());
  return LinkKind::copy;
}

}  // namespace ifx
