// A composite key (docs/FORMATS.md §6.4) for a message: quoted, non-printable bytes as \xNN,
// shortened (a key can be 64 KiB of anything). Private to libformat's TSM code.
#pragma once

#include <string>
#include <string_view>

namespace ifx::tsm::detail {

std::string printable_key(std::string_view key);

}  // namespace ifx::tsm::detail
