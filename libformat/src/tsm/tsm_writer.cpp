// docs/FORMATS.md §6.1–§6.3: header with the first block, blocks (CRC32 BE + data), index, footer.
#include "ifx/format/tsm/tsm_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "ifx/format/io/checksum.hpp"
#include "tsm/tsm_file_io.hpp"

namespace ifx::tsm {

namespace {
constexpr std::size_t kFlushThreshold = 1 << 20;
// docs/FORMATS.md §6.3: the u16 count holds 65535 and influxd fills it; one short of that leaves
// every reader (and any off-by-one in one) room.
constexpr std::size_t kMaxBlocksPerKey = 65534;
}  // namespace

struct TsmWriter::Impl {
  std::filesystem::path path;
  TsmWriterOptions options;
  detail::FileHandle file;
  std::vector<std::uint8_t> pending;  // bytes not yet written to the file
  std::uint64_t offset = 0;           // bytes produced so far (written + pending)
  std::vector<std::uint8_t> index;    // serialized index of the keys already completed
  std::string key;                    // key being written
  BlockType type = BlockType::Float;
  std::vector<IndexEntry> entries;  // its blocks
  std::uint64_t blocks = 0;
  std::uint64_t keys = 0;
  bool finished = false;

  Result<void> flush() {
    if (pending.empty()) return {};
    auto r = detail::write_all(file.get(), pending);
    pending.clear();
    if (!r) return std::unexpected(std::move(r.error()).in_file(path.string()));
    return {};
  }

  // docs/FORMATS.md §6.2: u16 key length, key, type, u16 count, 28-byte entries.
  void close_key() {
    if (entries.empty()) return;
    detail::append_u16_be(index, static_cast<std::uint16_t>(key.size()));
    index.insert(index.end(), key.begin(), key.end());
    index.push_back(static_cast<std::uint8_t>(type));
    detail::append_u16_be(index, static_cast<std::uint16_t>(entries.size()));
    for (const IndexEntry& e : entries) {
      detail::append_u64_be(index, static_cast<std::uint64_t>(e.min_time));
      detail::append_u64_be(index, static_cast<std::uint64_t>(e.max_time));
      detail::append_u64_be(index, e.offset);
      detail::append_u32_be(index, e.size);
    }
    entries.clear();
    ++keys;
  }
};

namespace {
std::unexpected<Error> misuse(const std::filesystem::path& path, std::string message) {
  return std::unexpected(fail(ErrorCode::invalid_argument, std::move(message)).error().in_file(path.string()));
}
}  // namespace

TsmWriter::TsmWriter(TsmWriter&&) noexcept = default;
TsmWriter& TsmWriter::operator=(TsmWriter&&) noexcept = default;
TsmWriter::~TsmWriter() = default;

Result<TsmWriter> TsmWriter::create(const std::filesystem::path& path, TsmWriterOptions options) {
  if (options.max_points_per_block == 0) return misuse(path, "max_points_per_block must be at least 1");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return std::unexpected(fail(ErrorCode::io, fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)))
                               .error()
                               .in_file(path.string()));
  }
  TsmWriter w;
  w.impl_ = std::make_unique<Impl>();
  w.impl_->path = path;
  w.impl_->options = options;
  w.impl_->file = detail::FileHandle(fd);
  return w;
}

Result<void> TsmWriter::add_encoded_block(std::string_view key, BlockType type, std::int64_t min_time,
                                          std::int64_t max_time, std::span<const std::uint8_t> block) {
  Impl& w = *impl_;
  if (w.finished) return misuse(w.path, "cannot add a block after finish()");
  if (key.empty() || key.size() > std::numeric_limits<std::uint16_t>::max()) {
    return misuse(w.path, fmt::format("a TSM key is 1 to 65535 bytes, got {} bytes", key.size()));
  }
  if (block.empty() || block[0] != static_cast<std::uint8_t>(type)) {
    return misuse(
        w.path, fmt::format("block for key \"{}\" must start with its type byte {}", key, static_cast<unsigned>(type)));
  }
  if (block.size() > std::numeric_limits<std::uint32_t>::max() - 4) {
    return misuse(w.path, fmt::format("block of {} bytes exceeds the u32 block size field", block.size()));
  }
  if (min_time > max_time) {
    return misuse(w.path,
                  fmt::format("block for key \"{}\" has min time {} after max time {}", key, min_time, max_time));
  }
  const bool same_key = !w.entries.empty() && key == w.key;
  if (same_key) {
    if (type != w.type) {
      return misuse(w.path, fmt::format("key \"{}\" already has blocks of type {}, got type {}", key,
                                        static_cast<unsigned>(w.type), static_cast<unsigned>(type)));
    }
    if (min_time <= w.entries.back().max_time) {
      return misuse(w.path, fmt::format("block for key \"{}\" starts at {}, not after the previous block's "
                                        "last time {}",
                                        key, min_time, w.entries.back().max_time));
    }
    if (w.entries.size() >= kMaxBlocksPerKey) {
      return misuse(w.path, fmt::format("key \"{}\" already has {} blocks, the most one TSM file can hold", key,
                                        w.entries.size()));
    }
  } else {
    if (!w.entries.empty() && std::string_view(key) <= std::string_view(w.key)) {
      return misuse(w.path, fmt::format("key \"{}\" does not sort after the previous key \"{}\" (keys are "
                                        "written in strictly increasing order)",
                                        key, w.key));
    }
    w.close_key();
    w.key.assign(key);
    w.type = type;
  }

  if (w.offset == 0) {  // docs/FORMATS.md §6.1: the header goes out with the first block
    detail::append_u32_be(w.pending, kTsmMagic);
    w.pending.push_back(kTsmVersion);
    w.offset = kTsmHeaderSize;
  }
  const std::uint32_t size = static_cast<std::uint32_t>(block.size() + 4);
  w.entries.push_back(IndexEntry{min_time, max_time, w.offset, size});
  detail::append_u32_be(w.pending, crc32(block));
  w.pending.insert(w.pending.end(), block.begin(), block.end());
  w.offset += size;
  ++w.blocks;
  if (w.pending.size() >= kFlushThreshold) return w.flush();
  return {};
}

Result<void> TsmWriter::finish() {
  Impl& w = *impl_;
  if (w.finished) return misuse(w.path, "finish() was already called");
  if (w.blocks == 0) return misuse(w.path, "no block was written; a TSM file holds at least one key");
  w.finished = true;
  w.close_key();
  const std::uint64_t index_offset = w.offset;
  if (auto r = w.flush(); !r) return r;
  if (auto r = detail::write_all(w.file.get(), w.index); !r)
    return std::unexpected(std::move(r.error()).in_file(w.path.string()));
  w.offset += w.index.size();
  std::vector<std::uint8_t> footer;
  detail::append_u64_be(footer, index_offset);
  if (auto r = detail::write_all(w.file.get(), footer); !r)
    return std::unexpected(std::move(r.error()).in_file(w.path.string()));
  w.offset += footer.size();
  w.index.clear();
  w.index.shrink_to_fit();
  if (w.options.sync_on_finish && ::fsync(w.file.get()) != 0) {
    return std::unexpected(
        fail(ErrorCode::io, fmt::format("fsync of {} failed: {}", w.path.string(), std::strerror(errno)))
            .error()
            .in_file(w.path.string()));
  }
  int fd = w.file.release();
  if (::close(fd) != 0) {
    return std::unexpected(
        fail(ErrorCode::io, fmt::format("close of {} failed: {}", w.path.string(), std::strerror(errno)))
            .error()
            .in_file(w.path.string()));
  }
  return {};
}

std::uint64_t TsmWriter::bytes_written() const { return impl_->offset; }
std::size_t TsmWriter::max_points_per_block() const { return impl_->options.max_points_per_block; }
std::uint64_t TsmWriter::block_count() const { return impl_->blocks; }
std::uint64_t TsmWriter::key_count() const { return impl_->keys + (impl_->entries.empty() ? 0 : 1); }

}  // namespace ifx::tsm
