#include "common/duration.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

namespace ifx::cli {
namespace {

// Nanoseconds per unit; longest spellings first so "ms" is not read as "m".
struct Unit {
  std::string_view name;
  double ns;
};
constexpr Unit kUnits[] = {{"ns", 1.0},          {"us", 1e3},          {"\xC2\xB5s", 1e3},
                           {"ms", 1e6},          {"s", 1e9},           {"m", 60e9},
                           {"h", 3600e9},        {"d", 86400e9},       {"w", 7 * 86400e9}};

}  // namespace

Result<std::int64_t> parse_duration(std::string_view text) {
  auto bad = [&] {
    return fail("usage", fmt::format("invalid duration \"{}\" (expected e.g. 26h, 90m, 1h30m, 2d)", text));
  };
  if (text.empty()) return bad();
  double total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == start) return bad();
    std::string number(text.substr(start, i - start));
    char* end = nullptr;
    double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size()) return bad();
    const Unit* unit = nullptr;
    for (const auto& u : kUnits)
      if (text.substr(i).starts_with(u.name) && (!unit || u.name.size() > unit->name.size())) unit = &u;
    if (!unit) return bad();
    i += unit->name.size();
    total += value * unit->ns;
  }
  if (!(total >= 1) || total > 9.2e18) return bad();
  return static_cast<std::int64_t>(std::llround(total));
}

}  // namespace ifx::cli
