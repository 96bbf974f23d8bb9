// Tar entry names of a shard archive (docs/FORMATS.md §4.1): `<db>/<rp>/<shardID>/<file>`. Accepted
// names must split exactly into four safe components; everything else is "unsafe-path".
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "ifx/format/archive/shard_archive.hpp"

using namespace ifx;

namespace {

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto slash = s.find('/');
    parts.push_back(s.substr(0, slash));
    if (slash == std::string_view::npos) return parts;
    s.remove_prefix(slash + 1);
  }
}

// A NUL byte cannot be part of a file name on disk, so it is refused too.
bool safe_component(std::string_view c) {
  return !c.empty() && c != "." && c != ".." && c.find('\0') == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view name = fuzz::as_text(data, size);
  auto parsed = parse_shard_entry_name(name);
  const auto parts = split(name);
  bool expect_ok = parts.size() == 4;
  std::uint64_t id = 0;
  if (expect_ok) {
    for (auto p : parts) expect_ok = expect_ok && safe_component(p);
    const auto digits = parts.size() == 4 ? parts[2] : std::string_view();
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    expect_ok = expect_ok && ec == std::errc() && end == digits.data() + digits.size() &&
                digits.find_first_not_of("0123456789") == std::string_view::npos;
  }
  fuzz::check(parsed.has_value() == expect_ok, "parse_shard_entry_name accepts/refuses unexpectedly",
              std::string(name) + (parsed ? " (accepted)" : " (refused: " + parsed.error().message + ")"));
  if (!parsed) {
    fuzz::check_error(parsed.error(), {"unsafe-path"}, size);
    return 0;
  }
  fuzz::check(parsed->db == parts[0] && parsed->rp == parts[1] && parsed->shard_id == id && parsed->file == parts[3],
              "components differ from the name", std::string(name));
  return 0;
}
