// Salvage of a damaged TSM file: the index is streamed as the checks stream it, every block read
// with its CRC, the good ones copied encoded into a new file by TsmWriter.
#include "ifx/format/tsm/tsm_salvage.hpp"

#include <fmt/format.h>

#include "ifx/format/tsm/encoding.hpp"
#include "tsm/block_layout.hpp"
#include "tsm/printable_key.hpp"
#include "ifx/format/tsm/tsm_reader.hpp"
#include "ifx/format/tsm/tsm_writer.hpp"

namespace ifx::tsm {
namespace {

bool damage(ErrorCode code) {
  return code == ErrorCode::tsm_header || code == ErrorCode::tsm_index || code == ErrorCode::tsm_block_crc ||
         code == ErrorCode::tsm_block_decode;
}

// The points of a block whose CRC failed, when its timestamp section still decodes and still
// agrees with its index entry (the damage hit the values): the count is the timestamps'.
// Otherwise nothing can be said.
std::optional<std::uint64_t> points_of_damaged(std::span<const std::uint8_t> raw, const IndexEntry& entry) {
  if (raw.size() <= 4) return std::nullopt;
  auto sections = detail::split_block(raw.subspan(4));
  if (!sections) return std::nullopt;
  auto times = detail::summarize_timestamps(sections->times);
  if (!times || times->count == 0 || times->first != entry.min_time || times->last != entry.max_time)
    return std::nullopt;
  return times->count;
}

}  // namespace

Result<TsmSalvage> salvage_tsm_file(const std::filesystem::path& source, const std::filesystem::path& target) {
  TsmSalvage out;
  auto reader = TsmReader::open(source);
  if (!reader) {
    if (!damage(reader.error().code)) return std::unexpected(std::move(reader.error()));
    Error e = std::move(reader.error());
    e.file = source.string();
    e.message += ": the whole file is lost (its blocks cannot be found without its header and index)";
    out.losses.push_back(std::move(e));
    out.points_lost_known = false;
    return out;
  }
  std::optional<TsmWriter> writer;
  auto cursor = reader->index();
  KeyIndex key;
  std::vector<std::uint8_t> buffer;
  std::string last_key;
  while (true) {
    auto more = cursor.next(key);
    if (!more) {
      if (!damage(more.error().code)) return std::unexpected(std::move(more.error()));
      Error e = std::move(more.error());
      e.file = source.string();
      e.message += last_key.empty()
                       ? ": every key's blocks are lost (the index is unreadable from its start)"
                       : fmt::format(": the blocks of every key after {} are lost", detail::printable_key(last_key));
      out.losses.push_back(std::move(e));
      out.points_lost_known = false;
      break;
    }
    if (!*more) break;
    last_key = key.key;
    for (const auto& entry : key.entries) {
      auto data = reader->read_block(entry, key.type, buffer);
      if (!data) {
        if (!damage(data.error().code)) return std::unexpected(std::move(data.error()));
        Error e = std::move(data.error());
        e.file = source.string();
        const auto points = points_of_damaged(buffer, entry);
        if (points) out.points_lost += *points;
        else out.points_lost_known = false;
        e.message += fmt::format(": {} of {} in [{}, {}] lost",
                                 points ? fmt::format("{} points", *points) : std::string("the points (count unknown)"),
                                 detail::printable_key(key.key), entry.min_time, entry.max_time);
        out.losses.push_back(std::move(e));
        ++out.blocks_lost;
        continue;
      }
      if (!writer) {
        auto w = TsmWriter::create(target);
        if (!w) return std::unexpected(std::move(w.error()));
        writer.emplace(std::move(*w));
      }
      if (auto r = writer->add_encoded_block(key.key, key.type, entry.min_time, entry.max_time, *data); !r) {
        // The index lists this key's blocks out of order or overlapping, which influxd never
        // writes: keep the blocks already copied and count the rest as lost.
        Error e = std::move(r.error());
        e.code = ErrorCode::tsm_index;
        e.file = source.string();
        e.offset = key.index_offset;
        e.message = fmt::format("the index entry of {} for [{}, {}] cannot follow its previous block ({}): lost",
                                detail::printable_key(key.key), entry.min_time, entry.max_time, e.message);
        out.losses.push_back(std::move(e));
        ++out.blocks_lost;
        out.points_lost_known = false;
        continue;
      }
      ++out.blocks_kept;
    }
  }
  if (writer) {
    if (auto r = writer->finish(); !r) return std::unexpected(std::move(r.error()));
    out.written = true;
  }
  return out;
}

}  // namespace ifx::tsm
