// The size of a file for counts and progress: 0 when it cannot be known (missing, unreadable).
// std::filesystem::file_size's error value is -1, which summed into a total wraps it around.
#pragma once

#include <cstdint>
#include <filesystem>

namespace ifx {

inline std::uint64_t file_size_or_zero(const std::filesystem::path& path) noexcept {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<std::uint64_t>(n);
}

}  // namespace ifx
