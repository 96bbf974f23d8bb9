// Go durations (provisional owner; merged with the text encodings).
#pragma once
#include <cstdint>
#include <string>
namespace ifx::text {
std::string format_go_duration(std::int64_t ns);
}  // namespace ifx::text
