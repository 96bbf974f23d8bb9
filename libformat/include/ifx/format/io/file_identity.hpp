// Which file a name is: snapshots of a repository share archives by hard link, so two names may
// be one file. A file's identity is its device and inode, with its size and mtime so that a file
// rewritten in place is not taken for the one seen before.
#pragma once

#include <sys/types.h>

#include <compare>
#include <cstdint>
#include <filesystem>
#include <optional>

namespace ifx {

struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  auto operator<=>(const FileIdentity&) const = default;
  // The same file, by device and inode alone (two names of it).
  bool same_file(const FileIdentity& o) const { return device == o.device && inode == o.inode; }
};

// A regular file's identity (symlinks followed); nullopt when it cannot be stat'ed.
std::optional<FileIdentity> identity_of(const std::filesystem::path& path);

}  // namespace ifx
