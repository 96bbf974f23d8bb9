// A private temporary directory: created with mkdtemp under a root (mode 0700), removed with
// everything in it when the object goes. Every scratch space of the tools (spooled entries,
// staged tars, fetched shards being cut) is one, so no return path leaves files behind.
#pragma once

#include <filesystem>
#include <string_view>

#include "ifx/format/error.hpp"

namespace ifx {

class ScratchDirectory {
 public:
  // "<root>/<prefix>-XXXXXX"; an "io" error naming `root` when it cannot be made.
  static Result<ScratchDirectory> create(const std::filesystem::path& root, std::string_view prefix);

  ScratchDirectory(ScratchDirectory&& other) noexcept;
  ScratchDirectory& operator=(ScratchDirectory&& other) noexcept;
  ~ScratchDirectory();

  const std::filesystem::path& path() const { return path_; }

 private:
  ScratchDirectory() = default;
  void remove() noexcept;
  std::filesystem::path path_;
};

}  // namespace ifx
