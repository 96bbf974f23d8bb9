#include "ifx/format/scratch_directory.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace ifx {

Result<ScratchDirectory> ScratchDirectory::create(const std::filesystem::path& root, std::string_view prefix) {
  std::string tmpl = (root / fmt::format("{}-XXXXXX", prefix)).string();
  if (!::mkdtemp(tmpl.data()))
    return fail("io", fmt::format("cannot create a scratch directory under {}: {} (is there room? the tools take "
                                  "--scratch-dir)",
                                  root.string(), std::strerror(errno)));
  ScratchDirectory d;
  d.path_ = tmpl;
  return d;
}

ScratchDirectory::ScratchDirectory(ScratchDirectory&& other) noexcept : path_(std::exchange(other.path_, {})) {}

ScratchDirectory& ScratchDirectory::operator=(ScratchDirectory&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

ScratchDirectory::~ScratchDirectory() { remove(); }

void ScratchDirectory::remove() noexcept {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

}  // namespace ifx
