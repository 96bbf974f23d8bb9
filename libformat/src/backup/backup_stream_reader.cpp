// read_backup_stream (backup_stream.hpp): libarchive reads the outer tar through a descriptor
// whose last 1024 bytes are remembered (a whole stream ends with the end-of-archive marker, which
// libarchive does not insist on); the meta and the manifest are small and read whole; each wanted
// shard archive is spooled to scratch while hashed and handed to the visitor, then removed. The
// manifest comes last, so what it records is compared with what came at the end.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

#include "ifx/format/backup/backup_stream.hpp"
#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/backup/manifest.hpp"
#include "ifx/format/io/checksum.hpp"
#include "ifx/format/io/scratch_directory.hpp"
#include "ifx/format/meta/meta_envelope.hpp"
#include "ifx/format/meta/meta_store.hpp"

namespace ifx {
namespace fs = std::filesystem;
namespace {

// The meta and the manifest are read whole; nothing influxd or ifxkit writes comes near this.
constexpr std::uint64_t kMaxSmallFile = 256ull << 20;

// The descriptor libarchive reads, remembering the stream's last 1024 bytes: libarchive takes a
// stream that stops right after an entry as ended, but a whole one ends with the end-of-archive
// marker, two zero blocks (only zeros may follow: a record's padding).
struct Source {
  int fd = -1;
  std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(1 << 20);
  std::vector<std::uint8_t> tail;  // the last bytes read, at most kMarker
  bool nonzero_after_end = false;
  static constexpr std::size_t kMarker = 1024;

  la_ssize_t remember(std::span<const std::uint8_t> got) {
    if (got.size() >= kMarker) {
      tail.assign(got.end() - kMarker, got.end());
    } else {
      tail.insert(tail.end(), got.begin(), got.end());
      if (tail.size() > kMarker) tail.erase(tail.begin(), tail.end() - kMarker);
    }
    return static_cast<la_ssize_t>(got.size());
  }
  static la_ssize_t read(archive*, void* self, const void** out) {
    auto* s = static_cast<Source*>(self);
    for (;;) {
      const ssize_t n = ::read(s->fd, s->buffer.data(), s->buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return -1;
      *out = s->buffer.data();
      return s->remember({s->buffer.data(), static_cast<std::size_t>(n)});
    }
  }
  // After libarchive saw the end: reads what it left (zeros only) and says whether the stream
  // ended with the marker.
  bool ended_with_marker() {
    for (;;) {
      const ssize_t n = ::read(fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      const std::span<const std::uint8_t> got(buffer.data(), static_cast<std::size_t>(n));
      if (std::any_of(got.begin(), got.end(), [](std::uint8_t b) { return b != 0; })) nonzero_after_end = true;
      remember(got);
    }
    return !nonzero_after_end && tail.size() == kMarker &&
           std::all_of(tail.begin(), tail.end(), [](std::uint8_t b) { return b == 0; });
  }
};

struct Arrived {
  std::string sha256;
  std::uint64_t bytes = 0;
  std::optional<std::uint64_t> tar_bytes;  // shard archives the visitor read whole
};

class Reader {
 public:
  Reader(BackupStreamRead& out, const fs::path& scratch, const BackupStreamVisitor& visitor)
      : out_(out), scratch_(scratch), visitor_(visitor) {}

  void read(archive* ar, Source& source) {
    for (;;) {
      archive_entry* e = nullptr;
      const int r = archive_read_next_header(ar, &e);
      if (r == ARCHIVE_EOF) {
        if (!source.ended_with_marker())
          cut_short(ar, "",
                    source.nonzero_after_end
                        ? std::string("bytes other than zeros follow the end of the tar: it is no backup stream")
                        : std::string("the stream ends without its end-of-archive marker (two zero blocks): it was "
                                      "cut short"));
        return;
      }
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
        cut_short(ar, "", fmt::format("the stream breaks off or is damaged before its end: {}", why(ar)));
        return;
      }
      if (!take(ar, e, archive_entry_pathname(e) ? archive_entry_pathname(e) : "")) return;
    }
  }

  void finish() {
    compare_with_manifest();
    build_set();
  }

 private:
  void add(ErrorCode code, const std::string& entry, std::optional<std::uint64_t> offset, std::string message) {
    out_.defects.push_back(Error{code, std::move(message), out_.stream, entry, offset});
  }
  static std::string why(archive* ar) {
    return archive_error_string(ar) ? archive_error_string(ar) : "unknown libarchive error";
  }
  void cut_short(archive* ar, const std::string& entry, std::string message) {
    add(ErrorCode::tar_truncated, entry,
        static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_filter_bytes(ar, -1))), std::move(message));
    broken_ = true;
  }

  // The current entry's data in pieces into `sink`; false when the stream broke (or sink said so).
  bool read_data(archive* ar, const std::string& name, Arrived& arrived,
                 const std::function<bool(std::span<const std::uint8_t>)>& sink) {
    Sha256 sha;
    std::vector<std::uint8_t> buffer(1 << 20);
    for (;;) {
      const la_ssize_t n = archive_read_data(ar, buffer.data(), buffer.size());
      if (n < 0) {
        cut_short(ar, name, fmt::format("the stream breaks off inside {}: {}", name, why(ar)));
        return false;
      }
      if (n == 0) break;
      const std::span<const std::uint8_t> piece(buffer.data(), static_cast<std::size_t>(n));
      sha.update(piece);
      arrived.bytes += piece.size();
      if (!sink(piece)) return false;
    }
    arrived.sha256 = sha.finish_hex();
    return true;
  }

  bool skip(archive* ar, const std::string& name, ErrorCode code, std::string message) {
    add(code, name, std::nullopt, std::move(message));
    archive_read_data_skip(ar);
    return true;
  }

  bool take(archive* ar, archive_entry* e, const std::string& name) {
    if (manifest_name_)
      return skip(ar, name, ErrorCode::file_unexpected,
                  fmt::format("{} comes after the manifest {}, which ends a backup stream", name, *manifest_name_));
    if (archive_entry_filetype(e) != AE_IFREG || name.empty() || name.find('/') != std::string::npos || name == "." ||
        name == "..")
      return skip(ar, name, ErrorCode::unsafe_path,
                  fmt::format("{}: a backup stream holds regular files under plain names only", name));
    auto parsed = parse_portable_file(name);
    if (!parsed)
      return skip(ar, name, ErrorCode::file_unexpected,
                  fmt::format("{} is no file of a portable backup (<base>.meta, <base>.sN.tar.gz, .tar.zst or .tar, "
                              "<base>.manifest)",
                              name));
    if (base_.empty()) base_ = parsed->base;
    if (parsed->base != base_)
      return skip(
          ar, name, ErrorCode::file_unexpected,
          fmt::format("{} belongs to backup {}, not to {} (the stream's first file)", name, parsed->base, base_));
    if (arrived_.count(name)) return skip(ar, name, ErrorCode::file_unexpected, name + " comes twice in the stream");
    Arrived& arrived = arrived_[name];
    switch (parsed->kind) {
      case PortableFileKind::meta:
        return take_meta(ar, name, arrived);
      case PortableFileKind::manifest:
        return take_manifest(ar, name, arrived);
      case PortableFileKind::shard_archive:
        return take_shard(ar, name, parsed->shard_id, arrived);
    }
    return true;
  }

  bool read_small(archive* ar, const std::string& name, Arrived& arrived, std::string& into) {
    ++out_.files;
    const bool whole = read_data(ar, name, arrived, [&](std::span<const std::uint8_t> piece) {
      if (into.size() + piece.size() > kMaxSmallFile) {
        add(ErrorCode::file_unexpected, name, std::nullopt,
            fmt::format("{} is larger than {} bytes, which no meta store or manifest is", name, kMaxSmallFile));
        broken_ = true;
        return false;
      }
      into.append(reinterpret_cast<const char*>(piece.data()), piece.size());
      return true;
    });
    out_.small_bytes += into.size();
    return whole;
  }

  void defect_in(Error e, const std::string& name) {
    e.file = out_.stream;
    e.entry = name;
    out_.defects.push_back(std::move(e));
  }

  bool take_meta(archive* ar, const std::string& name, Arrived& arrived) {
    std::string& bytes = meta_file_;
    if (!read_small(ar, name, arrived, bytes)) return false;
    meta_name_ = name;
    // Parsed as it comes: the shards after it are checked against where it places them.
    auto blob = meta::parse_portable_meta(bytes);
    if (!blob) {
      defect_in(std::move(blob.error()), name);
      return true;
    }
    auto decoded = meta::decode_meta_data(*blob);
    if (!decoded) {
      defect_in(std::move(decoded.error()), name);
      return true;
    }
    meta_ = std::move(*decoded);
    return true;
  }

  bool take_manifest(archive* ar, const std::string& name, Arrived& arrived) {
    std::string text;
    if (!read_small(ar, name, arrived, text)) return false;
    manifest_name_ = name;
    auto parsed = parse_manifest(text);
    if (!parsed) defect_in(std::move(parsed.error()), name);
    else manifest_ = std::move(*parsed);
    return true;
  }

  bool take_shard(archive* ar, const std::string& name, std::uint64_t id, Arrived& arrived) {
    ShardExpectation where{std::nullopt, std::nullopt, id};
    if (meta_) {
      auto loc = meta::find_shard(*meta_, id);
      if (!loc) {
        add(ErrorCode::shard_not_in_meta, name, std::nullopt,
            fmt::format("{} holds shard {}, which the backup's meta store does not know", name, id));
      } else {
        where.db = loc->database->name;
        where.rp = loc->retention_policy->name;
      }
    }
    if (!visitor_.on_shard_archive || !visitor_.wanted(where))
      return read_data(ar, name, arrived, [](std::span<const std::uint8_t>) { return true; });
    const fs::path spooled = scratch_ / name;
    const int fd = ::open(spooled.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    auto spool_failed = [&] {
      out_.defects.push_back(Error{
          ErrorCode::io,
          fmt::format("cannot spool {} to scratch space: {} (--scratch-dir chooses where)", name, std::strerror(errno)),
          spooled.string(),
          {},
          {}});
      broken_ = true;
      return false;
    };
    if (fd < 0) return spool_failed();
    bool written = true;
    const bool whole = read_data(ar, name, arrived, [&](std::span<const std::uint8_t> piece) {
      for (std::size_t done = 0; done < piece.size();) {
        const ssize_t n = ::write(fd, piece.data() + done, piece.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return written = spool_failed();
        done += static_cast<std::size_t>(n);
      }
      return true;
    });
    ::close(fd);
    if (whole && written) arrived.tar_bytes = visitor_.on_shard_archive(name, where, spooled);
    std::error_code ec;
    fs::remove(spooled, ec);
    return whole && written;
  }

  void compare_sha(const std::string& name, const nlohmann::ordered_json& extra, const Arrived& arrived) {
    auto it = extra.find("sha256");
    if (it == extra.end() || !it->is_string() || it->get<std::string>() == arrived.sha256) return;
    add(ErrorCode::sha256_mismatch, name, std::nullopt,
        fmt::format("the manifest records SHA-256 {} for {}; the stream's bytes hash to {}", it->get<std::string>(),
                    name, arrived.sha256));
  }

  // What only the stream can tell: files it lacks entirely (a cut), each file's SHA-256 and tar
  // size against the manifest. Missing archives, the meta's size and unlisted files are the set's
  // problems, as for a directory (build_set).
  void compare_with_manifest() {
    if (broken_) return;  // what is missing is the cut's consequence, already said
    if (!manifest_name_) {
      add(ErrorCode::tar_truncated, "", std::nullopt,
          "the stream ends without a manifest: it was cut short between two files (or is no backup stream); it is "
          "not a backup");
      return;
    }
    if (!manifest_) return;  // its parse error is the defect
    if (auto it = arrived_.find(manifest_->meta.file_name); it != arrived_.end())
      compare_sha(it->first, manifest_->meta.extra, it->second);
    for (const auto& f : manifest_->files) {
      auto it = arrived_.find(f.file_name);
      if (it == arrived_.end()) continue;
      compare_sha(f.file_name, f.extra, it->second);
      if (it->second.tar_bytes && static_cast<std::uint64_t>(f.size) != *it->second.tar_bytes)
        add(ErrorCode::size_mismatch, f.file_name, std::nullopt,
            fmt::format("the manifest says the tar inside {} is {} bytes; it is {} bytes", f.file_name, f.size,
                        *it->second.tar_bytes));
    }
  }

  // The BackupSet of the files that came, assembled as open_backup_set assembles a directory's.
  void build_set() {
    BackupSet& set = out_.set;
    set.dir = out_.stream;
    set.format = BackupFormat::Portable;
    if (!manifest_ || broken_) {  // what there was, for the caller's message
      if (meta_name_) set.meta_file = *meta_name_;
      if (meta_) set.meta = *meta_;
      return;
    }
    std::vector<std::string> names;
    for (const auto& [name, arrived] : arrived_) names.push_back(name);
    auto assembled = assemble_portable_backup_set(
        out_.stream, {{*manifest_name_, *manifest_}}, names, [&](const std::string& name) -> Result<std::string> {
          if (meta_name_ && name == *meta_name_) return meta_file_;
          return fail(ErrorCode::file_missing, name + " is not in the stream");
        });
    if (!assembled) {
      defect_in(std::move(assembled.error()), "");
      return;
    }
    set = std::move(*assembled);
    for (auto& e : set.problems) defect_in(e, e.file);
    for (const auto& name : set.unreferenced_files)
      add(ErrorCode::file_unexpected, name, std::nullopt,
          fmt::format("{} is in the stream but the manifest does not list it", name));
  }

  BackupStreamRead& out_;
  fs::path scratch_;
  const BackupStreamVisitor& visitor_;
  std::string base_;
  std::optional<std::string> meta_name_, manifest_name_;
  std::string meta_file_;  // the .meta file's bytes, for the set
  std::optional<meta::MetaData> meta_;
  std::optional<PortableManifest> manifest_;
  std::map<std::string, Arrived> arrived_;
  bool broken_ = false;
};

}  // namespace

Result<BackupStreamRead> read_backup_stream(const fs::path& source, const fs::path& scratch_root,
                                            const BackupStreamVisitor& visitor) {
  BackupStreamRead out;
  const bool from_stdin = source == "-";
  out.stream = from_stdin ? std::string("stdin") : source.string();
  const int fd = from_stdin ? ::dup(STDIN_FILENO) : ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(ErrorCode::io, fmt::format("cannot open {}: {}", out.stream, std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  auto scratch = ScratchDirectory::create(scratch_root.empty() ? default_scratch_root() : scratch_root,
                                          "ifx-stream-read");
  if (!scratch) return std::unexpected(std::move(scratch.error()));
  archive* ar = archive_read_new();
  archive_read_support_filter_none(ar);
  archive_read_support_format_tar(ar);
  archive_read_set_format(ar, ARCHIVE_FORMAT_TAR);
  Source src{fd};
  if (archive_read_open(ar, &src, nullptr, &Source::read, nullptr) != ARCHIVE_OK) {
    Error e{ErrorCode::io,
            fmt::format("cannot read {}: {}", out.stream, archive_error_string(ar) ? archive_error_string(ar) : "?"),
            out.stream,
            {},
            {}};
    archive_read_free(ar);
    return std::unexpected(std::move(e));
  }
  Reader reader(out, scratch->path(), visitor);
  reader.read(ar, src);
  archive_read_free(ar);
  reader.finish();
  return out;
}

}  // namespace ifx
