// A private temporary directory: created with mkdtemp under a root (mode 0700), removed with
// everything in it when the object goes. Every scratch space of the tools (spooled entries,
// staged tars, fetched shards being cut, unpacked shards) is one, so no return path leaves files
// behind.
//
// A killed process (kill -9, the OOM killer, a power cut) cannot clean up, so each directory
// has a lock file beside it ("<dir>.lock") that its owner keeps flock()ed while it lives; the
// kernel drops the lock when the owner dies. The first create() of a process under a root
// removes the directories there whose lock nobody holds any more (remove_abandoned).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>

#include "ifx/format/error.hpp"

namespace ifx {

// Where scratch directories go unless the user says: $TMPDIR, or /tmp.
std::filesystem::path default_scratch_root();

class ScratchDirectory {
 public:
  // "<root>/<prefix>-XXXXXX"; an "io" error naming `root` when it cannot be made. `prefix`
  // starts with "ifx-" (only such directories are ever swept).
  static Result<ScratchDirectory> create(const std::filesystem::path& root, std::string_view prefix);

  // Removes the "ifx-*" directories directly under `root` whose lock file no live process holds
  // (left by a killed run), with their lock files. Returns how many directories; what cannot be
  // removed is left alone.
  static std::size_t remove_abandoned(const std::filesystem::path& root);

  ScratchDirectory(ScratchDirectory&& other) noexcept;
  ScratchDirectory& operator=(ScratchDirectory&& other) noexcept;
  ~ScratchDirectory();

  const std::filesystem::path& path() const { return path_; }

 private:
  ScratchDirectory() = default;
  void remove() noexcept;
  std::filesystem::path path_;
  int lock_fd_ = -1;
};

}  // namespace ifx
