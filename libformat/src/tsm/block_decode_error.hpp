// One way to build the "tsm-block-decode" error every block decoder reports (docs/FORMATS.md §7).
// Offsets are relative to the span being decoded; decode_block() shifts them to block offsets.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "ifx/format/error.hpp"

namespace ifx::tsm::detail {

template <class... Args>
std::unexpected<Error> block_decode_error(std::uint64_t offset, fmt::format_string<Args...> f, Args&&... args) {
  return fail(ErrorCode::tsm_block_decode, fmt::format(f, std::forward<Args>(args)...), offset);
}

}  // namespace ifx::tsm::detail
