// A whole TSM file (docs/FORMATS.md §6): header, footer, the streamed index and every block it
// points to (CRC, type, time range, decode). summary() and a cursor pass validate the same
// index, so they must agree.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "ifx/format/tsm/encoding.hpp"
#include "ifx/format/tsm/tsm_reader.hpp"

using namespace ifx;
using namespace ifx::tsm;

namespace {
constexpr std::string_view kCodes[] = {"tsm-header",       "tsm-index",      "tsm-block-crc",
                                       "tsm-block-decode", "tsm-time-range", "io"};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto reader = TsmReader::open(fuzz::MemoryFile::input().write({data, size}));
  if (!reader) {
    fuzz::check_error(reader.error(), kCodes, size);
    return 0;
  }
  fuzz::check(reader->index_offset() >= kTsmHeaderSize && reader->index_offset() < size - kTsmFooterSize,
              "index offset outside the file");
  auto summary = reader->summary();
  if (!summary) fuzz::check_error(summary.error(), kCodes, size);

  static std::vector<std::uint8_t> buffer;
  static DecodedBlock block;
  static KeyIndex key;
  std::uint64_t keys = 0;
  std::uint64_t blocks = 0;
  auto cursor = reader->index();
  Result<bool> more;
  while ((more = cursor.next(key)) && *more) {
    ++keys;
    fuzz::check(!key.key.empty() && !key.entries.empty(), "empty key or key without entries");
    for (const auto& entry : key.entries) {
      ++blocks;
      fuzz::check(entry.min_time <= entry.max_time && entry.offset >= kTsmHeaderSize &&
                      entry.offset + entry.size <= reader->index_offset(),
                  "index entry escaped validation");
      auto bytes = reader->read_block(entry, key.type, buffer);
      if (!bytes) {
        fuzz::check_error(bytes.error(), kCodes, size);
        continue;
      }
      if (auto times = reader->check_block_times(entry, *bytes); !times) fuzz::check_error(times.error(), kCodes, size);
      if (auto r = decode_block(*bytes, block, false); !r) {
        fuzz::check_error(r.error(), {"tsm-block-decode"}, bytes->size());
      } else {
        fuzz::check(block.type == key.type, "decoded type differs from the index type");
      }
    }
  }
  if (!more) fuzz::check_error(more.error(), kCodes, size);
  fuzz::check(summary.has_value() == more.has_value(), "summary() and the index cursor disagree",
              summary ? more.error().message : summary.error().message);
  if (summary) {
    fuzz::check(summary->key_count == keys && summary->block_count == blocks, "summary counts differ from the cursor");
    fuzz::check(cursor.keys_read() == keys, "keys_read differs");
  }
  return 0;
}
