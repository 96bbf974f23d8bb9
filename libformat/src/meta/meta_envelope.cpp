// Legacy meta.NN envelope (docs/FORMATS.md §2.3 / §1.6.1) and portable .meta wrapper (§3.2).
#include "ifx/format/meta/meta_envelope.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

namespace ifx::meta {
namespace {

std::uint64_t load_u64_be(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

void append_u64_be(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

void append_uvarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

std::string hex_bytes(const std::uint8_t* p, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += fmt::format("{}{:02x}", i ? " " : "", p[i]);
  return s;
}

// Byte sources for the one envelope check below: memory, or a file read piece by piece.
class MemorySource {
 public:
  explicit MemorySource(std::span<const std::uint8_t> b) : bytes_(b) {}
  std::uint64_t size() const { return bytes_.size(); }
  Result<void> read(std::uint64_t offset, std::size_t n, void* dst) {
    if (n) std::memcpy(dst, bytes_.data() + offset, n);  // data() may be null for an empty span
    return {};
  }

 private:
  std::span<const std::uint8_t> bytes_;
};

class FileSource {
 public:
  FileSource(std::ifstream& in, std::uint64_t size) : in_(in), size_(size) {}
  std::uint64_t size() const { return size_; }
  Result<void> read(std::uint64_t offset, std::size_t n, void* dst) {
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
    if (!in_ || static_cast<std::size_t>(in_.gcount()) != n) {
      return fail(ErrorCode::io, fmt::format("cannot read {} bytes at offset {}: {}", n, offset, std::strerror(errno)),
                  offset);
    }
    return {};
  }

 private:
  std::ifstream& in_;
  std::uint64_t size_;
};

// docs/FORMATS.md §2.3: magic, M, blob, N, node JSON, and nothing after it.
template <class Source>
Result<LegacyMeta> parse_envelope(Source& src) {
  const std::uint64_t size = src.size();
  std::uint8_t head[16];
  const std::size_t head_n = static_cast<std::size_t>(std::min<std::uint64_t>(size, 16));
  if (auto r = src.read(0, head_n, head); !r) return std::unexpected(r.error());

  const std::size_t magic_n = std::min<std::size_t>(head_n, 8);
  if (std::memcmp(head, kLegacyMetaMagic, magic_n) != 0) {
    return fail(ErrorCode::meta_invalid,
                fmt::format("not a legacy meta file: expected magic 00 00 00 00 59 59 01 01, "
                            "found {}",
                            hex_bytes(head, magic_n)),
                0);
  }
  if (size < 16) {
    return fail(ErrorCode::meta_invalid,
                fmt::format("legacy meta file is truncated: {} bytes, expected at least 24 "
                            "(magic, blob length, node JSON length)",
                            size),
                size < 8 ? 0 : 8);
  }
  const std::uint64_t m = load_u64_be(head + 8);
  if (m > size - 16) {
    return fail(ErrorCode::meta_invalid,
                fmt::format("meta blob length at offset 8 is {} bytes but only {} bytes follow "
                            "the header (file size {})",
                            m, size - 16, size),
                8);
  }
  const std::uint64_t n_at = 16 + m;
  if (size - n_at < 8) {
    return fail(ErrorCode::meta_invalid,
                fmt::format("legacy meta file ends {} bytes after the {}-byte meta blob; expected "
                            "an 8-byte node JSON length at offset {}",
                            size - n_at, m, n_at),
                n_at);
  }
  std::uint8_t n_bytes[8];
  if (auto r = src.read(n_at, 8, n_bytes); !r) return std::unexpected(r.error());
  const std::uint64_t n = load_u64_be(n_bytes);
  const std::uint64_t json_at = n_at + 8;
  const std::uint64_t left = size - json_at;
  if (n != left) {
    return fail(ErrorCode::meta_invalid,
                fmt::format("node JSON length at offset {} is {} bytes but {} bytes follow it "
                            "(16 + M + 8 + N must equal the file size {})",
                            n_at, n, left, size),
                n_at);
  }
  if (n > kMaxNodeJsonBytes) {
    return fail(ErrorCode::meta_invalid,
                fmt::format("node JSON at offset {} is {} bytes, more than the {}-byte limit "
                            "for a node object",
                            json_at, n, kMaxNodeJsonBytes),
                n_at);
  }

  LegacyMeta out;
  out.blob.resize(static_cast<std::size_t>(m));
  if (auto r = src.read(16, out.blob.size(), out.blob.data()); !r) {
    return std::unexpected(r.error());
  }
  out.node_json.resize(static_cast<std::size_t>(n));
  if (auto r = src.read(json_at, out.node_json.size(), out.node_json.data()); !r) {
    return std::unexpected(r.error());
  }
  // OSS writes "null\n"; other producers {"ID":n}\n (§1.6.1). Anything else is damage.
  const auto node = nlohmann::json::parse(out.node_json, nullptr, /*allow_exceptions=*/false);
  if (node.is_discarded() || !(node.is_null() || node.is_object())) {
    const std::string shown = out.node_json.size() > 40 ? out.node_json.substr(0, 40) + "…" : out.node_json;
    return fail(ErrorCode::meta_invalid,
                fmt::format("node JSON at offset {} must be `null` or a JSON object, found {:?}", json_at, shown),
                json_at);
  }
  return out;
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

Result<LegacyMeta> parse_legacy_meta(std::span<const std::uint8_t> bytes) {
  MemorySource src(bytes);
  return parse_envelope(src);
}

Result<LegacyMeta> parse_legacy_meta(std::string_view bytes) { return parse_legacy_meta(as_bytes(bytes)); }

Result<LegacyMeta> read_legacy_meta_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    return std::unexpected(Error{ErrorCode::io, fmt::format("cannot read meta file: {}", ec.message()), path.string()});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(
        Error{ErrorCode::io, fmt::format("cannot open meta file: {}", std::strerror(errno)), path.string()});
  }
  FileSource src(in, size);
  auto r = parse_envelope(src);
  if (!r) return std::unexpected(std::move(r.error()).in_file(path.string()));
  return r;
}

std::string write_legacy_meta(std::string_view blob, std::string_view node_json) {
  std::string out;
  out.reserve(24 + blob.size() + node_json.size());
  out.append(reinterpret_cast<const char*>(kLegacyMetaMagic), 8);
  append_u64_be(out, blob.size());
  out.append(blob);
  append_u64_be(out, node_json.size());
  out.append(node_json);
  return out;
}

// docs/FORMATS.md §3.2. Parsed by hand (two fields) so each defect gets its offset.
Result<std::string> parse_portable_meta(std::span<const std::uint8_t> bytes) {
  const std::size_t end = bytes.size();
  std::size_t pos = 0;
  auto varint = [&](const char* what) -> Result<std::uint64_t> {
    const std::size_t start = pos;
    std::uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
      if (pos >= end) {
        return fail(ErrorCode::meta_invalid,
                    fmt::format("portable meta file is truncated inside the {} at offset {}", what, start), start);
      }
      const std::uint8_t b = bytes[pos++];
      if (shift < 64) v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return fail(ErrorCode::meta_invalid,
                fmt::format("portable meta file: {} at offset {} is longer than 10 bytes", what, start), start);
  };

  std::optional<std::string> data;
  while (pos < end) {
    const std::size_t tag_at = pos;
    auto tag = varint("field tag");
    if (!tag) return std::unexpected(tag.error());
    const std::uint64_t field = *tag >> 3;
    const unsigned wt = static_cast<unsigned>(*tag & 7);
    if (field == 0) {
      return fail(ErrorCode::meta_invalid,
                  fmt::format("portable meta file: field tag 0x{:x} at offset {} has field "
                              "number 0",
                              *tag, tag_at),
                  tag_at);
    }
    if (wt == 0) {
      if (auto v = varint("varint value"); !v) return std::unexpected(v.error());
      // Field 2 (MaxNodeID) or an unknown varint: nothing to keep.
    } else if (wt == 1 || wt == 5) {
      const std::size_t width = wt == 1 ? 8 : 4;
      if (end - pos < width) {
        return fail(ErrorCode::meta_invalid,
                    fmt::format("portable meta file: {}-byte value of field {} at offset {} is "
                                "truncated",
                                width, field, pos),
                    pos);
      }
      pos += width;
    } else if (wt == 2) {
      const std::size_t len_at = pos;
      auto len = varint("length");
      if (!len) return std::unexpected(len.error());
      if (*len > end - pos) {
        return fail(ErrorCode::meta_invalid,
                    fmt::format("portable meta file: field {} declares {} bytes at offset {} but "
                                "only {} remain",
                                field, *len, len_at, end - pos),
                    len_at);
      }
      if (field == 1) {  // Data; protobuf keeps the last occurrence
        data.emplace(reinterpret_cast<const char*>(bytes.data() + pos), static_cast<std::size_t>(*len));
      }
      pos += static_cast<std::size_t>(*len);
    } else {
      return fail(ErrorCode::meta_invalid,
                  fmt::format("portable meta file: field {} at offset {} has unsupported wire "
                              "type {}",
                              field, tag_at, wt),
                  tag_at);
    }
  }
  if (!data) {
    return fail(ErrorCode::meta_invalid,
                fmt::format("portable meta file of {} bytes has no Data field (tag 0a); expected "
                            "0a <length> <meta blob> 10 00",
                            end),
                0);
  }
  return std::move(*data);
}

Result<std::string> parse_portable_meta(std::string_view bytes) { return parse_portable_meta(as_bytes(bytes)); }

std::string encode_portable_meta(std::string_view blob, std::uint64_t max_node_id) {
  std::string out;
  out.reserve(blob.size() + 16);
  out.push_back('\x0a');
  append_uvarint(out, blob.size());
  out.append(blob);
  out.push_back('\x10');
  append_uvarint(out, max_node_id);
  return out;
}

}  // namespace ifx::meta
