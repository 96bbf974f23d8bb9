#include "tsm/printable_key.hpp"

#include <fmt/format.h>

namespace ifx::tsm::detail {

std::string printable_key(std::string_view key) {
  constexpr std::size_t kMax = 120;
  std::string out;
  for (unsigned char c : key.substr(0, kMax)) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (key.size() > kMax) out += fmt::format("... ({} bytes)", key.size());
  return "\"" + out + "\"";
}

}  // namespace ifx::tsm::detail
