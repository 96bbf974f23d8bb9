// The checks of one TSM file and one tombstone file as they lie on disk (a shard's entry
// unpacked to scratch), and of the TSM files of one shard against each other (docs/FORMATS.md
// §6). Offsets in the defects are offsets inside the file, i.e. inside the tar entry.
#pragma once

#include <cstdint>
#include <filesystem>
#include <utility>
#include <vector>

#include "ifx/format/check/defect_sink.hpp"

namespace ifx::check {

struct TsmTally {
  std::uint64_t blocks = 0;  // blocks whose CRC was checked
  std::uint64_t points = 0;  // values decoded (0 when quick)
};

// The header and footer, the whole index streamed and validated, every block read with its
// CRC-32 and, unless `quick`, decoded in full with its first and last timestamp compared to the
// index entry; the index entries must cover the block region exactly.
void check_tsm_file(const std::filesystem::path& path, const EntryOrigin& origin, bool quick, TsmTally& tally,
                    DefectSink& sink);
// Every record of the tombstone file parses (§6.6).
void check_tombstone_file(const std::filesystem::path& path, const EntryOrigin& origin, DefectSink& sink);
// §6.2: a field has one block type; across the TSM files of one shard the same key must carry the
// same type ("tsm-type-conflict"). `files` in generation order.
void check_type_conflicts(const std::vector<std::pair<std::filesystem::path, EntryOrigin>>& files, DefectSink& sink);

}  // namespace ifx::check
