// A portable backup as one stream (docs/FORMATS.md §3.13): a POSIX tar whose entries are exactly
// the files of the backup directory, in an order a reader can act on without seeking: the
// `<base>.meta` first, each shard archive as it completes, the `<base>.manifest` (with every
// file's SHA-256) last. Saved to a file it is `backup.tar`; unpacked with `tar -x` it is the
// directory. Pipes carry it to restic, rclone, age or ssh.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "ifx/format/archive/shard_archive.hpp"
#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/backup/backup_writer.hpp"
#include "ifx/format/error.hpp"

namespace ifx {

// The tar of §3.13, written to a descriptor (a pipe, stdout) entry by entry.
class BackupStreamWriter {
 public:
  // `name` stands for the descriptor in errors ("stdout").
  static Result<BackupStreamWriter> open(int fd, std::string name);
  BackupStreamWriter(BackupStreamWriter&&) noexcept;
  BackupStreamWriter& operator=(BackupStreamWriter&&) noexcept;
  ~BackupStreamWriter();

  // Appends the file at `source` as the entry `name` (a plain file name: no directory part),
  // mode 0600, its mtime. A reader that went away ends it with "io" naming the broken pipe.
  Result<void> add_file(const std::string& name, const std::filesystem::path& source);
  // The end-of-archive marker.
  Result<void> finish();

 private:
  struct State;
  explicit BackupStreamWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// A BackupWriter for a portable backup that goes to `fd` as the stream of §3.13 instead of into
// a directory: each file is made in `scratch_dir` exactly as in a backup directory (checked,
// hashed), then appended to the stream and removed, so the scratch space holds the files in
// flight only (the shards being fetched). Once the stream failed (a broken pipe), open_shard and
// finish return that error, so the backup stops. adopt_shard is "invalid-argument": a stream
// cannot resume.
Result<std::unique_ptr<BackupWriter>> create_streaming_backup_writer(std::filesystem::path scratch_dir,
                                                                     BackupWriterOptions options, int fd,
                                                                     std::string fd_name);

// ---- reading ---------------------------------------------------------------------------------

struct BackupStreamVisitor {
  // Whether a shard archive is wanted (spooled and handed to on_shard_archive) or only hashed.
  // `where` names the shard's database and retention policy when the meta came before it.
  std::function<bool(const ShardExpectation& where)> wanted = [](const ShardExpectation&) { return true; };
  // A wanted shard archive as it arrives, spooled whole to `path` (removed after the call).
  // Returns the uncompressed tar length when the archive read to its end (compared with the
  // manifest's `size`), nullopt when it did not (its damage is the caller's to report).
  std::function<std::optional<std::uint64_t>(const std::string& name, const ShardExpectation& where,
                                             const std::filesystem::path& path)>
      on_shard_archive;
};

struct BackupStreamRead {
  std::string stream;  // "stdin" or the file's path, as errors name it
  // The meta, the manifest and the shards it lists, as open_backup_set gives a directory: `dir`
  // is the stream's name; an archive `exists` when it came; `unreferenced_files` the archives
  // that came unlisted. Without a usable meta and manifest it holds what there was.
  BackupSet set;
  // What is wrong with the stream itself: names that are no backup file ("file-unexpected",
  // "unsafe-path"), files after the manifest or of another base, a cut ("tar-truncated": no end
  // marker, no manifest, an entry cut short), a meta or manifest that does not parse, and the
  // manifest against what came ("file-missing", "sha256-mismatch", "size-mismatch").
  std::vector<Error> defects;
  std::uint64_t files = 0;        // meta and manifest files read (archives are the visitor's)
  std::uint64_t small_bytes = 0;  // their bytes
};

// Reads a backup stream (§3.13) once, in order: `source` is "-" (stdin) or a file. Each wanted
// shard archive is spooled to a scratch directory under `scratch_root` (one at a time) while its
// SHA-256 is computed. Fails only when the source cannot be opened or no scratch space can be
// made ("io"); everything else is in `defects`.
Result<BackupStreamRead> read_backup_stream(const std::filesystem::path& source,
                                            const std::filesystem::path& scratch_root,
                                            const BackupStreamVisitor& visitor);

}  // namespace ifx
