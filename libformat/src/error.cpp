#include "ifx/format/error.hpp"

#include <fmt/format.h>

namespace ifx {

std::string Error::describe() const {
  std::string out;
  if (!file.empty()) out += file + ": ";
  if (!entry.empty()) out += entry + ": ";
  if (offset) out += fmt::format("offset {}: ", *offset);
  out += message;
  return out;
}

}  // namespace ifx
