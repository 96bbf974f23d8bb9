// Unsigned decimal numbers in names (shard IDs, TSM generations, WAL segment IDs, backup file
// names): digits only, no sign, no space, no overflow. std::from_chars alone would accept a
// prefix ("12abc") and, for signed types, a '-'.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>

namespace ifx::text {

template <class T>
std::optional<T> parse_decimal(std::string_view s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace ifx::text
