// check_backup_stream (backup_check.hpp): a backup stream (docs/FORMATS.md §3.13) checked in one
// pass. libarchive reads the outer tar; the meta and the manifest are small and read whole; each
// shard archive is spooled to scratch space while its SHA-256 is computed and checked there by
// the same shard check a directory gets, then removed, so scratch holds one archive (and its
// unpacked files) at a time. The manifest comes last, so what it records is compared at the end.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>

#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/backup/manifest.hpp"
#include "ifx/format/check/backup_check.hpp"
#include "ifx/format/check/defect_sink.hpp"
#include "ifx/format/check/shard_check.hpp"
#include "ifx/format/io/checksum.hpp"
#include "ifx/format/io/scratch_directory.hpp"
#include "ifx/format/meta/meta_envelope.hpp"

namespace ifx::check {
namespace fs = std::filesystem;
namespace {

// The meta and the manifest are read whole; nothing influxd or ifxkit writes comes near this.
constexpr std::uint64_t kMaxSmallFile = 256ull << 20;

struct Arrived {
  std::string sha256;
  std::uint64_t bytes = 0;                 // the file's bytes in the stream
  std::optional<std::uint64_t> tar_bytes;  // shard archives that were checked: the tar inside
};

class StreamCheck {
 public:
  StreamCheck(const BackupCheckOptions& options, std::string stream, fs::path scratch)
      : options_(options),
        stream_(std::move(stream)),
        scratch_(std::move(scratch)),
        sink_(options.max_defects_per_entry) {}

  template <class Source>
  void read(archive* ar, Source& source) {
    for (;;) {
      archive_entry* e = nullptr;
      const int r = archive_read_next_header(ar, &e);
      if (r == ARCHIVE_EOF) {
        if (!source.ended_with_marker())
          cut_short(ar, "",
                    source.nonzero_after_marker
                        ? std::string("bytes other than zeros follow the end of the tar: it is no backup stream")
                        : std::string("the stream ends without its end-of-archive marker (two zero blocks): it was "
                                      "cut short"));
        ended_ = true;
        return;
      }
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
        cut_short(ar, "", fmt::format("the stream breaks off or is damaged before its end: {}", why(ar)));
        return;
      }
      const std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
      if (!take(ar, e, name)) return;
    }
  }

  BackupCheckReport finish() {
    compare_with_manifest();
    expectations();
    sink_.finish();
    report_.options = options_;
    report_.defects = std::move(sink_.defects());
    report_.notes = std::move(sink_.notes());
    return std::move(report_);
  }

 private:
  static std::string why(archive* ar) {
    return archive_error_string(ar) ? archive_error_string(ar) : "unknown libarchive error";
  }

  void cut_short(archive* ar, const std::string& entry, const std::string& message) {
    sink_.add(defect(ErrorCode::tar_truncated, stream_, entry,
                     static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_filter_bytes(ar, -1))), message));
    broken_ = true;
  }

  // Reads the current entry's data in pieces into `sink`; false when the stream broke.
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

  bool unexpected(archive* ar, const std::string& name, ErrorCode code, const std::string& message) {
    sink_.add(defect(code, stream_, name, std::nullopt, message));
    archive_read_data_skip(ar);
    return true;
  }

  // One entry; false when the stream cannot be read further.
  bool take(archive* ar, archive_entry* e, const std::string& name) {
    if (manifest_name_)
      return unexpected(
          ar, name, ErrorCode::file_unexpected,
          fmt::format("{} comes after the manifest {}, which ends a backup stream", name, *manifest_name_));
    if (archive_entry_filetype(e) != AE_IFREG || name.empty() || name.find('/') != std::string::npos || name == "." ||
        name == "..")
      return unexpected(ar, name, ErrorCode::unsafe_path,
                        fmt::format("{}: a backup stream holds regular files under plain names only", name));
    auto parsed = parse_portable_file(name);
    if (!parsed)
      return unexpected(
          ar, name, ErrorCode::file_unexpected,
          fmt::format("{} is no file of a portable backup (<base>.meta, <base>.sN.tar.gz, .tar.zst or .tar, "
                      "<base>.manifest)",
                      name));
    if (base_.empty()) base_ = parsed->base;
    if (parsed->base != base_)
      return unexpected(
          ar, name, ErrorCode::file_unexpected,
          fmt::format("{} belongs to backup {}, not to {} (the stream's first file)", name, parsed->base, base_));
    if (arrived_.count(name))
      return unexpected(ar, name, ErrorCode::file_unexpected, fmt::format("{} comes twice in the stream", name));
    Arrived& arrived = arrived_[name];
    ++report_.checked.files;
    switch (parsed->kind) {
      case PortableFileKind::meta:
        return take_meta(ar, name, arrived);
      case PortableFileKind::manifest:
        return take_manifest(ar, name, arrived);
      case PortableFileKind::shard_archive:
        --report_.checked.files;  // the shard check counts it
        return take_shard(ar, name, parsed->shard_id, arrived);
    }
    return true;
  }

  bool read_small(archive* ar, const std::string& name, Arrived& arrived, std::string& into) {
    return read_data(ar, name, arrived, [&](std::span<const std::uint8_t> piece) {
      if (into.size() + piece.size() > kMaxSmallFile) {
        sink_.add(
            defect(ErrorCode::file_unexpected, stream_, name, std::nullopt,
                   fmt::format("{} is larger than {} bytes, which no meta store or manifest is", name, kMaxSmallFile)));
        broken_ = true;
        return false;
      }
      into.append(reinterpret_cast<const char*>(piece.data()), piece.size());
      return true;
    });
  }

  bool take_meta(archive* ar, const std::string& name, Arrived& arrived) {
    std::string bytes;
    if (!read_small(ar, name, arrived, bytes)) return false;
    report_.checked.bytes += bytes.size();
    meta_name_ = name;
    auto blob = meta::parse_portable_meta(bytes);
    if (!blob) {
      sink_.add(relocated(std::move(blob.error()), {name, ""}));
      return true;
    }
    auto decoded = meta::decode_meta_data(*blob);
    if (!decoded) {
      sink_.add(relocated(std::move(decoded.error()), {name, ""}));
      return true;
    }
    meta_blob_ = std::move(*blob);
    meta_ = std::move(*decoded);
    return true;
  }

  bool take_manifest(archive* ar, const std::string& name, Arrived& arrived) {
    std::string text;
    if (!read_small(ar, name, arrived, text)) return false;
    report_.checked.bytes += text.size();
    manifest_name_ = name;
    auto parsed = parse_manifest(text);
    if (!parsed) sink_.add(relocated(std::move(parsed.error()), {name, ""}));
    else manifest_ = std::move(*parsed);
    return true;
  }

  bool take_shard(archive* ar, const std::string& name, std::uint64_t id, Arrived& arrived) {
    ShardExpectation expect{std::nullopt, std::nullopt, id};
    if (meta_) {
      auto loc = meta::find_shard(*meta_, id);
      if (!loc) {
        sink_.add(defect(ErrorCode::shard_not_in_meta, stream_, name, std::nullopt,
                         fmt::format("{} holds shard {}, which the backup's meta store does not know", name, id)));
      } else {
        expect.db = loc->database->name;
        expect.rp = loc->retention_policy->name;
      }
    }
    const bool selected = !expect.db || options_.selects(*expect.db, *expect.rp, id);
    if (!selected)  // outside -db/-rp/-shard: only hashed, for the manifest's SHA-256
      return read_data(ar, name, arrived, [](std::span<const std::uint8_t>) { return true; });
    const fs::path spooled = scratch_ / name;
    const int fd = ::open(spooled.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      sink_.add(defect(ErrorCode::io, spooled.string(), "", std::nullopt,
                       fmt::format("cannot spool {} to scratch space: {} (--scratch-dir chooses where)", name,
                                   std::strerror(errno))));
      broken_ = true;
      return false;
    }
    bool written = true;
    const bool whole = read_data(ar, name, arrived, [&](std::span<const std::uint8_t> piece) {
      for (std::size_t done = 0; done < piece.size();) {
        const ssize_t n = ::write(fd, piece.data() + done, piece.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          sink_.add(defect(ErrorCode::io, spooled.string(), "", std::nullopt,
                           fmt::format("cannot spool {} to scratch space: {} (--scratch-dir chooses where)", name,
                                       std::strerror(errno))));
          written = false;
          broken_ = true;
          return false;
        }
        done += static_cast<std::size_t>(n);
      }
      return true;
    });
    ::close(fd);
    if (whole && written) {
      ShardCheckOptions so;
      so.quick = options_.quick;
      so.scratch_root = scratch_;
      so.max_defects_per_entry = options_.max_defects_per_entry;
      ShardArchiveSource source;
      source.path = spooled;
      source.name = name;
      ShardCheck checked = check_shard_archives({source}, expect, so);
      report_.checked += checked.checked;
      if (expect.db) blocks_per_database_[*expect.db] += checked.data_blocks;
      if (checked.valid()) arrived.tar_bytes = checked.tar_bytes;
      for (auto& d : checked.defects) sink_.add(std::move(d));
      for (auto& n : checked.notes) sink_.note(std::move(n));
    }
    std::error_code ec;
    fs::remove(spooled, ec);
    return whole && written;
  }

  std::optional<std::string> recorded_sha256(const nlohmann::ordered_json& extra) const {
    auto it = extra.find("sha256");
    if (it == extra.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  }

  void compare_sha(const std::string& name, const nlohmann::ordered_json& extra, const Arrived& arrived) {
    auto recorded = recorded_sha256(extra);
    if (recorded && *recorded != arrived.sha256)
      sink_.add(defect(ErrorCode::sha256_mismatch, stream_, name, std::nullopt,
                       fmt::format("the manifest records SHA-256 {} for {}; the stream's bytes hash to {}", *recorded,
                                   name, arrived.sha256)));
  }

  void compare_with_manifest() {
    if (broken_) return;  // what is missing is the cut's consequence, already said
    if (!manifest_name_) {
      sink_.add(defect(ErrorCode::tar_truncated, stream_, "", std::nullopt,
                       ended_ ? "the stream ends without a manifest: it was cut short between two files (or is no "
                                "backup stream); it is not a backup"
                              : "the stream ends without a manifest"));
      return;
    }
    if (!manifest_) return;  // its parse error is the defect
    if (!meta_name_ || manifest_->meta.file_name != *meta_name_) {
      sink_.add(
          defect(ErrorCode::file_missing, stream_, manifest_->meta.file_name, std::nullopt,
                 fmt::format("the manifest names the meta {}, which is not in the stream", manifest_->meta.file_name)));
    } else {
      compare_sha(*meta_name_, manifest_->meta.extra, arrived_.at(*meta_name_));
      if (meta_ && static_cast<std::uint64_t>(manifest_->meta.size) != meta_blob_.size())
        sink_.add(defect(ErrorCode::size_mismatch, stream_, *meta_name_, std::nullopt,
                         fmt::format("the manifest says the meta blob is {} bytes; it is {}", manifest_->meta.size,
                                     meta_blob_.size())));
    }
    std::set<std::string> listed;
    for (const auto& f : manifest_->files) {
      listed.insert(f.file_name);
      auto it = arrived_.find(f.file_name);
      if (it == arrived_.end()) {
        sink_.add(defect(
            ErrorCode::file_missing, stream_, f.file_name, std::nullopt,
            fmt::format("the manifest lists {} (shard {}), which is not in the stream", f.file_name, f.shard_id)));
        continue;
      }
      compare_sha(f.file_name, f.extra, it->second);
      if (it->second.tar_bytes && static_cast<std::uint64_t>(f.size) != *it->second.tar_bytes)
        sink_.add(defect(ErrorCode::size_mismatch, stream_, f.file_name, std::nullopt,
                         fmt::format("the manifest says the tar inside {} is {} bytes; it is {} bytes", f.file_name,
                                     f.size, *it->second.tar_bytes)));
    }
    for (const auto& [name, arrived] : arrived_) {
      auto parsed = parse_portable_file(name);
      if (parsed && parsed->kind == PortableFileKind::shard_archive && !listed.count(name))
        sink_.add(defect(ErrorCode::file_unexpected, stream_, name, std::nullopt,
                         fmt::format("{} is in the stream but the manifest does not list it", name)));
    }
  }

  // --max-age and --expect-db over what the stream held, as for a directory.
  void expectations() {
    if (!meta_ || !manifest_) return;
    BackupSet set;
    set.dir = stream_;
    set.meta_file = *meta_name_;
    set.meta_blob = meta_blob_;
    set.meta = *meta_;
    set.manifest_files = {*manifest_name_};
    set.manifests = {*manifest_};
    set.created_ns = parse_portable_base_time(base_);
    for (const auto& f : manifest_->files) {
      ShardInBackup s{f.database, f.policy, f.shard_id, true, {}};
      ShardArchiveFile a;
      a.file_name = f.file_name;
      a.manifest = *manifest_name_;
      a.exists = arrived_.count(f.file_name) > 0;
      s.archives.push_back(std::move(a));
      set.shards.push_back(std::move(s));
    }
    check_expected_databases(set, options_, blocks_per_database_, sink_);
    check_freshness(set, options_, sink_);
  }

  const BackupCheckOptions& options_;
  std::string stream_;
  fs::path scratch_;
  DefectSink sink_;
  BackupCheckReport report_;
  std::string base_;
  std::optional<std::string> meta_name_, manifest_name_;
  std::string meta_blob_;
  std::optional<meta::MetaData> meta_;
  std::optional<PortableManifest> manifest_;
  std::map<std::string, Arrived> arrived_;
  std::map<std::string, std::uint64_t> blocks_per_database_;
  bool ended_ = false;
  bool broken_ = false;
};

// The descriptor libarchive reads, remembering the stream's last 1024 bytes: libarchive takes a
// stream that stops right after an entry as ended, but a whole one ends with the end-of-archive
// marker, two zero blocks (only zeros may follow: a record's padding).
struct Source {
  int fd = -1;
  std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(1 << 20);
  std::vector<std::uint8_t> tail;  // the last bytes read, at most kMarker
  bool nonzero_after_marker = false;
  static constexpr std::size_t kMarker = 1024;

  la_ssize_t fill(std::span<const std::uint8_t> got) {
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
      return s->fill({s->buffer.data(), static_cast<std::size_t>(n)});
    }
  }
  // After libarchive saw the end: reads what it left, which must be zeros, and says whether the
  // stream ended with the marker.
  bool ended_with_marker() {
    for (;;) {
      const ssize_t n = ::read(fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      const std::span<const std::uint8_t> got(buffer.data(), static_cast<std::size_t>(n));
      if (std::any_of(got.begin(), got.end(), [](std::uint8_t b) { return b != 0; })) nonzero_after_marker = true;
      fill(got);
    }
    return !nonzero_after_marker && tail.size() == kMarker &&
           std::all_of(tail.begin(), tail.end(), [](std::uint8_t b) { return b == 0; });
  }
};

}  // namespace

Result<BackupCheckReport> check_backup_stream(const BackupCheckOptions& options) {
  const bool from_stdin = options.backup_dir == "-";
  const std::string stream = from_stdin ? std::string("stdin") : options.backup_dir.string();
  const int fd = from_stdin ? ::dup(STDIN_FILENO) : ::open(options.backup_dir.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(ErrorCode::io, fmt::format("cannot open {}: {}", stream, std::strerror(errno)));
  auto scratch = ScratchDirectory::create(options.scratch_root.empty() ? default_scratch_root() : options.scratch_root,
                                          "ifx-stream-check");
  if (!scratch) {
    ::close(fd);
    return std::unexpected(std::move(scratch.error()));
  }
  archive* ar = archive_read_new();
  archive_read_support_filter_none(ar);
  archive_read_support_format_tar(ar);
  archive_read_set_format(ar, ARCHIVE_FORMAT_TAR);
  StreamCheck check(options, stream, scratch->path());
  Source source{fd};
  if (archive_read_open(ar, &source, nullptr, &Source::read, nullptr) != ARCHIVE_OK) {
    Error e{ErrorCode::io,
            fmt::format("cannot read {}: {}", stream, archive_error_string(ar) ? archive_error_string(ar) : "?"),
            stream,
            {},
            {}};
    archive_read_free(ar);
    ::close(fd);
    return std::unexpected(std::move(e));
  }
  check.read(ar, source);
  archive_read_free(ar);
  ::close(fd);
  return check.finish();
}

}  // namespace ifx::check
