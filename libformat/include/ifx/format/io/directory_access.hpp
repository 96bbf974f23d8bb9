// Why a directory the user named cannot be read, in words that tell the cases apart: a path that
// does not exist, one this user may not enter or list ("permission denied"), and one that is a
// file. Every tool that opens a backup or repository says it the same way.
#pragma once

#include <filesystem>
#include <string_view>

#include "ifx/format/error.hpp"

namespace ifx {

// Nothing when `dir` is a directory this user can list; else an "io" error whose file is `dir`
// and whose message is "does not exist (expected <expected>)", "permission denied (…)", "is not
// a directory (expected <expected>)" or the system's reason (describe(): "<dir>: …").
Result<void> check_directory_readable(const std::filesystem::path& dir, std::string_view expected);

}  // namespace ifx
