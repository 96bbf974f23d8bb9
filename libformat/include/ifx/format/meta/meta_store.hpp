// The InfluxDB 1.x meta store (`meta.Data`, docs/FORMATS.md §5) as plain C++ values, and its
// protobuf encoding. This header deliberately knows nothing of protobuf: the generated code is
// an implementation detail of meta_data.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ifx/format/error.hpp"

namespace ifx::meta {

// docs/FORMATS.md §5.2 UserPrivilege.Privilege (int32 on the wire). Values outside 0..3 are kept as
// they are (cast), so an unknown grant survives decode→encode.
enum class Privilege : std::int32_t { None = 0, Read = 1, Write = 2, All = 3 };

struct SubscriptionInfo {
  std::string name;
  std::string mode;                       // "ALL" or "ANY"
  std::vector<std::string> destinations;  // e.g. "udp://h:p"
};

struct ShardInfo {
  std::uint64_t id = 0;
  // Owner node IDs. Read from `Owners` (field 3) or, when present, the deprecated `OwnerIDs`
  // (field 2) which takes precedence as in Go; always written back as `Owners`.
  std::vector<std::uint64_t> owners;
};

struct ShardGroupInfo {
  std::uint64_t id = 0;
  std::int64_t start_ns = 0;         // inclusive
  std::int64_t end_ns = 0;           // exclusive
  std::int64_t deleted_at_ns = 0;    // 0 = live
  std::int64_t truncated_at_ns = 0;  // 0 = not truncated (field 6 absent)
  std::vector<ShardInfo> shards;

  bool deleted() const { return deleted_at_ns != 0; }
};

struct RetentionPolicyInfo {
  std::string name;
  std::int64_t duration_ns = 0;  // 0 = infinite
  std::int64_t shard_group_duration_ns = 0;
  std::uint32_t replica_n = 0;
  std::vector<ShardGroupInfo> shard_groups;
  std::vector<SubscriptionInfo> subscriptions;
};

struct ContinuousQueryInfo {
  std::string name;
  std::string query;  // the full CREATE CONTINUOUS QUERY text
};

struct DatabaseInfo {
  std::string name;
  std::string default_retention_policy;  // "" when none
  std::vector<RetentionPolicyInfo> retention_policies;
  std::vector<ContinuousQueryInfo> continuous_queries;
};

struct UserPrivilege {
  std::string database;
  Privilege privilege = Privilege::None;
};

struct UserInfo {
  std::string name;
  std::string hash;  // bcrypt
  bool admin = false;
  std::vector<UserPrivilege> privileges;
};

// meta.Data. Nodes, DataNodes and MetaNodes (fields 4, 10, 11) are never written by OSS and
// ignored on read (§5.2), so they are not modelled: decode drops them, encode never writes them.
struct MetaData {
  std::uint64_t term = 0;
  std::uint64_t index = 0;
  std::uint64_t cluster_id = 0;
  std::uint64_t max_node_id = 0;  // OSS writes 0 and ignores it
  std::uint64_t max_shard_group_id = 0;
  std::uint64_t max_shard_id = 0;
  std::vector<DatabaseInfo> databases;
  std::vector<UserInfo> users;
};

// Decodes a meta.Data protobuf blob (docs/FORMATS.md §5.1). Unknown fields are skipped. Like Go's
// gogo/protobuf decoder, a missing required field is an error ("meta-invalid", naming the field,
// e.g. "Databases[1].RetentionPolicies[0].Name"); so is a truncated or malformed blob (with the
// byte offset of the damage when it can be located). A known field with the wrong wire type is
// treated as an unknown field, as protobuf (C++ and Go) does, which usually surfaces as a
// missing required field.
Result<MetaData> decode_meta_data(std::span<const std::uint8_t> blob);
Result<MetaData> decode_meta_data(std::string_view blob);

// Encodes as gogo does (§5.1): fields in number order, required scalars always, TruncatedAt
// only when non-zero, repeated fields only when non-empty. Decoding a blob written by that rule
// and encoding it again gives the same bytes.
std::string encode_meta_data(const MetaData& data);

// Lookups. Pointers stay valid while `data` is not modified; nullptr when absent.
const DatabaseInfo* find_database(const MetaData& data, std::string_view name);
const RetentionPolicyInfo* find_retention_policy(const DatabaseInfo& db, std::string_view name);
const RetentionPolicyInfo* find_retention_policy(const MetaData& data, std::string_view db, std::string_view rp);

struct ShardLocation {
  const DatabaseInfo* database = nullptr;
  const RetentionPolicyInfo* retention_policy = nullptr;
  const ShardGroupInfo* shard_group = nullptr;
  const ShardInfo* shard = nullptr;
};
// The (database, retention policy, shard group) holding shard `shard_id`, searching deleted
// groups too (they still own their shard IDs, §5.3).
std::optional<ShardLocation> find_shard(const MetaData& data, std::uint64_t shard_id);

// "NO PRIVILEGES", "READ", "WRITE", "ALL"; "UNKNOWN(7)" for values outside the enum.
std::string privilege_name(Privilege p);

}  // namespace ifx::meta
