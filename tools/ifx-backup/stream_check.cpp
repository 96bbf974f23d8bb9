// The server's tar is checked as it arrives, beside its compression: the bytes go through a pipe
// to a thread that runs libformat's shard check on them (tar complete to its end marker, entry
// names of this shard only, every TSM block's CRC-32). Checking the compressed file after writing
// it instead meant inflating every byte again: a third of the backup's CPU (docs/FORMATS.md §1.7: the
// protocol has no error channel, so a damaged answer is only found by reading it).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "ifx-backup/steps.hpp"

namespace ifx::backup::detail {

Result<std::unique_ptr<StreamCheck>> StreamCheck::start(const PlannedShard& shard,
                                                        const std::filesystem::path& scratch_root) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return fail(ErrorCode::io,
                fmt::format("cannot create a pipe for checking shard {}: {}", shard.shard_id, std::strerror(errno)));
  // A larger pipe means fewer switches between the receiving and the checking thread; the
  // default size works too (an unprivileged process may be refused the larger one).
  (void)::fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
  std::unique_ptr<StreamCheck> check(new StreamCheck(fds[1]));
  const int read_end = fds[0];
  check->checker_ = std::thread([c = check.get(), read_end, shard, scratch_root] {
    // The check reads the pipe as if it were the archive file (a plain tar: no compression to
    // detect), through a duplicate the reader closes. It stops at its first defect (or before
    // reading, if its own scratch space fails); the rest is drained so that the sender never
    // blocks on a full pipe.
    auto from_pipe = [read_end](ShardArchiveReaderOptions ro) -> Result<ShardArchiveReader> {
      const int fd = ::fcntl(read_end, F_DUPFD_CLOEXEC, 0);
      if (fd < 0) return fail(ErrorCode::io, fmt::format("cannot read the received stream: {}", std::strerror(errno)));
      return ShardArchiveReader::open_fd(fd, "received.tar", std::move(ro));
    };
    c->verdict_ = check_archive(scratch_root, "received.tar", shard, std::nullopt, scratch_root, from_pipe);
    char sink[64 * 1024];
    while (true) {
      ssize_t n = ::read(read_end, sink, sizeof sink);
      if (n > 0 || (n < 0 && errno == EINTR)) continue;
      break;
    }
    ::close(read_end);
  });
  return check;
}

StreamCheck::~StreamCheck() {
  close_write_end();
  if (checker_.joinable()) checker_.join();
}

void StreamCheck::close_write_end() {
  if (write_end_ >= 0) ::close(write_end_);
  write_end_ = -1;
}

Result<void> StreamCheck::feed(std::span<const std::uint8_t> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(write_end_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return fail(ErrorCode::io,
                  fmt::format("cannot pass the received bytes to their check: {}", std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<check::Checked> StreamCheck::finish() {
  close_write_end();
  if (checker_.joinable()) checker_.join();
  return verdict_;
}

}  // namespace ifx::backup::detail
