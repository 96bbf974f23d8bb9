#include "ifx/format/tsm/tsm_file_names.hpp"
#include "ifx/format/text/decimal.hpp"

#include <charconv>

#include <fmt/format.h>

namespace ifx::tsm {

bool is_tsm_file(std::string_view name) { return name.ends_with(".tsm"); }
bool is_tombstone_file(std::string_view name) { return name.ends_with(".tombstone"); }

std::string tsm_file_name(std::uint64_t generation, std::uint64_t sequence) {
  return fmt::format("{:09d}-{:09d}.tsm", generation, sequence);
}

std::optional<TsmFileName> parse_tsm_file_name(std::string_view name) {
  if (!is_tsm_file(name)) return std::nullopt;
  name.remove_suffix(4);
  const auto dash = name.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto g = text::parse_decimal<std::uint64_t>(name.substr(0, dash));
  auto s = text::parse_decimal<std::uint64_t>(name.substr(dash + 1));
  if (!g || !s) return std::nullopt;
  return TsmFileName{*g, *s};
}

std::filesystem::path tombstone_path_for(const std::filesystem::path& tsm) {
  std::filesystem::path t = tsm;
  t.replace_extension(".tombstone");
  return t;
}

}  // namespace ifx::tsm
