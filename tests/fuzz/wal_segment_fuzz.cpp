// WAL segments (docs/FORMATS.md §11). WalSegmentReader to the end, skipping damaged entries: the
// entries tile the file from offset 0, a damaged one is "wal-invalid" at the reader's position, and
// the cut-short tail is what follows the last entry. replay_wal agrees with the reader: it fails
// only where the reader did (or on a type change, at an entry), salvage never fails, and every key
// it returns holds strictly ascending times.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "fuzz_support.hpp"
#include "ifx/format/wal/wal_replay.hpp"
#include "ifx/format/wal/wal_segment.hpp"

using namespace ifx;
using namespace ifx::wal;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& path = fuzz::MemoryFile::input().write({data, size});
  // Small limits, so that the fuzzer reaches them without allocating gigabytes.
  const WalLimits limits{.max_entry_bytes = 1 << 20};
  auto reader = WalSegmentReader::open(path, limits);
  fuzz::check(reader.has_value(), "a memory file does not open");

  std::optional<std::uint64_t> first_damage;
  std::uint64_t expected_offset = 0;
  WalEntry entry;
  for (;;) {
    auto more = reader->next(entry);
    if (!more) {
      fuzz::check_error(more.error(), {"wal-invalid"}, size);
      fuzz::check(more.error().offset == reader->position(), "damage not at the reader's position");
      if (!first_damage) first_damage = reader->position();
      const std::uint64_t at = reader->position();
      if (!reader->skip_damaged()) break;
      fuzz::check(reader->position() > at, "skip_damaged did not move forward");
      expected_offset = reader->position();
      continue;
    }
    if (!*more) {
      fuzz::check(reader->position() + reader->cut_short_bytes() == size, "the tail does not end the file");
      break;
    }
    fuzz::check(entry.offset == expected_offset, "entries do not follow each other");
    fuzz::check(entry.size >= 6 && entry.offset + entry.size <= size, "entry outside the file");
    fuzz::check(entry.offset + entry.size == reader->position(), "position is not after the entry");
    expected_offset = reader->position();
    for (const auto& kv : entry.writes) {
      fuzz::check(kv.values.size() > 0 && kv.values.value_count() == kv.values.size(), "record values miscounted",
                  kv.key);
    }
  }

  const SegmentFile file{path, 1, size};
  auto strict = replay_wal({&file, 1}, {.limits = limits});
  if (first_damage) {
    fuzz::check(!strict.has_value(), "replay accepted a damaged segment");
    fuzz::check(strict.error().offset <= *first_damage, "replay failed after the reader's first damage");
  }
  if (!strict) {
    fuzz::check_error(strict.error(), {"wal-invalid"}, size);
  } else {
    for (const auto& kv : strict->keys) {
      for (std::size_t i = 1; i < kv.values.size(); ++i)
        fuzz::check(kv.values.times[i - 1] < kv.values.times[i], "replayed times not strictly ascending", kv.key);
    }
  }
  auto salvaged = replay_wal({&file, 1}, {.limits = limits, .salvage = true});
  fuzz::check(salvaged.has_value(), "salvage failed", salvaged ? std::string() : salvaged.error().describe());
  const SegmentReplay& s = salvaged->segments.at(0);
  fuzz::check(s.replayed_bytes + s.dropped_bytes == size, "salvage lost track of bytes");
  // Salvage keeps everything before the first damage, reports that damage first, and may read
  // on past it (wal_replay.hpp): never fewer bytes than the entries before it.
  if (first_damage) {
    fuzz::check(s.replayed_bytes >= *first_damage, "salvage dropped entries before the first damage");
    fuzz::check(
        std::any_of(s.defects.begin(), s.defects.end(), [&](const ifx::Error& e) { return e.offset == *first_damage; }),
        "salvage did not report the first damage");
  }
  return 0;
}
