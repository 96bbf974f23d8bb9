#include "ifx/format/backup/backup_scope.hpp"

namespace ifx {
namespace {

using ojson = nlohmann::ordered_json;

template <class T>
std::optional<T> field(const ojson& object, const char* key) {
  auto v = object.find(key);
  if (v == object.end()) return std::nullopt;
  if constexpr (std::is_same_v<T, std::string>) {
    if (v->is_string()) return v->get<std::string>();
  } else if constexpr (std::is_unsigned_v<T>) {
    if (v->is_number_unsigned()) return v->get<T>();
  } else {
    if (v->is_number_integer()) return v->get<T>();
  }
  return std::nullopt;
}

}  // namespace

bool BackupScope::covers(std::string_view db, std::string_view rp, std::uint64_t shard_id) const {
  return (!database || *database == db) && (!retention_policy || *retention_policy == rp) &&
         (!shard || *shard == shard_id);
}

ojson scope_to_json(const BackupScope& s) {
  auto opt = [](const auto& v) -> ojson {
    if (v) return *v;
    return nullptr;
  };
  return {{"database", opt(s.database)}, {"retention_policy", opt(s.retention_policy)},
          {"shard", opt(s.shard)},       {"start", opt(s.start_ns)},
          {"end", opt(s.end_ns)},        {"since", opt(s.since_ns)}};
}

std::optional<RecordedScope> recorded_scope(const std::vector<std::string>& manifest_files,
                                            const std::vector<PortableManifest>& manifests) {
  for (std::size_t i = manifests.size(); i-- > 0;) {
    const PortableManifest& m = manifests[i];
    RecordedScope r{i < manifest_files.size() ? manifest_files[i] : std::string(), {}};
    if (auto it = m.extra.find("scope"); it != m.extra.end() && it->is_object()) {
      r.scope.database = field<std::string>(*it, "database");
      r.scope.retention_policy = field<std::string>(*it, "retention_policy");
      r.scope.shard = field<std::uint64_t>(*it, "shard");
      r.scope.start_ns = field<std::int64_t>(*it, "start");
      r.scope.end_ns = field<std::int64_t>(*it, "end");
      r.scope.since_ns = field<std::int64_t>(*it, "since");
      return r;
    }
    if (m.limited) {  // Enterprise: "" / 0 mean absent (Go's omitempty)
      if (!m.database.empty()) r.scope.database = m.database;
      if (!m.policy.empty()) r.scope.retention_policy = m.policy;
      if (m.shard_id != 0) r.scope.shard = m.shard_id;
      return r;
    }
  }
  return std::nullopt;
}

}  // namespace ifx
