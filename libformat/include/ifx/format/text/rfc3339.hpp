// RFC 3339 (provisional owner; merged with the text encodings).
#pragma once
#include <cstdint>
#include <string>
namespace ifx::text {
std::string format_rfc3339(std::int64_t unix_ns);
}  // namespace ifx::text
