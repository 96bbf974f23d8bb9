#include "ifx/format/error.hpp"

#include <array>

namespace ifx {
namespace {

struct CodeName {
  ErrorCode code;
  std::string_view text;
};

constexpr std::array kCodes = {
#define IFX_ERROR_CODE_ENTRY(id, text) CodeName{ErrorCode::id, text},
    IFX_ERROR_CODES(IFX_ERROR_CODE_ENTRY)
#undef IFX_ERROR_CODE_ENTRY
};

constexpr std::array<ErrorCode, kCodes.size()> kAllCodes = [] {
  std::array<ErrorCode, kCodes.size()> out{};
  for (std::size_t i = 0; i < kCodes.size(); ++i) out[i] = kCodes[i].code;
  return out;
}();

}  // namespace

std::string_view to_string(ErrorCode code) {
  const auto i = static_cast<std::size_t>(code);
  return i < kCodes.size() ? kCodes[i].text : std::string_view("unknown");
}

std::optional<ErrorCode> error_code_from_string(std::string_view text) {
  for (const auto& c : kCodes)
    if (c.text == text) return c.code;
  return std::nullopt;
}

std::span<const ErrorCode> all_error_codes() { return kAllCodes; }

bool is_network_error(ErrorCode code) { return to_string(code).starts_with("net-"); }

std::ostream& operator<<(std::ostream& out, ErrorCode code) { return out << to_string(code); }

std::string Error::describe() const {
  std::string out;
  if (!file.empty()) out += file + ": ";
  if (!entry.empty()) out += entry + ": ";
  if (offset) out += fmt::format("offset {}: ", *offset);
  out += message;
  return out;
}

}  // namespace ifx
