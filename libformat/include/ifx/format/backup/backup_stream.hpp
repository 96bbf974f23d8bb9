// A portable backup as one stream (docs/FORMATS.md §3.13): a POSIX tar whose entries are exactly
// the files of the backup directory, in an order a reader can act on without seeking: the
// `<base>.meta` first, each shard archive as it completes, the `<base>.manifest` (with every
// file's SHA-256) last. Saved to a file it is `backup.tar`; unpacked with `tar -x` it is the
// directory. Pipes carry it to restic, rclone, age or ssh.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

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

}  // namespace ifx
