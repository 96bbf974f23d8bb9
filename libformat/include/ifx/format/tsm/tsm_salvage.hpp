// What can still be read of a damaged TSM file, copied into a new one: every block whose CRC
// matches, under the key and time span its index entry gives (docs/FORMATS.md §6). For a server's
// data that is all there is: a backup of a broken server keeps the readable blocks and says
// exactly which ones it lost.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "ifx/format/error.hpp"

namespace ifx::tsm {

struct TsmSalvage {
  bool written = false;  // false: nothing readable, no file made
  std::uint64_t blocks_kept = 0;
  std::uint64_t blocks_lost = 0;  // blocks the index names whose bytes are damaged
  std::uint64_t points_lost = 0;  // of those, the points counted (see `losses`)
  bool points_lost_known = true;  // false: a lost block (or a damaged index) hid its count
  // One per loss, naming `source`, the offset and the key: a block ("tsm-block-crc" or
  // "tsm-block-decode", its points when the damaged bytes still say), the index from a point on
  // ("tsm-index": the keys after it are lost), or the whole file ("tsm-header").
  std::vector<Error> losses;
};

// Copies the readable blocks of `source` into a new TSM file at `target` (created, fsynced). A
// block is readable when its CRC matches and its type byte is its key's; its bytes are copied
// as they are. A lost block's points are counted from its timestamp section when that still
// decodes and agrees with the index entry, else unknown. Errors: only "io" (reading `source` or
// writing `target`); damage is in the result.
Result<TsmSalvage> salvage_tsm_file(const std::filesystem::path& source, const std::filesystem::path& target);

}  // namespace ifx::tsm
