// The decompressed data of one WAL entry, decoded by type (docs/FORMATS.md §11.3–§11.5). Private
// to libformat: the segment reader calls it and places its errors in the file.
#pragma once

#include <cstdint>
#include <span>

#include "ifx/format/error.hpp"
#include "ifx/format/wal/wal_segment.hpp"

namespace ifx::wal::detail {

// Fills out.writes, or out.keys with out.min/out.max, from `data` (out.type says which). Damage is
// "wal-invalid" without an offset (the reader gives the entry's), the message naming the byte of
// the decompressed data where it is.
Result<void> decode_entry_data(std::span<const std::uint8_t> data, WalEntry& out);

}  // namespace ifx::wal::detail
