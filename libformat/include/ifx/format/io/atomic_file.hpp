// Every file ifxkit writes goes to NAME.pending, is fsynced, renamed to NAME, and the directory
// is fsynced (docs/ARCHITECTURE.md; docs/FORMATS.md §2.6 for the .pending naming influxd uses).
// A crash therefore leaves either the old state or the complete new file, never half a file
// under the final name.
#pragma once

#include "ifx/format/io/checksum.hpp"
#include <memory>
#include <string>

#include "ifx/format/error.hpp"

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

namespace ifx {

// What a file being written is called until it is complete: NAME.pending (docs/FORMATS.md §2.6).
inline constexpr std::string_view kPendingSuffix = ".pending";
std::filesystem::path pending_path_of(const std::filesystem::path& final_path);

// The mode of every file ifxkit writes into a backup: a backup holds the users' password hashes
// (in its meta file) and all the data, so only its owner may read it, whatever the umask leaves.
inline constexpr mode_t kBackupFileMode = 0600;

struct AtomicFileOptions {
  mode_t mode = 0644;             // before umask, like influxd's os.Create (§2.1)
  bool replace_existing = false;  // false: refuse when NAME already exists (at create and commit)
  bool sha256 = false;            // hash the bytes as they are written (see sha256_hex())
  // false: commit renames without fsync (file and directory). Only for scratch files that are
  // gone when the process ends (a restore's staged tars): an fsync there costs seconds of a
  // slow disk and protects nothing.
  bool durable = true;
};

class AtomicFile {
 public:
  // Creates `final_path` + ".pending" with O_EXCL: an existing .pending (another writer, or a
  // leftover of a crash) is an "io" error naming it rather than something to clobber.
  static Result<AtomicFile> create(std::filesystem::path final_path, AtomicFileOptions options = {});

  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();  // without commit(): closes and unlinks the .pending file

  // Writes all of `bytes` (retrying short writes and EINTR); ENOSPC etc. become "io" errors.
  Result<void> write(std::span<const std::uint8_t> bytes);
  // fsync, close, rename NAME.pending -> NAME, fsync the directory. After a failure the
  // .pending file is removed by the destructor.
  Result<void> commit();
  // Closes and unlinks the .pending file now (what the destructor does).
  void abandon();

  const std::filesystem::path& final_path() const { return final_path_; }
  const std::filesystem::path& pending_path() const { return pending_path_; }
  std::uint64_t bytes_written() const { return bytes_written_; }
  bool committed() const { return committed_; }
  // SHA-256 of everything written, as 64 hex digits; set by commit() when options.sha256.
  const std::string& sha256_hex() const { return sha256_hex_; }

 private:
  AtomicFile() = default;

  std::filesystem::path final_path_;
  std::filesystem::path pending_path_;
  AtomicFileOptions options_;
  int fd_ = -1;
  std::uint64_t bytes_written_ = 0;
  bool committed_ = false;
  bool owns_pending_ = false;  // only a .pending file we created is ours to unlink
  std::unique_ptr<Sha256> sha256_;
  std::string sha256_hex_;
};

// fsync a directory so a rename or create inside it survives a crash.
Result<void> fsync_dir(const std::filesystem::path& dir);

}  // namespace ifx
