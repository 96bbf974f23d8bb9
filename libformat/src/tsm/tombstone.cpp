// docs/FORMATS.md §6.6: tombstone files v1 (text), v2 (raw records), v3 (gzip), v4 (gzip members);
// gzip is read and written by the one gzip owner (archive/gzip.hpp).
#include "ifx/format/tsm/tombstone.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "ifx/format/archive/gzip.hpp"
#include "tsm/tsm_file_io.hpp"

namespace ifx::tsm {

namespace {

constexpr std::uint32_t kHeaderV2 = 0x1502;
constexpr std::uint32_t kHeaderV3 = 0x1503;
constexpr std::uint32_t kHeaderV4 = 0x1504;
constexpr std::size_t kHeaderSize = 4;
constexpr std::size_t kChunk = 64 * 1024;
// Go's bufio.Scanner refuses longer v1 lines; keys are ≤ 65535 bytes anyway (docs/FORMATS.md §6.3).
constexpr std::size_t kMaxV1Line = 64 * 1024;
constexpr std::int64_t kMinTime = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMaxTime = std::numeric_limits<std::int64_t>::max();

using RecordCallback = std::function<Result<void>(const Tombstone&)>;

std::unexpected<Error> invalid(std::string message, std::uint64_t offset) {
  return fail(ErrorCode::tombstone_invalid, std::move(message), offset);
}

// v1: one key per line, each a whole-key delete; empty lines ignored, a trailing '\r' dropped
// (as Go's line scanner does).
Result<void> read_v1(int fd, std::uint64_t size, const RecordCallback& on_record) {
  detail::BufferedRange in(fd, 0, size, kChunk);
  Tombstone t{{}, kMinTime, kMaxTime};
  std::uint64_t line_start = 0;
  std::uint8_t byte = 0;
  auto emit = [&]() -> Result<void> {
    if (!t.key.empty() && t.key.back() == '\r') t.key.pop_back();
    if (t.key.empty()) return {};
    return on_record(t);
  };
  while (in.remaining() > 0) {
    if (auto r = in.read(std::span(&byte, 1)); !r) return r;
    if (byte == '\n') {
      if (auto r = emit(); !r) return r;
      t.key.clear();
      line_start = in.position();
      continue;
    }
    if (t.key.size() >= kMaxV1Line) {
      return invalid(fmt::format("v1 tombstone line at offset {} is longer than {} bytes", line_start, kMaxV1Line),
                     line_start);
    }
    t.key.push_back(static_cast<char>(byte));
  }
  return emit();
}

// v2: records until EOF. Each length is checked against the bytes left before it is used.
Result<void> read_v2(int fd, std::uint64_t size, const RecordCallback& on_record) {
  detail::BufferedRange in(fd, kHeaderSize, size, kChunk);
  Tombstone t;
  std::uint8_t raw[8];
  while (in.remaining() > 0) {
    const std::uint64_t record_offset = in.position();
    if (in.remaining() < 4) {
      return invalid(fmt::format("tombstone record at offset {} is truncated: {} bytes left, a record needs at "
                                 "least 20",
                                 record_offset, in.remaining()),
                     record_offset);
    }
    if (auto r = in.read(std::span(raw, 4)); !r) return r;
    const std::uint32_t key_len = detail::load_u32_be(raw);
    if (in.remaining() < std::uint64_t{key_len} + 16) {
      return invalid(fmt::format("tombstone record at offset {} declares a {}-byte key but only {} bytes follow "
                                 "(key + 16 bytes of time range expected)",
                                 record_offset, key_len, in.remaining()),
                     record_offset);
    }
    if (auto r = in.read(t.key, key_len); !r) return r;
    if (auto r = in.read(std::span(raw, 8)); !r) return r;
    t.min = static_cast<std::int64_t>(detail::load_u64_be(raw));
    if (auto r = in.read(std::span(raw, 8)); !r) return r;
    t.max = static_cast<std::int64_t>(detail::load_u64_be(raw));
    if (auto r = on_record(t); !r) return r;
  }
  return {};
}

// Splits the decompressed bytes of one gzip member into records; holds only an incomplete
// record between feeds, so memory follows the data actually present, not a declared length.
class MemberRecordParser {
 public:
  explicit MemberRecordParser(const RecordCallback& on_record) : on_record_(on_record) {}

  void start_member(std::uint64_t member_offset) {
    member_offset_ = member_offset;
    pending_.clear();
    consumed_ = 0;
  }

  Result<void> feed(const std::uint8_t* data, std::size_t n) {
    pending_.insert(pending_.end(), data, data + n);
    std::size_t pos = 0;
    while (pending_.size() - pos >= 4) {
      const std::uint32_t key_len = detail::load_u32_be(pending_.data() + pos);
      const std::uint64_t need = 4 + std::uint64_t{key_len} + 16;
      if (pending_.size() - pos < need) break;
      const std::uint8_t* p = pending_.data() + pos + 4;
      record_.key.assign(reinterpret_cast<const char*>(p), key_len);
      record_.min = static_cast<std::int64_t>(detail::load_u64_be(p + key_len));
      record_.max = static_cast<std::int64_t>(detail::load_u64_be(p + key_len + 8));
      if (auto r = on_record_(record_); !r) return r;
      pos += need;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pos));
    consumed_ += pos;
    return {};
  }

  Result<void> end_member() {
    if (pending_.empty()) return {};
    return invalid(fmt::format("gzip member at offset {} ends inside a tombstone record: {} bytes left at "
                               "decompressed offset {}, a record needs at least 20",
                               member_offset_, pending_.size(), consumed_),
                   member_offset_);
  }

 private:
  const RecordCallback& on_record_;
  std::vector<std::uint8_t> pending_;
  std::uint64_t member_offset_ = 0;
  std::uint64_t consumed_ = 0;
  Tombstone record_;
};

// A gzip error of the member at `member_offset`, as a tombstone error there: the member is the
// unit influxd appends (one per delete batch), the gzip message says where inside it.
std::unexpected<Error> member_damaged(const Error& e, std::uint64_t member_offset) {
  if (e.code == ErrorCode::io) return std::unexpected(e);
  return invalid(fmt::format("gzip member at offset {} is {}: {}", member_offset,
                             e.code == ErrorCode::gzip_truncated ? "truncated" : "damaged", e.message),
                 member_offset);
}

// v3 (one member) and v4 (members appended by each delete): member after member, each holding
// whole records.
Result<void> read_gzip_members(int fd, TombstoneVersion version, const RecordCallback& on_record) {
  if (::lseek(fd, kHeaderSize, SEEK_SET) < 0) {
    return fail(ErrorCode::io, fmt::format("cannot seek past the tombstone header: {}", std::strerror(errno)));
  }
  GzipReader reader(fd, kHeaderSize);
  std::vector<std::uint8_t> out(kChunk);
  MemberRecordParser parser(on_record);
  std::uint64_t members = 0;
  for (;;) {
    const std::uint64_t member_offset = reader.offset();
    auto more = reader.next_member();
    if (!more) return member_damaged(more.error(), member_offset);
    if (!*more) break;
    ++members;
    parser.start_member(member_offset);
    for (;;) {
      auto n = reader.read(out);
      if (!n) return member_damaged(n.error(), member_offset);
      if (*n == 0) break;
      if (auto r = parser.feed(out.data(), *n); !r) return r;
    }
    if (auto r = parser.end_member(); !r) return r;
  }
  if (version == TombstoneVersion::V3 && members == 0) {
    return invalid("v3 tombstone file has its 4-byte header but no gzip member", kHeaderSize);
  }
  return {};
}

// Appends `records` to `file` as one gzip member (Go's gzip writer header: MTIME 0, OS 255,
// docs/FORMATS.md §6.6): v4 readers, influxd's included, read a batch per member.
Result<void> append_member(std::span<const std::uint8_t> records, std::vector<std::uint8_t>& file) {
  GzipWriterOptions o;
  o.member_bytes = std::numeric_limits<std::size_t>::max();
  auto writer = GzipWriter::create(
      [&file](std::span<const std::uint8_t> member) -> Result<void> {
        file.insert(file.end(), member.begin(), member.end());
        return {};
      },
      o);
  if (!writer) return std::unexpected(writer.error());
  if (auto r = writer->write(records); !r) return r;
  return writer->finish();
}

}  // namespace

TombstoneVersion detect_tombstone_version(std::span<const std::uint8_t> first_bytes) {
  if (first_bytes.size() < kHeaderSize) return TombstoneVersion::V1;
  switch (detail::load_u32_be(first_bytes.data())) {
    case kHeaderV2:
      return TombstoneVersion::V2;
    case kHeaderV3:
      return TombstoneVersion::V3;
    case kHeaderV4:
      return TombstoneVersion::V4;
    default:
      return TombstoneVersion::V1;
  }
}

Result<TombstoneVersion> for_each_tombstone(const std::filesystem::path& path, const RecordCallback& on_record) {
  auto file = detail::open_for_reading(path);
  if (!file) return std::unexpected(std::move(file.error()).in_file(path.string()));
  const int fd = file->handle.get();
  std::uint8_t header[kHeaderSize] = {};
  const std::size_t header_len = static_cast<std::size_t>(std::min<std::uint64_t>(file->size, kHeaderSize));
  if (auto r = detail::pread_exact(fd, 0, std::span(header, header_len)); !r) {
    return std::unexpected(std::move(r.error()).in_file(path.string()));
  }
  const TombstoneVersion version = detect_tombstone_version(std::span(header, header_len));
  Result<void> r;
  switch (version) {
    case TombstoneVersion::V1:
      r = read_v1(fd, file->size, on_record);
      break;
    case TombstoneVersion::V2:
      r = read_v2(fd, file->size, on_record);
      break;
    case TombstoneVersion::V3:
    case TombstoneVersion::V4:
      r = read_gzip_members(fd, version, on_record);
      break;
  }
  if (!r) return std::unexpected(std::move(r.error()).in_file(path.string()));
  return version;
}

Result<std::vector<Tombstone>> read_tombstones(const std::filesystem::path& path) {
  std::vector<Tombstone> records;
  auto r = for_each_tombstone(path, [&](const Tombstone& t) -> Result<void> {
    records.push_back(t);
    return {};
  });
  if (!r) return std::unexpected(r.error());
  return records;
}

void append_tombstone_records(std::span<const Tombstone> records, std::vector<std::uint8_t>& out) {
  for (const Tombstone& t : records) {
    detail::append_u32_be(out, static_cast<std::uint32_t>(t.key.size()));
    out.insert(out.end(), t.key.begin(), t.key.end());
    detail::append_u64_be(out, static_cast<std::uint64_t>(t.min));
    detail::append_u64_be(out, static_cast<std::uint64_t>(t.max));
  }
}

Result<void> write_tombstones(const std::filesystem::path& path, TombstoneVersion version,
                              std::span<const std::vector<Tombstone>> batches) {
  auto in_file = [&](Error e) { return std::unexpected(std::move(e).in_file(path.string())); };
  std::vector<std::uint8_t> bytes;
  if (version == TombstoneVersion::V1) {
    const Tombstone* first = nullptr;
    for (const auto& batch : batches) {
      for (const Tombstone& t : batch) {
        if (!first) first = &t;
        if (t.min != kMinTime || t.max != kMaxTime || t.key.empty() || t.key.find('\n') != std::string::npos) {
          return in_file(fail(ErrorCode::invalid_argument,
                              fmt::format("a v1 tombstone holds only whole-key deletes of single-line keys; "
                                          "\"{}\" [{}, {}] cannot be written",
                                          t.key, t.min, t.max))
                             .error());
        }
        bytes.insert(bytes.end(), t.key.begin(), t.key.end());
        bytes.push_back('\n');
      }
    }
    // v1 has no header: a file whose first 4 bytes are a v2–v4 header would read back as that
    // version (docs/FORMATS.md §6.6), so such a first key cannot be written as v1 (found by fuzzing:
    // key "\0\0\x15\x04" came back as a v4 file).
    if (detect_tombstone_version(bytes) != TombstoneVersion::V1) {
      return in_file(fail(ErrorCode::invalid_argument,
                          fmt::format("a v1 tombstone file cannot start with the bytes of a v2-v4 header, so "
                                      "\"{}\" cannot be its first key; write v4 instead",
                                      first->key))
                         .error());
    }
  } else {
    detail::append_u32_be(bytes, version == TombstoneVersion::V2   ? kHeaderV2
                                 : version == TombstoneVersion::V3 ? kHeaderV3
                                                                   : kHeaderV4);
    std::vector<std::uint8_t> records;
    for (const auto& batch : batches) {
      append_tombstone_records(batch, records);
      if (version == TombstoneVersion::V4 && !records.empty()) {
        if (auto r = append_member(records, bytes); !r) return in_file(r.error());
        records.clear();
      }
    }
    if (version == TombstoneVersion::V2) bytes.insert(bytes.end(), records.begin(), records.end());
    if (version == TombstoneVersion::V3) {
      if (auto r = append_member(records, bytes); !r) return in_file(r.error());
    }
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return in_file(
        fail(ErrorCode::io, fmt::format("cannot create {}: {}", path.string(), std::strerror(errno))).error());
  }
  detail::FileHandle file(fd);
  if (auto r = detail::write_all(fd, bytes); !r) return in_file(r.error());
  if (::close(file.release()) != 0) {
    return in_file(
        fail(ErrorCode::io, fmt::format("close of {} failed: {}", path.string(), std::strerror(errno))).error());
  }
  return {};
}

Result<void> write_tombstones_v4(const std::filesystem::path& path, std::span<const Tombstone> records) {
  std::vector<std::vector<Tombstone>> batches{std::vector<Tombstone>(records.begin(), records.end())};
  return write_tombstones(path, TombstoneVersion::V4, batches);
}

}  // namespace ifx::tsm
