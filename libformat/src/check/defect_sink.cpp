#include "ifx/format/check/defect_sink.hpp"

#include <fmt/format.h>

namespace ifx::check {

void DefectSink::add(Error e) {
  std::size_t& n = per_entry_[{e.file, e.entry}];
  if (++n > cap_) return;
  defects_.push_back(std::move(e));
}

void DefectSink::finish() {
  for (const auto& [where, n] : per_entry_)
    if (n > cap_)
      note(fmt::format("{}{}{}: {} more defects not listed (only the first {} of one file or entry are)", where.first,
                       where.second.empty() ? "" : ": ", where.second, n - cap_, cap_));
}

Error defect(ErrorCode code, std::string file, std::string entry, std::optional<std::uint64_t> offset,
             std::string message) {
  return Error{code, std::move(message), std::move(file), std::move(entry), offset};
}

Error relocated(Error e, const EntryOrigin& origin) {
  e.file = origin.file;
  e.entry = origin.entry;
  return e;
}

std::string printable(std::string_view text) {
  constexpr std::size_t kMax = 200;
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  if (text.size() > kMax) out += fmt::format("... ({} bytes)", text.size());
  return out;
}

}  // namespace ifx::check
