// docs/FORMATS.md §6.1–§6.2: TSM header, footer, streaming index, blocks with CRC.
#include <cstring>
#include "ifx/format/tsm/tsm_reader.hpp"

#include <algorithm>
#include <limits>
#include <mutex>
#include <string_view>

#include <fmt/format.h>

#include "ifx/format/io/checksum.hpp"
#include "tsm/printable_key.hpp"
#include "tsm/tsm_file_io.hpp"

namespace ifx::tsm {

using detail::load_u16_be;
using detail::load_u32_be;
using detail::load_u64_be;

namespace {

using detail::printable_key;

}  // namespace

struct TsmReader::Impl {
  detail::FileHandle file;
  mutable std::optional<TsmIndexSummary> summary;

  // Read-ahead for blocks read in file order (every whole-file pass: verify, export, rewrite):
  // one pread per 256 KiB instead of one per block (a 234 MB backup holds 175,600 blocks; the
  // syscalls were 6% of ifx-backup's time). A block that does not follow the previous one is
  // read on its own, so random access reads no more than it needs.
  static constexpr std::size_t kWindow = 256 * 1024;
  mutable std::vector<std::uint8_t> window;
  mutable std::uint64_t window_start = 0;
  mutable std::uint64_t next_sequential = 0;  // where the previous block ended
  mutable std::mutex window_mutex;            // read_block stays safe to call concurrently

  Result<void> read(std::uint64_t offset, std::uint64_t end_limit, std::vector<std::uint8_t>& out) const {
    std::lock_guard lock(window_mutex);
    const std::uint64_t size = out.size();
    const bool sequential = offset == next_sequential;
    next_sequential = offset + size;
    if (offset >= window_start && offset + size <= window_start + window.size()) {
      std::memcpy(out.data(), window.data() + (offset - window_start), size);
      return {};
    }
    if (!sequential || size >= kWindow) return detail::pread_exact(file.get(), offset, out);
    window.resize(static_cast<std::size_t>(std::min<std::uint64_t>(kWindow, end_limit - offset)));
    window_start = offset;
    if (auto r = detail::pread_exact(file.get(), offset, window); !r) {
      window.clear();
      return r;
    }
    std::memcpy(out.data(), window.data(), size);
    return {};
  }
};

TsmReader::TsmReader(TsmReader&&) noexcept = default;
TsmReader& TsmReader::operator=(TsmReader&&) noexcept = default;
TsmReader::~TsmReader() = default;

Result<TsmReader> TsmReader::open(const std::filesystem::path& path) {
  auto opened = detail::open_for_reading(path);
  if (!opened) return std::unexpected(std::move(opened.error()).in_file(path.string()));

  TsmReader reader;
  reader.path_ = path;
  reader.file_size_ = opened->size;
  reader.impl_ = std::make_unique<Impl>();
  reader.impl_->file = std::move(opened->handle);
  const int fd = reader.impl_->file.get();
  const std::uint64_t size = reader.file_size_;
  auto in_file = [&](Error e) { return std::unexpected(std::move(e).in_file(path.string())); };

  // docs/FORMATS.md §6.1: 5-byte header + 8-byte footer at least.
  if (size < kTsmHeaderSize + kTsmFooterSize) {
    return in_file(fail(ErrorCode::tsm_header,
                        fmt::format("TSM file is {} bytes long; a TSM file has at least a 5-byte header "
                                    "and an 8-byte footer (13 bytes)",
                                    size),
                        0)
                       .error());
  }
  std::uint8_t header[kTsmHeaderSize];
  if (auto r = detail::pread_exact(fd, 0, header); !r) return in_file(r.error());
  if (std::uint32_t magic = load_u32_be(header); magic != kTsmMagic) {
    return in_file(fail(ErrorCode::tsm_header,
                        fmt::format("TSM magic is 0x{:08x}, expected 0x{:08x}: not a TSM file", magic, kTsmMagic), 0)
                       .error());
  }
  if (header[4] != kTsmVersion) {
    return in_file(
        fail(ErrorCode::tsm_header, fmt::format("TSM version is {}, only version {} exists", header[4], kTsmVersion), 4)
            .error());
  }

  std::uint8_t footer[kTsmFooterSize];
  const std::uint64_t footer_offset = size - kTsmFooterSize;
  if (auto r = detail::pread_exact(fd, footer_offset, footer); !r) return in_file(r.error());
  const std::uint64_t index_offset = load_u64_be(footer);
  // docs/FORMATS.md §6.2: the index region [indexOffset, size − 8) holds at least one key.
  if (index_offset < kTsmHeaderSize || index_offset >= footer_offset) {
    return in_file(fail(ErrorCode::tsm_index,
                        fmt::format("footer says the index starts at offset {}, which is outside [{}, {}) "
                                    "for a {}-byte file (truncated or damaged file)",
                                    index_offset, kTsmHeaderSize, footer_offset, size),
                        footer_offset)
                       .error());
  }
  reader.index_offset_ = index_offset;
  return reader;
}

TsmIndexCursor TsmReader::index() const {
  return TsmIndexCursor(impl_->file.get(), index_offset_, file_size_ - kTsmFooterSize, path_.string());
}

Result<TsmIndexSummary> TsmReader::summary() const {
  if (impl_->summary) return *impl_->summary;
  TsmIndexSummary s;
  s.min_time = std::numeric_limits<std::int64_t>::max();
  s.max_time = std::numeric_limits<std::int64_t>::min();
  TsmIndexCursor cursor = index();
  KeyIndex key;
  for (;;) {
    auto more = cursor.next(key);
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    ++s.key_count;
    s.block_count += key.entries.size();
    s.min_time = std::min(s.min_time, key.entries.front().min_time);
    for (const IndexEntry& e : key.entries) s.max_time = std::max(s.max_time, e.max_time);
  }
  s.influxd_max_time = std::max<std::int64_t>(0, s.max_time);
  impl_->summary = s;
  return s;
}

Result<std::span<const std::uint8_t>> TsmReader::read_block(const IndexEntry& entry, BlockType index_type,
                                                            std::vector<std::uint8_t>& buffer) const {
  auto in_file = [&](Error e) { return std::unexpected(std::move(e).in_file(path_.string())); };
  // Entries from TsmIndexCursor are inside [5, indexOffset); hand-made ones may not be.
  if (entry.size < 5 || entry.offset < kTsmHeaderSize || entry.offset > index_offset_ ||
      entry.size > index_offset_ - entry.offset) {
    return in_file(fail(ErrorCode::tsm_index,
                        fmt::format("block at offset {} of {} bytes is outside the block region [{}, {})", entry.offset,
                                    entry.size, kTsmHeaderSize, index_offset_),
                        entry.offset)
                       .error());
  }
  buffer.resize(entry.size);
  if (auto r = impl_->read(entry.offset, index_offset_, buffer); !r) return in_file(r.error());
  auto data = std::span<const std::uint8_t>(buffer).subspan(4);
  const std::uint32_t stored = load_u32_be(buffer.data());
  // docs/FORMATS.md §6.1: CRC-32 IEEE over the block data only, stored big-endian before it.
  const std::uint32_t computed = crc32(data);
  if (stored != computed) {
    return in_file(fail(ErrorCode::tsm_block_crc,
                        fmt::format("TSM block at offset {} fails its CRC32 (stored 0x{:08x}, computed 0x{:08x})",
                                    entry.offset, stored, computed),
                        entry.offset)
                       .error());
  }
  if (data[0] != static_cast<std::uint8_t>(index_type)) {
    return in_file(fail(ErrorCode::tsm_block_decode,
                        fmt::format("TSM block at offset {} has type byte {} but the index says type {} for "
                                    "its key (all blocks of a key have the index's type)",
                                    entry.offset, data[0], static_cast<unsigned>(index_type)),
                        entry.offset + 4)
                       .error());
  }
  return data;
}

// ---- TsmIndexCursor --------------------------------------------------------------------------

TsmIndexCursor::TsmIndexCursor(int fd, std::uint64_t index_offset, std::uint64_t index_end, std::string path)
    : path_(std::move(path)),
      index_offset_(index_offset),
      index_end_(index_end),
      range_(std::make_unique<detail::BufferedRange>(fd, index_offset, index_end)) {}
TsmIndexCursor::TsmIndexCursor(TsmIndexCursor&&) noexcept = default;
TsmIndexCursor& TsmIndexCursor::operator=(TsmIndexCursor&&) noexcept = default;
TsmIndexCursor::~TsmIndexCursor() = default;

Result<bool> TsmIndexCursor::next(KeyIndex& out) {
  if (failure_) return std::unexpected(*failure_);
  auto r = read_key(out);
  if (!r) {
    failure_ = std::move(r.error()).in_file(path_);
    return std::unexpected(*failure_);
  }
  return r;
}

Result<bool> TsmIndexCursor::read_key(KeyIndex& out) {
  detail::BufferedRange& in = *range_;
  if (in.remaining() == 0) return false;

  // docs/FORMATS.md §6.2: u16 key length, key, u8 type, u16 count, count × 28-byte entries.
  const std::uint64_t record_offset = in.position();
  if (in.remaining() < 2) {
    return fail(ErrorCode::tsm_index,
                fmt::format("index ends inside a key length at offset {} ({} byte left, 2 needed)", record_offset,
                            in.remaining()),
                record_offset);
  }
  std::uint8_t small[3];
  if (auto r = in.read(std::span(small, 2)); !r) return std::unexpected(r.error());
  const std::uint16_t key_len = load_u16_be(small);
  if (key_len == 0) {
    return fail(ErrorCode::tsm_index,
                fmt::format("index key at offset {} has length 0 (keys are 1 to 65535 bytes)", record_offset),
                record_offset);
  }
  if (in.remaining() < std::uint64_t{key_len} + 3) {
    return fail(ErrorCode::tsm_index,
                fmt::format("index key at offset {} declares {} key bytes plus type and count, but only {} "
                            "bytes of index remain",
                            record_offset, key_len, in.remaining()),
                record_offset);
  }
  if (auto r = in.read(out.key, key_len); !r) return std::unexpected(r.error());
  if (keys_read_ > 0 && std::string_view(out.key) <= std::string_view(previous_key_)) {
    return fail(ErrorCode::tsm_index,
                fmt::format("index key {} at offset {} does not sort after the previous key {} (keys must be "
                            "strictly increasing)",
                            printable_key(out.key), record_offset, printable_key(previous_key_)),
                record_offset);
  }

  const std::uint64_t type_offset = in.position();
  if (auto r = in.read(std::span(small, 3)); !r) return std::unexpected(r.error());
  if (small[0] > static_cast<std::uint8_t>(BlockType::Unsigned)) {
    return fail(ErrorCode::tsm_index,
                fmt::format("index key {} has block type {}; valid types are 0 to 4", printable_key(out.key), small[0]),
                type_offset);
  }
  out.type = static_cast<BlockType>(small[0]);
  const std::uint16_t count = load_u16_be(small + 1);
  const std::uint64_t count_offset = type_offset + 1;
  if (count == 0) {
    return fail(ErrorCode::tsm_index,
                fmt::format("index key {} has 0 index entries (at least 1 expected)", printable_key(out.key)),
                count_offset);
  }
  const std::uint64_t entries_bytes = std::uint64_t{count} * kTsmIndexEntrySize;
  if (in.remaining() < entries_bytes) {
    return fail(ErrorCode::tsm_index,
                fmt::format("index key {} declares {} entries ({} bytes) but only {} bytes of index remain",
                            printable_key(out.key), count, entries_bytes, in.remaining()),
                count_offset);
  }

  std::uint8_t raw[kTsmIndexEntrySize];
  out.entries.clear();
  out.entries.reserve(count);
  out.index_offset = record_offset;
  const std::uint64_t block_region_end = index_offset_;
  for (std::uint16_t i = 0; i < count; ++i) {
    const std::uint64_t entry_offset = in.position();
    if (auto r = in.read(raw); !r) return std::unexpected(r.error());
    IndexEntry e{static_cast<std::int64_t>(load_u64_be(raw)), static_cast<std::int64_t>(load_u64_be(raw + 8)),
                 load_u64_be(raw + 16), load_u32_be(raw + 24)};
    if (e.min_time > e.max_time) {
      return fail(ErrorCode::tsm_index,
                  fmt::format("index entry {} of key {} has minTime {} after maxTime {}", i, printable_key(out.key),
                              e.min_time, e.max_time),
                  entry_offset);
    }
    if (i > 0 && e.min_time < out.entries.back().min_time) {
      return fail(ErrorCode::tsm_index,
                  fmt::format("index entry {} of key {} has minTime {} before the previous entry's {} (entries "
                              "are sorted by minTime)",
                              i, printable_key(out.key), e.min_time, out.entries.back().min_time),
                  entry_offset);
    }
    if (e.size < 5) {
      return fail(ErrorCode::tsm_index,
                  fmt::format("index entry {} of key {} has block size {}; a block is a 4-byte CRC and at "
                              "least 1 byte of data",
                              i, printable_key(out.key), e.size),
                  entry_offset + 24);
    }
    if (e.offset < kTsmHeaderSize || e.offset > block_region_end || e.size > block_region_end - e.offset) {
      return fail(ErrorCode::tsm_index,
                  fmt::format("index entry {} of key {} points at {} bytes at offset {}, outside the block "
                              "region [{}, {})",
                              i, printable_key(out.key), e.size, e.offset, kTsmHeaderSize, block_region_end),
                  entry_offset + 16);
    }
    out.entries.push_back(e);
  }
  previous_key_ = out.key;
  ++keys_read_;
  return true;
}

}  // namespace ifx::tsm
