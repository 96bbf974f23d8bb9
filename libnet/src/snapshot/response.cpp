#include "ifx/net/snapshot/response.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <charconv>

namespace ifx::net {

namespace {

std::uint64_t read_u64_be(std::span<const std::uint8_t> b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | b[at + i];
  return v;
}

}  // namespace

Result<meta::LegacyMeta> parse_meta_backup_response(std::span<const std::uint8_t> bytes) {
  // An empty span may carry a null pointer, which libformat's reader hands to memcpy (UB even
  // for 0 bytes); give it a real, empty one.
  static constexpr std::uint8_t kNone[1] = {0};
  if (bytes.empty()) bytes = std::span<const std::uint8_t>(kNone, 0);
  return meta::parse_legacy_meta(bytes);
}

std::string ShardPath::text() const { return fmt::format("{}/{}/{}", database, retention_policy, shard_id); }

Result<ShardPath> parse_shard_path(std::string_view path) {
  // §1.6.2: the server joins with its OS separator; OSS servers run on Unix, so '/'.
  auto bad = [&](std::string_view why) {
    return fail(ErrorCode::net_protocol, fmt::format("shard path \"{}\" from the server is not <database>/<retention "
                                                     "policy>/<shard id>: {}",
                                                     path, why));
  };
  const auto first = path.find('/');
  if (first == std::string_view::npos) return bad("it has no '/'");
  const auto second = path.find('/', first + 1);
  if (second == std::string_view::npos) return bad("it has only two parts");
  if (path.find('/', second + 1) != std::string_view::npos) return bad("it has more than three parts");
  ShardPath out;
  out.database = std::string(path.substr(0, first));
  out.retention_policy = std::string(path.substr(first + 1, second - first - 1));
  const std::string_view id = path.substr(second + 1);
  if (out.database.empty() || out.retention_policy.empty() || id.empty()) return bad("a part is empty");
  for (char c : id)
    if (c < '0' || c > '9') return bad("the shard id is not a decimal number");
  auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), out.shard_id);
  if (ec != std::errc() || p != id.data() + id.size()) return bad("the shard id does not fit in 64 bits");
  return out;
}

Result<std::vector<ShardPath>> parse_info_response(std::string_view bytes) {
  nlohmann::json doc = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  auto shown = [&] {
    std::string s(bytes.substr(0, 80));
    return bytes.size() > 80 ? s + "…" : s;
  };
  if (doc.is_discarded())
    return fail(ErrorCode::net_protocol,
                fmt::format("the shard list from the server is not JSON (got \"{}\"); expected "
                            "{{\"Paths\":[...]}}",
                            shown()));
  if (!doc.is_object() || !doc.contains("Paths"))
    return fail(ErrorCode::net_protocol,
                fmt::format("the shard list from the server has no \"Paths\" key (got \"{}\")", shown()));
  std::vector<ShardPath> out;
  const auto& paths = doc["Paths"];
  if (paths.is_null()) return out;  // a database without local shards (§1.6.2)
  if (!paths.is_array())
    return fail(ErrorCode::net_protocol, "the shard list's \"Paths\" is neither an array nor null");
  for (const auto& p : paths) {
    if (!p.is_string())
      return fail(ErrorCode::net_protocol, "the shard list's \"Paths\" holds a value that is not a string");
    auto sp = parse_shard_path(p.get<std::string>());
    if (!sp) return std::unexpected(sp.error());
    out.push_back(std::move(*sp));
  }
  return out;
}

Result<ShardIdMap> parse_meta_update_response(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 16)
    return fail(ErrorCode::net_protocol,
                fmt::format("the meta import answer is {} bytes long; expected at least 16 "
                            "(magic and pair count)",
                            bytes.size()),
                bytes.size());
  const std::uint64_t magic = read_u64_be(bytes, 0);
  if (magic != kMetaUpdateMagic)
    return fail(ErrorCode::net_protocol,
                fmt::format("the meta import answer starts with 0x{:016x}; expected the magic "
                            "0x{:016x}",
                            magic, kMetaUpdateMagic),
                0);
  const std::uint64_t pairs = read_u64_be(bytes, 8);
  const std::uint64_t body = bytes.size() - 16;
  if (pairs > body / 16 || body != pairs * 16)
    return fail(ErrorCode::net_protocol,
                fmt::format("the meta import answer announces {} shard id pairs (16 bytes "
                            "each) but carries {} bytes after its 16-byte header",
                            pairs, body),
                8);
  if (pairs == 0)
    return fail(ErrorCode::meta_not_changed,
                "DB metadata not changed. database may already exist: the server imported "
                "nothing. Likely causes: the target database already exists on the server "
                "(restore into a new name, or drop it first), the database or retention "
                "policy to restore is not in the backup's metadata, or the server could not "
                "decode the metadata (see the server log, service=snapshot)");
  ShardIdMap out;
  for (std::uint64_t i = 0; i < pairs; ++i) {
    const std::size_t at = 16 + i * 16;
    const std::uint64_t from = read_u64_be(bytes, at);
    const std::uint64_t to = read_u64_be(bytes, at + 8);
    if (!out.emplace(from, to).second)
      return fail(ErrorCode::net_protocol, fmt::format("the meta import answer maps old shard {} twice", from), at);
  }
  return out;
}

}  // namespace ifx::net
