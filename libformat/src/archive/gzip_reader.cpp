// The gzip reader (RFC 1952; docs/FORMATS.md §3.3, §6.6). The header and the trailer are parsed here
// so that every defect is reported with its offset and both values; the deflate data in between
// is inflated by ISA-L (igzip), which also keeps the CRC-32 of what it produced: about 3× the
// speed of zlib's inflate, which was a third of ifx-backup's read-back check.
#include "ifx/format/archive/gzip.hpp"

#include "archive/input_buffer.hpp"
#include "ifx/format/io/checksum.hpp"

#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include <fmt/format.h>

namespace ifx {
namespace {

constexpr std::uint8_t kFlagReserved = 0xe0;
constexpr std::size_t kMaxHeaderText = 64 * 1024;

const char* describe(int rc) {
  switch (rc) {
    case ISAL_INVALID_BLOCK:
      return "invalid block";
    case ISAL_INVALID_SYMBOL:
      return "invalid code";
    case ISAL_INVALID_LOOKBACK:
      return "distance too far back";
    default:
      return "inflate error";
  }
}

std::uint32_t load_le32(const std::uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | std::uint32_t(p[3]) << 24; }

}  // namespace

struct GzipReader::State {
  // before: a member header may come next; body: inflating; trailer: the deflate data ended;
  // member_end: the trailer was checked; end: the input ended after a whole member.
  enum class Phase { before, body, trailer, member_end, end };

  // The inflate state holds igzip's 64 KiB+ history window: on the heap, once per reader.
  explicit State(std::unique_ptr<archive::InputBuffer> input)
      : in(std::move(input)), inflater(std::make_unique_for_overwrite<inflate_state>()) {}

  std::unique_ptr<archive::InputBuffer> in;
  std::unique_ptr<inflate_state> inflater;
  std::vector<std::uint8_t> past_deflate;  // bytes igzip read beyond the deflate data
  std::size_t past_deflate_used = 0;
  Phase phase = Phase::before;
  std::optional<Error> error;  // the first error, returned by every later call
  GzipMemberHeader header;
  std::uint32_t header_crc = 0;  // running CRC-32 of the header bytes (for FHCRC)
  std::uint64_t members = 0;
  std::uint64_t member_size = 0;

  std::uint64_t offset() const { return in->offset() - (past_deflate.size() - past_deflate_used); }

  std::unexpected<Error> truncated(std::string_view where) {
    return fail(ErrorCode::gzip_truncated,
                fmt::format("the gzip stream ends at offset {} inside its {}; the file was cut "
                            "short (copy it again)",
                            offset(), where),
                offset());
  }

  // The next bytes of the input in one piece (empty at its end): first those igzip read past
  // the end of the last deflate data, then the buffer's.
  Result<std::span<const std::uint8_t>> peek() {
    if (past_deflate_used < past_deflate.size())
      return std::span<const std::uint8_t>(past_deflate).subspan(past_deflate_used);
    auto more = in->fill();
    if (!more) return std::unexpected(more.error());
    if (!*more) return std::span<const std::uint8_t>{};
    return std::span<const std::uint8_t>(in->data(), in->available());
  }
  void consume(std::size_t n) {
    if (past_deflate_used < past_deflate.size()) {
      past_deflate_used += n;
    } else {
      in->consume(n);
    }
  }

  // Exactly `out.size()` bytes; the input ending first is "gzip-truncated" inside `where`.
  Result<void> take(std::span<std::uint8_t> out, std::string_view where) {
    for (std::size_t got = 0; got < out.size();) {
      auto bytes = peek();
      if (!bytes) return std::unexpected(bytes.error());
      if (bytes->empty()) return truncated(where);
      const std::size_t n = std::min(bytes->size(), out.size() - got);
      std::memcpy(out.data() + got, bytes->data(), n);
      consume(n);
      got += n;
    }
    return {};
  }
  Result<void> take_header(std::span<std::uint8_t> out, std::string_view where) {
    if (auto r = take(out, where); !r) return r;
    header_crc = ifx::crc32(out, header_crc);
    return {};
  }

  // A zero-terminated header field (FNAME, FCOMMENT), of any length.
  Result<void> take_header_text(std::string& keep, std::string_view where) {
    while (true) {
      auto bytes = peek();
      if (!bytes) return std::unexpected(bytes.error());
      if (bytes->empty()) return truncated(where);
      const auto* zero = static_cast<const std::uint8_t*>(std::memchr(bytes->data(), 0, bytes->size()));
      const std::size_t text = zero ? static_cast<std::size_t>(zero - bytes->data()) : bytes->size();
      const std::size_t n = zero ? text + 1 : text;
      keep.append(reinterpret_cast<const char*>(bytes->data()),
                  std::min(text, kMaxHeaderText - std::min(kMaxHeaderText, keep.size())));
      header_crc = ifx::crc32(bytes->first(n), header_crc);
      consume(n);
      if (zero) return {};
    }
  }

  Result<bool> next_member() {
    const std::uint64_t start = offset();
    auto first = peek();
    if (!first) return std::unexpected(first.error());
    if (first->empty()) {
      phase = Phase::end;
      return false;
    }
    if (members > 0 && (*first)[0] != 0x1f) {
      return fail(ErrorCode::gzip_invalid,
                  fmt::format("unexpected bytes after the end of the gzip stream at offset {}", start), start);
    }
    header = GzipMemberHeader{};
    header.offset = start;
    header_crc = 0;
    std::uint8_t fixed[10];
    if (auto r = take_header(fixed, "header"); !r) return std::unexpected(r.error());
    if (fixed[0] != 0x1f || fixed[1] != 0x8b || fixed[2] != 8) {
      return fail(ErrorCode::gzip_invalid,
                  fmt::format("expected a gzip member header (1f 8b 08) at offset {}, found "
                              "{:02x} {:02x} {:02x}",
                              start, fixed[0], fixed[1], fixed[2]),
                  start);
    }
    header.flags = fixed[3];
    header.mtime = load_le32(fixed + 4);
    header.xfl = fixed[8];
    header.os = fixed[9];
    if (header.flags & kFlagReserved) {
      return fail(ErrorCode::gzip_invalid, fmt::format("gzip header flags 0x{:02x} set reserved bits", header.flags),
                  start + 3);
    }
    if (header.flags & GzipMemberHeader::kExtra) {
      std::uint8_t xlen[2];
      if (auto r = take_header(xlen, "header"); !r) return std::unexpected(r.error());
      header.extra.resize(xlen[0] | xlen[1] << 8);
      if (auto r = take_header(header.extra, "header"); !r) return std::unexpected(r.error());
    }
    if (header.flags & GzipMemberHeader::kName) {
      if (auto r = take_header_text(header.name, "header file name"); !r) return std::unexpected(r.error());
    }
    if (header.flags & GzipMemberHeader::kComment) {
      if (auto r = take_header_text(header.comment, "header comment"); !r) return std::unexpected(r.error());
    }
    if (header.flags & GzipMemberHeader::kHeaderCrc) {
      const auto computed = static_cast<std::uint16_t>(header_crc);
      std::uint8_t crc16[2];
      if (auto r = take(crc16, "header"); !r) return std::unexpected(r.error());
      const auto stored = static_cast<std::uint16_t>(crc16[0] | crc16[1] << 8);
      if (stored != computed) {
        return fail(ErrorCode::gzip_crc,
                    fmt::format("gzip header CRC-16 is 0x{:04x}, the header bytes give 0x{:04x}", stored, computed),
                    offset() - 2);
      }
    }
    isal_inflate_init(inflater.get());
    // Raw deflate with the gzip CRC-32 of the output kept in inflater->crc; the wrapper is ours.
    inflater->crc_flag = ISAL_GZIP_NO_HDR;
    member_size = 0;
    ++members;
    phase = Phase::body;
    return true;
  }

  // igzip reads whole bytes ahead into its bit buffer (and, rarely, its small input buffer); at
  // the end of the deflate data those bytes belong to the trailer and what follows. Keep them
  // to be read first, in stream order (the order igzip's own trailer check uses).
  void keep_bytes_past_deflate() {
    inflate_state& st = *inflater;
    past_deflate.assign(st.tmp_in_buffer, st.tmp_in_buffer + st.tmp_in_size);
    std::uint64_t bits = st.read_in >> (st.read_in_length % 8);  // the last deflate byte's rest
    for (int n = st.read_in_length / 8; n > 0; --n, bits >>= 8) past_deflate.push_back(static_cast<std::uint8_t>(bits));
    past_deflate_used = 0;
  }

  // Inflates into `out`; 0 when the member's deflate data ended (phase becomes trailer).
  Result<std::size_t> inflate_some(std::span<std::uint8_t> out) {
    inflate_state& st = *inflater;
    st.next_out = out.data();
    st.avail_out = static_cast<std::uint32_t>(out.size());
    while (st.avail_out > 0) {
      auto more = in->fill();
      if (!more) return std::unexpected(more.error());
      // At the end of the file igzip is still called: it may hold the last deflate bits (and
      // decoded bytes that did not fit `out` last time) with the whole file already read.
      st.next_in = const_cast<std::uint8_t*>(in->data());
      st.avail_in = *more ? static_cast<std::uint32_t>(in->available()) : 0;
      const std::uint32_t room_before = st.avail_out;
      const std::uint64_t at = in->offset();
      int rc = isal_inflate(&st);
      if (*more) in->consume(in->available() - st.avail_in);
      if (rc < 0) {
        return fail(ErrorCode::gzip_invalid,
                    fmt::format("the deflate data is damaged near file offset {} ({})", at, describe(rc)), at);
      }
      if (st.block_state == ISAL_BLOCK_FINISH) {
        keep_bytes_past_deflate();
        phase = Phase::trailer;
        break;
      }
      if (!*more && st.avail_out == room_before) {  // nothing left to read and nothing came out
        if (st.avail_out < out.size()) break;       // hand out what we have; the error comes next
        return truncated("deflate data");
      }
    }
    std::size_t produced = out.size() - st.avail_out;
    member_size += produced;
    return produced;
  }

  // docs/FORMATS.md §3.3: CRC-32 and ISIZE (size mod 2^32), both little-endian.
  Result<void> check_trailer() {
    const std::uint64_t at = offset();
    std::uint8_t t[8];
    if (auto r = take(t, "trailer (CRC-32 and size)"); !r) return r;
    const std::uint32_t stored_crc = load_le32(t), stored_size = load_le32(t + 4);
    if (stored_crc != inflater->crc) {
      return fail(ErrorCode::gzip_crc,
                  fmt::format("gzip trailer CRC-32 is 0x{:08x} but the decompressed data gives "
                              "0x{:08x}",
                              stored_crc, inflater->crc),
                  at);
    }
    if (stored_size != static_cast<std::uint32_t>(member_size)) {
      return fail(ErrorCode::gzip_crc,
                  fmt::format("gzip trailer size is {} but the decompressed data is {} bytes "
                              "(mod 2^32: {})",
                              stored_size, member_size, static_cast<std::uint32_t>(member_size)),
                  at + 4);
    }
    phase = Phase::member_end;
    return {};
  }

  Result<std::size_t> read(std::span<std::uint8_t> out) {
    if (phase == Phase::body && !out.empty()) {
      auto n = inflate_some(out);
      if (!n || *n > 0) return n;
    }
    if (phase == Phase::trailer) {
      if (auto r = check_trailer(); !r) return std::unexpected(r.error());
    }
    return std::size_t{0};
  }

  template <typename T>
  Result<T> remember(Result<T> r) {
    if (!r) error = r.error();
    return r;
  }
};

GzipReader::GzipReader(int fd, std::uint64_t start_offset)
    : GzipReader(std::make_unique<archive::InputBuffer>(fd, start_offset)) {}
GzipReader::GzipReader(std::unique_ptr<archive::InputBuffer> in) : state_(std::make_unique<State>(std::move(in))) {}
GzipReader::GzipReader(GzipReader&&) noexcept = default;
GzipReader& GzipReader::operator=(GzipReader&&) noexcept = default;
GzipReader::~GzipReader() = default;

Result<bool> GzipReader::next_member() {
  State& s = *state_;
  if (s.error) return std::unexpected(*s.error);
  switch (s.phase) {
    case State::Phase::end:
      return false;
    case State::Phase::body:
    case State::Phase::trailer:
      return fail(ErrorCode::invalid_argument,
                  fmt::format("the gzip member at offset {} was not read to its end", s.header.offset),
                  s.header.offset);
    case State::Phase::before:
    case State::Phase::member_end:
      break;
  }
  return s.remember(s.next_member());
}

const GzipMemberHeader& GzipReader::member() const { return state_->header; }

Result<std::size_t> GzipReader::read(std::span<std::uint8_t> out) {
  State& s = *state_;
  if (s.error) return std::unexpected(*s.error);
  return s.remember(s.read(out));
}

std::uint64_t GzipReader::offset() const { return state_->offset(); }

}  // namespace ifx
