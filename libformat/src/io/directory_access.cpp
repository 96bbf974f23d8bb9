#include "ifx/format/io/directory_access.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace ifx {
namespace {

std::unexpected<Error> unreadable(const std::filesystem::path& dir, int err, std::string_view expected,
                                  std::string_view doing) {
  const std::string d = dir.string();
  switch (err) {
    case ENOENT:
      return fail_in_file(ErrorCode::io, d, fmt::format("does not exist (expected {})", expected));
    case ENOTDIR:  // a component of the path is a file
      return fail_in_file(
          ErrorCode::io, d,
          fmt::format("does not exist: a part of the path is a file, not a directory (expected {})", expected));
    case EACCES:
    case EPERM:
      return fail_in_file(ErrorCode::io, d,
                          fmt::format("permission denied (user ID {} may not {} it; check the modes of the "
                                      "directory and its parents)",
                                      ::geteuid(), doing));
    default:
      return fail_in_file(ErrorCode::io, d, fmt::format("cannot {} it: {}", doing, std::strerror(err)));
  }
}

}  // namespace

Result<void> check_directory_readable(const std::filesystem::path& dir, std::string_view expected) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return unreadable(dir, errno, expected, "reach");
  if (!S_ISDIR(st.st_mode))
    return fail_in_file(ErrorCode::io, dir.string(), fmt::format("is not a directory (expected {})", expected));
  DIR* d = ::opendir(dir.c_str());
  if (!d) return unreadable(dir, errno, expected, "list");
  ::closedir(d);
  return {};
}

}  // namespace ifx
