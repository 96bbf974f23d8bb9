// WAL segment names and the streaming segment reader (docs/FORMATS.md §11.1, §11.2).
#include "ifx/format/wal/wal_segment.hpp"
#include "ifx/format/text/decimal.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <snappy.h>

#include "tsm/tsm_file_io.hpp"
#include "wal/wal_entry.hpp"

namespace ifx::wal {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kEntryHeaderBytes = 5;  // type byte, u32 BE length
// Snappy cannot expand data more than 64/3 times (a 3-byte copy yields at most 64 bytes), so a
// block declaring more than 22 times its own size is damaged, and is refused before anything is
// allocated for it.
constexpr std::uint64_t kMaxSnappyExpansion = 22;

}  // namespace

// ---- names -----------------------------------------------------------------------------------

std::optional<std::uint32_t> segment_id_from_name(std::string_view name) {
  // influxd: the base name split at '.' must give two parts, the first one '_' and a uint32.
  if (!name.starts_with('_') || !name.ends_with(".wal")) return std::nullopt;
  const std::string_view digits = name.substr(1, name.size() - 1 - 4);
  return text::parse_decimal<std::uint32_t>(digits);
}

std::string segment_file_name(std::uint32_t id) { return fmt::format("_{:05d}.wal", id); }

Result<std::vector<SegmentFile>> list_segments(const fs::path& dir) {
  std::vector<SegmentFile> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    if (ec)
      return fail_in_file(ErrorCode::io, dir.string(), fmt::format("cannot read the directory: {}", ec.message()));
    return out;
  }
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const auto id = segment_id_from_name(name);
    if (!id) continue;
    std::error_code file_ec;
    if (!it->is_regular_file(file_ec)) continue;
    const std::uint64_t size = it->file_size(file_ec);
    if (file_ec)
      return fail_in_file(ErrorCode::io, it->path().string(), fmt::format("cannot stat: {}", file_ec.message()));
    out.push_back({it->path(), *id, size});
  }
  if (ec) return fail_in_file(ErrorCode::io, dir.string(), fmt::format("cannot read the directory: {}", ec.message()));
  // §11.1: influxd sorts the names as strings (Go compares bytes).
  std::sort(out.begin(), out.end(), [](const SegmentFile& a, const SegmentFile& b) {
    return a.path.filename().string() < b.path.filename().string();
  });
  return out;
}

// ---- entries ---------------------------------------------------------------------------------

std::string_view wal_entry_type_name(WalEntryType type) {
  switch (type) {
    case WalEntryType::Write:
      return "write";
    case WalEntryType::Delete:
      return "delete";
    case WalEntryType::DeleteRange:
      return "delete-range";
  }
  return "unknown";
}

// §11.3: the value type bytes of write records, one table both ways.
constexpr std::array<std::pair<std::uint8_t, tsm::BlockType>, 5> kValueTypes = {{
    {1, tsm::BlockType::Float},
    {2, tsm::BlockType::Integer},
    {3, tsm::BlockType::Boolean},
    {4, tsm::BlockType::String},
    {5, tsm::BlockType::Unsigned},
}};

std::uint8_t wal_value_type_byte(tsm::BlockType type) {
  for (const auto& [byte, block_type] : kValueTypes)
    if (block_type == type) return byte;
  return 0;
}

std::optional<tsm::BlockType> block_type_of_wal_value_byte(std::uint8_t byte) {
  for (const auto& [b, block_type] : kValueTypes)
    if (b == byte) return block_type;
  return std::nullopt;
}

// ---- the reader ------------------------------------------------------------------------------

struct WalSegmentReader::Impl {
  fs::path path;
  WalLimits limits;
  tsm::detail::FileHandle file;
  std::uint64_t size = 0;
  std::uint64_t pos = 0;  // the next entry's type byte
  std::uint64_t entries = 0;
  std::uint64_t cut_short = 0;
  bool finished = false;
  std::optional<Error> failure;                       // the damaged entry at `pos`
  std::optional<std::uint64_t> after_damaged;         // where its header says the next entry starts
  std::unique_ptr<tsm::detail::BufferedRange> range;  // reads [pos, size) ahead
  std::vector<std::uint8_t> compressed;
  std::vector<std::uint8_t> decoded;

  void seek(std::uint64_t to) {
    pos = to;
    range = std::make_unique<tsm::detail::BufferedRange>(file.get(), pos, size);
  }

  template <class... Args>
  std::unexpected<Error> damaged(fmt::format_string<Args...> f, Args&&... args) {
    failure = Error{ErrorCode::wal_invalid, fmt::format(f, std::forward<Args>(args)...), path.string(), {}, pos};
    return std::unexpected(*failure);
  }

  // A read that failed leaves the read-ahead somewhere inside the entry: nothing after it can be
  // trusted, so the error stays.
  std::unexpected<Error> read_failed(Error e) {
    after_damaged.reset();
    failure = std::move(e).in_file(path.string());
    return std::unexpected(*failure);
  }

  Result<bool> end(std::uint64_t tail) {
    finished = true;
    cut_short = tail;
    return false;
  }

  Result<bool> next(WalEntry& out);
};

Result<bool> WalSegmentReader::Impl::next(WalEntry& out) {
  if (failure) return std::unexpected(*failure);
  if (finished) return false;
  const std::uint64_t remaining = size - pos;
  if (remaining == 0) return end(0);
  if (remaining < kEntryHeaderBytes) return end(remaining);  // §11.2: cut short inside the header

  std::uint8_t header[kEntryHeaderBytes];
  if (auto r = range->read(header); !r) return read_failed(std::move(r.error()));
  const std::uint8_t type = header[0];
  const std::uint64_t length = tsm::detail::load_u32_be(header + 1);
  after_damaged.reset();
  if (length <= remaining - kEntryHeaderBytes) after_damaged = pos + kEntryHeaderBytes + length;

  if (type < 1 || type > 3) {
    return damaged("WAL entry of unknown type {} (1 write, 2 delete, 3 delete-range)", type);
  }
  if (length > limits.max_compressed_bytes) {
    return damaged("WAL entry declares {} compressed bytes, more than the {} an entry may take", length,
                   limits.max_compressed_bytes);
  }
  if (!after_damaged) return end(remaining);  // §11.2: cut short inside the data
  if (length == 0) return damaged("WAL entry holds no Snappy data (length 0)");

  compressed.resize(static_cast<std::size_t>(length));
  if (auto r = range->read(compressed); !r) return read_failed(std::move(r.error()));
  const char* bytes = reinterpret_cast<const char*>(compressed.data());
  std::size_t decoded_size = 0;
  if (!snappy::GetUncompressedLength(bytes, compressed.size(), &decoded_size)) {
    return damaged("WAL entry: the Snappy block's length header is damaged");
  }
  if (decoded_size > limits.max_entry_bytes || decoded_size > kMaxSnappyExpansion * length) {
    return damaged(
        "WAL entry: the Snappy block declares {} decompressed bytes from {} compressed bytes; refused (limits: {} "
        "bytes and {}x the compressed size)",
        decoded_size, length, limits.max_entry_bytes, kMaxSnappyExpansion);
  }
  decoded.resize(decoded_size);
  if (!snappy::RawUncompress(bytes, compressed.size(), reinterpret_cast<char*>(decoded.data()))) {
    return damaged("WAL entry: the Snappy block is corrupt (it does not decompress to the {} bytes it declares)",
                   decoded_size);
  }
  out.type = static_cast<WalEntryType>(type);
  out.offset = pos;
  out.size = kEntryHeaderBytes + length;
  if (auto r = detail::decode_entry_data(decoded, out); !r) {
    return damaged("{} entry: {}", wal_entry_type_name(out.type), r.error().message);
  }
  pos += out.size;
  ++entries;
  return true;
}

Result<WalSegmentReader> WalSegmentReader::open(const fs::path& path, WalLimits limits) {
  auto opened = tsm::detail::open_for_reading(path);
  if (!opened) return std::unexpected(std::move(opened.error()).in_file(path.string()));
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->limits = limits;
  impl->file = std::move(opened->handle);
  impl->size = opened->size;
  impl->seek(0);
  return WalSegmentReader(std::move(impl));
}

WalSegmentReader::WalSegmentReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WalSegmentReader::WalSegmentReader(WalSegmentReader&&) noexcept = default;
WalSegmentReader& WalSegmentReader::operator=(WalSegmentReader&&) noexcept = default;
WalSegmentReader::~WalSegmentReader() = default;

Result<bool> WalSegmentReader::next(WalEntry& out) { return impl_->next(out); }

bool WalSegmentReader::skip_damaged() {
  if (!impl_->failure || !impl_->after_damaged) return false;
  impl_->failure.reset();
  impl_->seek(*impl_->after_damaged);
  impl_->after_damaged.reset();
  return true;
}

const fs::path& WalSegmentReader::path() const { return impl_->path; }
std::uint64_t WalSegmentReader::file_size() const { return impl_->size; }
std::uint64_t WalSegmentReader::position() const { return impl_->pos; }
std::uint64_t WalSegmentReader::entries_read() const { return impl_->entries; }
std::uint64_t WalSegmentReader::cut_short_bytes() const { return impl_->cut_short; }

}  // namespace ifx::wal
