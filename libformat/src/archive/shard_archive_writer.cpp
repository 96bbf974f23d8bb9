// ShardArchiveWriter: Go-identical tar headers (docs/FORMATS.md §4.1) inside none/gzip/zstd
// (§2.4, §3.3), written through an AtomicFile.
#include "archive/encoded_sink.hpp"
#include "archive/tar_header.hpp"
#include "ifx/format/archive/shard_archive.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace ifx {

struct ShardArchiveWriter::State {
  ShardArchiveWriterOptions options;
  std::string path;
  AtomicFile file;
  std::unique_ptr<archive::EncodedSink> sink;
  std::uint64_t tar_bytes = 0;
  std::string entry;            // current entry name
  std::uint64_t remaining = 0;  // data bytes still owed to the current entry
  std::uint64_t entry_size = 0;
  bool in_entry = false;
  bool pass_through = false;  // write_tar_stream() mode
  bool has_entries = false;   // begin_entry() mode
  bool finished = false;
  bool failed = false;

  explicit State(AtomicFile f) : file(std::move(f)) {}

  Result<void> emit(std::span<const std::uint8_t> bytes) {
    auto r = sink->write(bytes);
    if (!r) {
      failed = true;
      return std::unexpected(std::move(r.error()).in_file(path));
    }
    tar_bytes += bytes.size();
    return {};
  }
  Result<void> emit(const std::string& s) { return emit({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}); }

  Result<void> usable() const {
    if (failed) return fail(ErrorCode::invalid_argument, fmt::format("{}: the writer failed earlier", path));
    if (finished) return fail(ErrorCode::invalid_argument, fmt::format("{}: the archive is finished", path));
    return {};
  }

  // Data is padded with zeros to a 512-byte boundary (§4.1).
  Result<void> close_entry() {
    if (!in_entry) return {};
    if (remaining != 0) {
      auto e = fail(ErrorCode::invalid_argument, fmt::format("entry {} declared {} bytes but only {} were written",
                                                             entry, entry_size, entry_size - remaining));
      e.error().file = path;
      e.error().entry = entry;
      return e;
    }
    in_entry = false;
    static const std::uint8_t zeros[512] = {};
    std::size_t pad = (512 - entry_size % 512) % 512;
    return emit({zeros, pad});
  }
};

ShardArchiveWriter::ShardArchiveWriter(std::unique_ptr<State> s) : state_(std::move(s)) {}
ShardArchiveWriter::ShardArchiveWriter(ShardArchiveWriter&&) noexcept = default;
ShardArchiveWriter& ShardArchiveWriter::operator=(ShardArchiveWriter&&) noexcept = default;
// Members are destroyed in reverse order: the sink before the file it writes to; the file's
// destructor removes the .pending file unless finish() committed it.
ShardArchiveWriter::~ShardArchiveWriter() = default;

Result<ShardArchiveWriter> ShardArchiveWriter::create(const std::filesystem::path& path,
                                                      ShardArchiveWriterOptions options) {
  auto file = AtomicFile::create(path, options.file);
  if (!file) return std::unexpected(file.error());
  auto state = std::make_unique<State>(std::move(*file));
  state->options = std::move(options);
  state->path = path.string();
  auto sink = archive::make_encoded_sink(state->file, state->options);
  if (!sink) return std::unexpected(std::move(sink.error()).in_file(state->path));
  state->sink = std::move(*sink);
  return ShardArchiveWriter(std::move(state));
}

Result<void> ShardArchiveWriter::begin_entry(const TarEntryHeader& header) {
  State& s = *state_;
  if (auto r = s.usable(); !r) return r;
  if (s.pass_through) {
    return fail(ErrorCode::invalid_argument, fmt::format("{}: begin_entry() after write_tar_stream()", s.path));
  }
  s.has_entries = true;
  if (auto r = s.close_entry(); !r) return r;
  if (auto name = parse_shard_entry_name(header.name); !name) {
    Error e = std::move(name.error());
    e.code = ErrorCode::invalid_argument;  // the caller's mistake, not a hostile archive
    e.file = s.path;
    return std::unexpected(std::move(e));
  }
  archive::GoTarHeader h{header.name,   header.size,   header.mode,     header.mtime,
                         s.options.uid, s.options.gid, s.options.uname, s.options.gname};
  if (auto r = s.emit(archive::encode_go_tar_header(h)); !r) return r;
  s.entry = header.name;
  s.entry_size = s.remaining = header.size;
  s.in_entry = true;
  return {};
}

Result<void> ShardArchiveWriter::write(std::span<const std::uint8_t> data) {
  State& s = *state_;
  if (auto r = s.usable(); !r) return r;
  if (!s.in_entry || data.size() > s.remaining) {
    auto e = fail(ErrorCode::invalid_argument, s.in_entry
                                                   ? fmt::format("entry {} declared {} bytes; writing {} more would "
                                                                 "exceed it",
                                                                 s.entry, s.entry_size, data.size())
                                                   : std::string("write() before begin_entry()"));
    e.error().file = s.path;
    e.error().entry = s.entry;
    return e;
  }
  s.remaining -= data.size();
  return s.emit(data);
}

Result<void> ShardArchiveWriter::add_file(const std::string& name, const std::filesystem::path& source,
                                          std::optional<TarEntryAttributes> attributes) {
  auto io_fail = [&](const char* what) {
    auto e = fail(ErrorCode::io, fmt::format("cannot {} {}: {}", what, source.string(), std::strerror(errno)));
    e.error().file = source.string();
    return e;
  };
  int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_fail("open");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return io_fail("stat");
  if (!S_ISREG(st.st_mode)) {
    return fail(ErrorCode::invalid_argument, fmt::format("{} is not a regular file", source.string()));
  }
  // Go rounds the modification time to the nearest second before writing it (§4.1).
  std::int64_t mtime = st.st_mtim.tv_sec + (st.st_mtim.tv_nsec >= 500'000'000 ? 1 : 0);
  TarEntryHeader header{name, static_cast<std::uint64_t>(st.st_size), st.st_mode & 07777u, mtime};
  if (attributes) {
    header.mode = attributes->mode & 07777u;
    header.mtime = attributes->mtime;
  }
  if (auto r = begin_entry(header); !r) return r;

  std::vector<std::uint8_t> buf(256 * 1024);
  std::uint64_t left = header.size;
  while (left > 0) {
    ssize_t n = ::read(fd, buf.data(), std::min<std::uint64_t>(buf.size(), left));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_fail("read");
    if (n == 0) {
      return fail(ErrorCode::io,
                  fmt::format("{} shrank while being archived ({} bytes missing)", source.string(), left));
    }
    if (auto r = write({buf.data(), static_cast<std::size_t>(n)}); !r) return r;
    left -= static_cast<std::uint64_t>(n);
  }
  return {};
}

Result<void> ShardArchiveWriter::write_tar_stream(std::span<const std::uint8_t> tar_bytes) {
  State& s = *state_;
  if (auto r = s.usable(); !r) return r;
  if (s.has_entries) {
    return fail(ErrorCode::invalid_argument, fmt::format("{}: write_tar_stream() after begin_entry()", s.path));
  }
  s.pass_through = true;
  return s.emit(tar_bytes);
}

Result<std::uint64_t> ShardArchiveWriter::finish() {
  State& s = *state_;
  if (auto r = s.usable(); !r) return std::unexpected(r.error());
  if (auto r = s.close_entry(); !r) return std::unexpected(r.error());
  if (!s.pass_through) {
    // End of archive: two zero blocks, no padding to a 10 KiB record (§4.1).
    static const std::uint8_t trailer[1024] = {};
    if (auto r = s.emit(trailer); !r) return std::unexpected(r.error());
  }
  if (auto r = s.sink->finish(); !r) {
    s.failed = true;
    return std::unexpected(std::move(r.error()).in_file(s.path));
  }
  if (auto r = s.file.commit(); !r) {
    s.failed = true;
    return std::unexpected(r.error());
  }
  s.finished = true;
  return s.tar_bytes;
}

std::uint64_t ShardArchiveWriter::uncompressed_bytes() const { return state_->tar_bytes; }
const std::string& ShardArchiveWriter::file_sha256() const { return state_->file.sha256_hex(); }
const std::filesystem::path& ShardArchiveWriter::path() const { return state_->file.final_path(); }

}  // namespace ifx
