// TSM and tombstone checks over one file on disk (docs/FORMATS.md §6): the header and footer
// (TsmReader::open), the whole index streamed and validated (TsmIndexCursor), every block read
// with its CRC-32, and unless quick every block decoded in full with its first and last
// timestamp compared to the index entry.
#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "ifx/format/check/tsm_check.hpp"
#include "ifx/format/tsm/encoding.hpp"
#include "ifx/format/tsm/tombstone.hpp"
#include "ifx/format/tsm/tsm_reader.hpp"

namespace ifx::check {
namespace {

// docs/FORMATS.md §6.2: the block's first and last timestamp are the index entry's minTime/maxTime.
std::optional<Error> time_range_defect(const tsm::IndexEntry& e, const tsm::DecodedBlock& block) {
  if (block.times.empty())
    return Error{ErrorCode::tsm_time_range,
                 fmt::format("TSM block at offset {} holds no timestamps but its index entry says [{}, {}]", e.offset,
                             e.min_time, e.max_time),
                 {},
                 {},
                 e.offset};
  if (block.times.front() == e.min_time && block.times.back() == e.max_time) return std::nullopt;
  return Error{ErrorCode::tsm_time_range,
               fmt::format("TSM block at offset {} spans timestamps [{}, {}] but its index entry says [{}, {}]",
                           e.offset, block.times.front(), block.times.back(), e.min_time, e.max_time),
               {},
               {},
               e.offset};
}

}  // namespace

void check_tsm_file(const std::filesystem::path& path, const EntryOrigin& origin, bool quick, TsmTally& tally,
                    DefectSink& sink) {
  auto reader = tsm::TsmReader::open(path);
  if (!reader) {
    sink.add(relocated(std::move(reader.error()), origin));
    return;
  }
  auto cursor = reader->index();
  tsm::KeyIndex key;
  std::vector<std::uint8_t> buffer;
  tsm::DecodedBlock decoded;
  std::uint64_t referenced_bytes = 0;
  bool index_complete = false;
  while (true) {
    auto more = cursor.next(key);
    if (!more) {
      sink.add(relocated(std::move(more.error()), origin));
      break;  // the cursor stays failed: nothing after this point of the index can be trusted
    }
    if (!*more) {
      index_complete = true;
      break;
    }
    for (const auto& entry : key.entries) {
      ++tally.blocks;
      referenced_bytes += entry.size;
      auto data = reader->read_block(entry, key.type, buffer);
      if (!data) {
        sink.add(relocated(std::move(data.error()), origin));
        continue;
      }
      if (quick) continue;
      if (auto r = tsm::decode_block(*data, decoded, true); !r) {
        // Decoder offsets are inside the block data, which starts after the 4-byte CRC.
        sink.add(relocated(std::move(r.error()).at_offset(entry.offset + 4), origin));
        continue;
      }
      tally.points += decoded.size();
      if (auto d = time_range_defect(entry, decoded)) sink.add(relocated(std::move(*d), origin));
    }
  }
  // influxd writes the blocks back to back from offset 5 to the index (docs/FORMATS.md §6.1), so the
  // index entries account for every byte of the block region; bytes no entry covers (or covered
  // twice) mean a damaged index that the per-entry bounds did not catch.
  const std::uint64_t region = reader->index_offset() - tsm::kTsmHeaderSize;
  if (index_complete && referenced_bytes != region)
    sink.add(relocated(Error{ErrorCode::tsm_index,
                             fmt::format("the index entries cover {} bytes of blocks, but the block region "
                                         "[5, {}) holds {} bytes",
                                         referenced_bytes, reader->index_offset(), region),
                             {},
                             {},
                             reader->index_offset()},
                       origin));
}

void check_tombstone_file(const std::filesystem::path& path, const EntryOrigin& origin, DefectSink& sink) {
  auto r = tsm::for_each_tombstone(path, [](const tsm::Tombstone&) -> Result<void> { return {}; });
  if (!r) sink.add(relocated(std::move(r.error()), origin));
}

void check_type_conflicts(const std::vector<std::pair<std::filesystem::path, EntryOrigin>>& files, DefectSink& sink) {
  if (files.size() < 2) return;
  struct Stream {
    const EntryOrigin* origin;
    tsm::TsmReader reader;
    std::optional<tsm::TsmIndexCursor> cursor;
    tsm::KeyIndex current;
    bool active = false;
  };
  std::vector<Stream> streams;
  auto advance = [](Stream& s) {
    auto more = s.cursor->next(s.current);
    s.active = more && *more;  // index damage was reported by check_tsm_file
  };
  for (const auto& [path, origin] : files) {
    auto reader = tsm::TsmReader::open(path);
    if (!reader) continue;
    streams.push_back(Stream{&origin, std::move(*reader), std::nullopt, {}, false});
  }
  for (auto& s : streams) {
    s.cursor.emplace(s.reader.index());
    advance(s);
  }
  // A k-way merge over the sorted indexes: memory stays one key per file.
  while (true) {
    const std::string* smallest = nullptr;
    for (const auto& s : streams)
      if (s.active && (!smallest || s.current.key < *smallest)) smallest = &s.current.key;
    if (!smallest) break;
    const std::string key = *smallest;
    const Stream* first = nullptr;
    for (auto& s : streams) {
      if (!s.active || s.current.key != key) continue;
      if (!first) {
        first = &s;
      } else if (s.current.type != first->current.type) {
        sink.add(defect(ErrorCode::tsm_type_conflict, s.origin->file, s.origin->entry, s.current.index_offset,
                        fmt::format("key {} has {} blocks here but {} blocks in {} (a field has one type "
                                    "per shard)",
                                    printable(key), tsm::block_type_name(s.current.type),
                                    tsm::block_type_name(first->current.type), first->origin->entry)));
      }
    }
    for (auto& s : streams)
      if (s.active && s.current.key == key) advance(s);
  }
}

}  // namespace ifx::check
