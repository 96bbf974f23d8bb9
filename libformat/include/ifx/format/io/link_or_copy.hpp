// One file made available under a second name: a hard link where the file system allows it (the
// same bytes on disk once), else a copy written like every file ifxkit writes (NAME.pending,
// fsync, rename). Snapshots of a repository share unchanged shard archives this way.
#pragma once

#include <filesystem>

#include "ifx/format/error.hpp"

namespace ifx {

enum class LinkKind { hard_link, copy };

// `to` must not exist. A copy is made when linking fails because the file system cannot link
// (another file system, links not supported, too many links), with the source's mode but never
// more than kBackupFileMode; other failures are "io".
Result<LinkKind> link_or_copy(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace ifx
