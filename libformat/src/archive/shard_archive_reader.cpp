// ShardArchiveReader: our own decompression (archive/decoded_stream) feeding libarchive's tar
// reader, plus the checks libarchive 3.6.2 does not make: a missing end-of-archive marker
// (influxd's tombstone-export bug, docs/FORMATS.md §4.4.1), entry names (§4.1), entry types,
// duplicates (§4.4), the shard expectation and the decompression-bomb guard.
#include "io/byte_buffer.hpp"
#include "archive/decoded_stream.hpp"
#include "ifx/format/archive/shard_archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>

#include <fmt/format.h>

namespace ifx {
namespace {

constexpr std::uint64_t kTarTrailer = 1024;  // two zero blocks (§4.1)

const char* type_name(mode_t type) {
  switch (type) {
    case AE_IFDIR:
      return "a directory";
    case AE_IFLNK:
      return "a symbolic link";
    case AE_IFCHR:
      return "a character device";
    case AE_IFBLK:
      return "a block device";
    case AE_IFIFO:
      return "a FIFO";
    case AE_IFSOCK:
      return "a socket";
    default:
      return "not a regular file";
  }
}

}  // namespace

struct ShardArchiveReader::State {
  std::string path;
  ShardArchiveReaderOptions options;
  int fd = -1;
  ArchiveCompression compression = ArchiveCompression::none;
  std::unique_ptr<archive::DecodedStream> stream;
  // Handed to libarchive by read_callback; libarchive reads from it until the next callback,
  // so it must never be the destination of archive_read_data (see `skip_buffer`).
  ByteBuffer block{64 * 1024};
  ByteBuffer skip_buffer{64 * 1024};
  struct archive* ar = nullptr;

  std::uint64_t produced = 0;        // tar bytes decoded so far
  std::uint64_t zero_run_start = 0;  // start of the run of zero bytes that ends at `produced`
  bool stream_ended = false;
  std::optional<Error> stream_error;  // an error of the decoded stream seen by libarchive

  std::string entry;  // current (or last) entry name
  bool in_entry = false;
  std::optional<Error> final_error;  // once set, every call returns it
  bool done = false;
  std::unordered_set<std::string> seen;
  std::vector<std::string> duplicates;

  ~State() {
    if (ar) archive_read_free(ar);
    if (fd >= 0) ::close(fd);
  }

  std::unexpected<Error> finish_with(Error e, bool with_entry) {
    // Damaged compressed data often shows first as a nonsense tar header or name; the damage in
    // the compression layer is the real cause, so look for it before blaming the tar.
    if (!final_error && compression != ArchiveCompression::none && !stream_error &&
        (e.code == ErrorCode::tar_header || e.code == ErrorCode::unsafe_path)) {
      while (!stream_ended) {
        auto n = pull(block);
        if (!n) {
          e = std::move(n.error());
          with_entry = false;
          break;
        }
      }
    }
    if (e.file.empty()) e.file = path;
    if (with_entry && e.entry.empty()) e.entry = entry;
    final_error = e;
    return std::unexpected(std::move(e));
  }
  std::unexpected<Error> finish_with(std::unexpected<Error> e, bool with_entry) {
    return finish_with(std::move(e.error()), with_entry);
  }

  // Pulls decoded bytes, keeping the counters and the bomb guard.
  Result<std::size_t> pull(std::span<std::uint8_t> out) {
    auto n = stream->read(out);
    if (!n) return n;
    if (*n == 0) {
      stream_ended = true;
      return n;
    }
    std::uint64_t start = produced;
    produced += *n;
    for (std::size_t i = *n; i > 0; --i) {  // data rarely ends in zeros: this stops at once
      if (out[i - 1] != 0) {
        zero_run_start = start + i;
        break;
      }
    }
    if (auto r = check_bomb(); !r) return std::unexpected(r.error());
    return n;
  }

  Result<void> check_bomb() const {
    std::uint64_t in = std::max<std::uint64_t>(stream->compressed_bytes(), 1);
    if (options.max_uncompressed_bytes && produced > options.max_uncompressed_bytes) {
      return fail(
          ErrorCode::decompression_bomb,
          fmt::format("the archive decompresses to more than the allowed {} bytes", options.max_uncompressed_bytes),
          stream->compressed_bytes());
    }
    double ratio = static_cast<double>(produced) / static_cast<double>(in);
    if (compression != ArchiveCompression::none && produced > options.bomb_grace_bytes && ratio > options.max_ratio) {
      return fail(ErrorCode::decompression_bomb,
                  fmt::format("{} compressed bytes expanded to {} bytes (ratio {:.0f}, above the "
                              "allowed {:.0f}); refusing a likely decompression bomb",
                              in, produced, ratio, options.max_ratio),
                  stream->compressed_bytes());
    }
    return {};
  }

  static la_ssize_t read_callback(struct archive*, void* client, const void** buffer) {
    auto* self = static_cast<State*>(client);
    auto n = self->pull(self->block);
    if (!n) {
      self->stream_error = std::move(n.error());
      return -1;
    }
    *buffer = self->block.data();
    return static_cast<la_ssize_t>(*n);
  }

  // libarchive failed: the decoded stream's own error wins; otherwise a tar error, "truncated"
  // when the tar bytes ran out.
  std::unexpected<Error> tar_failure(std::uint64_t header_offset, bool inside_data) {
    if (stream_error) return finish_with(*stream_error, false);  // a file offset, not the entry's
    std::string why = archive_error_string(ar) ? archive_error_string(ar) : "unknown error";
    bool truncated = stream_ended && why.find("runcated") != std::string::npos;
    if (truncated) {
      return finish_with(fail(ErrorCode::tar_truncated,
                              inside_data ? fmt::format("the tar stream ends at offset {} inside the data of entry {}",
                                                        produced, entry)
                                          : fmt::format("the tar stream ends at offset {} inside an entry header "
                                                        "(header starts at {})",
                                                        produced, header_offset),
                              produced),
                         inside_data);
    }
    return finish_with(fail(ErrorCode::tar_header,
                            fmt::format("damaged tar header at offset {} ({})", header_offset, why), header_offset),
                       false);
  }

  Result<void> check_entry(struct archive_entry* e, ArchiveEntry& out) {
    std::uint64_t at = out.header_offset;
    auto unsafe = [&](std::string message) {
      auto err = fail(ErrorCode::unsafe_path, std::move(message), at);
      err.error().entry = out.name;
      return finish_with(std::move(err), false);
    };
    if (const char* target = archive_entry_hardlink(e)) {
      return unsafe(
          fmt::format("entry {} is a hard link to {}; a shard archive holds only "
                      "regular files",
                      out.name, target));
    }
    mode_t type = archive_entry_filetype(e);
    if (type != AE_IFREG) {
      const char* target = archive_entry_symlink(e);
      return unsafe(fmt::format("entry {} is {}{}; a shard archive holds only regular files", out.name, type_name(type),
                                target ? fmt::format(" to {}", target) : std::string()));
    }
    auto parsed = parse_shard_entry_name(out.name);
    if (!parsed) {
      parsed.error().offset = at;
      return finish_with(std::move(parsed.error()), false);
    }
    out.shard = *parsed;
    const ShardExpectation& x = options.expect;
    auto expected = [&] {
      return fmt::format("{}/{}/{}", x.db.value_or("*"), x.rp.value_or("*"),
                         x.shard_id ? std::to_string(*x.shard_id) : std::string("*"));
    };
    if ((x.db && *x.db != out.shard.db) || (x.rp && *x.rp != out.shard.rp) ||
        (x.shard_id && *x.shard_id != out.shard.shard_id)) {
      return unsafe(
          fmt::format("entry {} belongs to shard {}/{}/{}, but this archive should "
                      "hold only {}",
                      out.name, out.shard.db, out.shard.rp, out.shard.shard_id, expected()));
    }
    return {};
  }

  // After libarchive's end: the rest of the stream must be zeros and hold the two zero blocks;
  // draining it also makes the decoder check the gzip/zstd trailer.
  Result<bool> finish_archive() {
    std::uint64_t end_marker = static_cast<std::uint64_t>(archive_read_header_position(ar));
    while (!stream_ended) {
      auto n = pull(block);
      if (!n) return finish_with(std::move(n.error()), false);
    }
    if (zero_run_start > end_marker) {
      return finish_with(fail(ErrorCode::tar_header,
                              fmt::format("non-zero bytes follow the end-of-archive marker at offset {} (the "
                                          "stream goes on to offset {})",
                                          end_marker, produced),
                              end_marker),
                         false);
    }
    if (produced - end_marker < kTarTrailer) {
      return finish_with(fail(ErrorCode::tar_truncated,
                              fmt::format("the tar stream ends at offset {} without its end-of-archive marker "
                                          "(two 512-byte zero blocks; found {} zero bytes after the last "
                                          "entry)",
                                          produced, produced - end_marker),
                              produced),
                         false);
    }
    done = true;
    return false;
  }
};

ShardArchiveReader::ShardArchiveReader(std::unique_ptr<State> s) : state_(std::move(s)) {}
ShardArchiveReader::ShardArchiveReader(ShardArchiveReader&&) noexcept = default;
ShardArchiveReader& ShardArchiveReader::operator=(ShardArchiveReader&&) noexcept = default;
ShardArchiveReader::~ShardArchiveReader() = default;

Result<ShardArchiveReader> ShardArchiveReader::open(const std::filesystem::path& path,
                                                    ShardArchiveReaderOptions options) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    auto e = fail(ErrorCode::io, fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
    e.error().file = path.string();
    return e;
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return open_fd(fd, path.string(), std::move(options));
}

Result<ShardArchiveReader> ShardArchiveReader::open_fd(int fd, const std::string& name,
                                                       ShardArchiveReaderOptions options) {
  auto s = std::make_unique<State>();
  s->path = name;
  s->options = std::move(options);
  s->fd = fd;  // closed by ~State
  auto opened = archive::open_decoded_stream(s->fd);
  if (!opened) return std::unexpected(std::move(opened.error()).in_file(s->path));
  s->compression = opened->compression;
  s->stream = std::move(opened->stream);

  s->ar = archive_read_new();
  archive_read_support_filter_none(s->ar);
  archive_read_support_format_tar(s->ar);
  // No bidding: whatever is not gzip or zstd must be a tar, and an empty or damaged one should
  // fail as a tar, not as "unrecognized format".
  archive_read_set_format(s->ar, ARCHIVE_FORMAT_TAR);
  if (archive_read_open(s->ar, s.get(), nullptr, &State::read_callback, nullptr) != ARCHIVE_OK) {
    if (s->stream_error) return std::unexpected(std::move(*s->stream_error).in_file(s->path));
    auto e = fail(ErrorCode::io, fmt::format("cannot start reading {}: {}", s->path,
                                             archive_error_string(s->ar) ? archive_error_string(s->ar) : "?"));
    e.error().file = s->path;
    return e;
  }
  return ShardArchiveReader(std::move(s));
}

Result<bool> ShardArchiveReader::next(ArchiveEntry& out) {
  State& s = *state_;
  if (s.final_error) return std::unexpected(*s.final_error);
  if (s.done) return false;
  // Read the rest of the current entry ourselves so a truncation is blamed on it.
  while (s.in_entry) {
    auto n = read(s.skip_buffer);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) break;
  }
  struct archive_entry* e = nullptr;
  int rc = archive_read_next_header(s.ar, &e);
  std::uint64_t header_offset = static_cast<std::uint64_t>(archive_read_header_position(s.ar));
  if (rc == ARCHIVE_EOF) return s.finish_archive();
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return s.tar_failure(header_offset, false);

  out = ArchiveEntry{};
  const char* name = archive_entry_pathname_utf8(e);
  if (!name) name = archive_entry_pathname(e);
  out.name = name ? name : "";
  out.size = static_cast<std::uint64_t>(archive_entry_size(e));
  out.mode = static_cast<std::uint32_t>(archive_entry_perm(e));
  out.mtime = archive_entry_mtime(e);
  out.header_offset = header_offset;
  s.entry = out.name;
  if (auto r = s.check_entry(e, out); !r) return std::unexpected(r.error());
  if (!s.seen.insert(out.name).second) s.duplicates.push_back(out.name);
  s.in_entry = true;
  return true;
}

Result<std::size_t> ShardArchiveReader::read(std::span<std::uint8_t> out) {
  State& s = *state_;
  if (s.final_error) return std::unexpected(*s.final_error);
  if (!s.in_entry || out.empty()) return std::size_t{0};
  la_ssize_t n = archive_read_data(s.ar, out.data(), out.size());
  if (n < 0) return s.tar_failure(static_cast<std::uint64_t>(archive_read_header_position(s.ar)), true);
  if (n == 0) s.in_entry = false;
  return static_cast<std::size_t>(n);
}

Result<std::uint64_t> ShardArchiveReader::copy_to_fd(int fd, const std::filesystem::path& dest) {
  State& s = *state_;
  ByteBuffer buf(256 * 1024);
  std::uint64_t total = 0;
  while (true) {
    auto n = read(buf);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return total;
    std::size_t off = 0;
    while (off < *n) {
      ssize_t w = ::write(fd, buf.data() + off, *n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        auto e = fail(ErrorCode::io, fmt::format("cannot write {} (copying entry {}): {}", dest.string(), s.entry,
                                                 std::strerror(errno)));
        e.error().file = dest.string();
        return e;
      }
      off += static_cast<std::size_t>(w);
    }
    total += *n;
  }
}

ArchiveCompression ShardArchiveReader::compression() const { return state_->compression; }
const std::vector<std::string>& ShardArchiveReader::duplicate_names() const { return state_->duplicates; }
std::uint64_t ShardArchiveReader::uncompressed_bytes() const { return state_->produced; }
std::uint64_t ShardArchiveReader::compressed_bytes() const { return state_->stream->compressed_bytes(); }

}  // namespace ifx
