// meta.Data protobuf (docs/FORMATS.md §5): decode arbitrary blobs; a decoded store must encode to a
// blob that decodes to the same store, and encoding is then a fixed point (§5.1: gogo's order).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "ifx/format/meta/meta_store.hpp"

using namespace ifx;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto decoded = meta::decode_meta_data(std::span<const std::uint8_t>(data, size));
  if (!decoded) {
    fuzz::check_error(decoded.error(), {"meta-invalid"}, size);
    return 0;
  }
  const std::string encoded = meta::encode_meta_data(*decoded);
  auto again = meta::decode_meta_data(encoded);
  fuzz::check(again.has_value(), "encode_meta_data output does not decode",
              again ? std::string() : again.error().message);
  fuzz::check(meta::encode_meta_data(*again) == encoded, "encode(decode(encode(m))) != encode(m)");

  // The lookups walk the same tree; every shard they find must be the one asked for.
  for (const auto& db : decoded->databases) {
    fuzz::check(meta::find_database(*decoded, db.name) != nullptr, "find_database misses a database");
    for (const auto& rp : db.retention_policies) {
      fuzz::check(meta::find_retention_policy(db, rp.name) != nullptr, "find_retention_policy misses an RP");
      for (const auto& group : rp.shard_groups) {
        for (const auto& shard : group.shards) {
          auto where = meta::find_shard(*decoded, shard.id);
          fuzz::check(where && where->shard && where->shard->id == shard.id, "find_shard misses a shard");
        }
      }
    }
  }
  for (const auto& user : decoded->users) {
    for (const auto& p : user.privileges) fuzz::check(!meta::privilege_name(p.privilege).empty(), "privilege_name");
  }
  return 0;
}
