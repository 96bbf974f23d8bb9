#include "ifx-diff/meta_compare.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "ifx/format/text/go_duration.hpp"

namespace ifx::diff {
namespace {

std::string duration_text(std::int64_t ns) { return ns ? text::format_go_duration(ns) : "infinite"; }

template <class T>
void note_change(std::vector<std::string>& out, std::string_view what, const T& was, const T& is) {
  if (was != is) out.push_back(fmt::format("{} {} → {}", what, was, is));
}

std::vector<std::string> settings_differences(const meta::RetentionPolicyInfo& a, const meta::RetentionPolicyInfo& b) {
  std::vector<std::string> out;
  note_change(out, "duration", duration_text(a.duration_ns), duration_text(b.duration_ns));
  note_change(out, "shard group duration", duration_text(a.shard_group_duration_ns),
              duration_text(b.shard_group_duration_ns));
  note_change(out, "replication", a.replica_n, b.replica_n);
  return out;
}

std::vector<std::string> settings_differences(const meta::DatabaseInfo& a, const meta::DatabaseInfo& b) {
  std::vector<std::string> out;
  note_change(out, "default retention policy", fmt::format("\"{}\"", a.default_retention_policy),
              fmt::format("\"{}\"", b.default_retention_policy));
  std::map<std::string, std::string> old_cqs;
  for (const auto& cq : a.continuous_queries) old_cqs[cq.name] = cq.query;
  for (const auto& cq : b.continuous_queries) {
    auto it = old_cqs.find(cq.name);
    if (it == old_cqs.end()) out.push_back(fmt::format("continuous query \"{}\" added", cq.name));
    else if (it->second != cq.query) out.push_back(fmt::format("continuous query \"{}\" changed", cq.name));
    if (it != old_cqs.end()) old_cqs.erase(it);
  }
  for (const auto& [name, query] : old_cqs) out.push_back(fmt::format("continuous query \"{}\" removed", name));
  return out;
}

// Changed when anything in `parts` was added, removed or changed; else unreadable when any part
// was; else unchanged.
Status status_of(const std::vector<std::string>& differences, const std::vector<Status>& parts) {
  if (!differences.empty()) return Status::changed;
  if (std::any_of(parts.begin(), parts.end(),
                  [](Status s) { return s != Status::unchanged && s != Status::unreadable; }))
    return Status::changed;
  if (std::any_of(parts.begin(), parts.end(), [](Status s) { return s == Status::unreadable; }))
    return Status::unreadable;
  return Status::unchanged;
}

class MetaComparison {
 public:
  MetaComparison(const Options& o, const std::vector<ShardDiff>& shards) : o_(o), shards_(shards) {
    for (const auto& s : shards) with_shard_.insert({s.database, s.retention_policy});
  }

  std::vector<DatabaseDiff> compare(const meta::MetaData& old_meta, const meta::MetaData& new_meta) const {
    std::set<std::string> names;
    for (const auto* m : {&old_meta, &new_meta})
      for (const auto& db : m->databases)
        if (selected(db.name)) names.insert(db.name);
    std::vector<DatabaseDiff> out;
    for (const auto& name : names)
      out.push_back(compare(name, meta::find_database(old_meta, name), meta::find_database(new_meta, name)));
    return out;
  }

 private:
  bool selected(const std::string& db) const {
    if (o_.database && *o_.database != db) return false;
    return !o_.shard || std::any_of(with_shard_.begin(), with_shard_.end(), [&](auto& k) { return k.first == db; });
  }
  bool selected(const std::string& db, const std::string& rp) const {
    if (o_.retention_policy && *o_.retention_policy != rp) return false;
    return !o_.shard || with_shard_.count({db, rp});
  }

  DatabaseDiff compare(const std::string& name, const meta::DatabaseInfo* was, const meta::DatabaseInfo* is) const {
    DatabaseDiff d{name, was ? (is ? Status::unchanged : Status::removed) : Status::added, {}, {}};
    std::set<std::string> rps;
    for (const auto* db : {was, is})
      if (db)
        for (const auto& rp : db->retention_policies)
          if (selected(name, rp.name)) rps.insert(rp.name);
    std::vector<Status> parts;
    for (const auto& rp : rps) {
      d.retention_policies.push_back(compare(name, rp, was ? meta::find_retention_policy(*was, rp) : nullptr,
                                             is ? meta::find_retention_policy(*is, rp) : nullptr));
      parts.push_back(d.retention_policies.back().status);
    }
    if (was && is) {
      d.differences = settings_differences(*was, *is);
      d.status = status_of(d.differences, parts);
    }
    return d;
  }

  RetentionPolicyDiff compare(const std::string& db, const std::string& name, const meta::RetentionPolicyInfo* was,
                              const meta::RetentionPolicyInfo* is) const {
    RetentionPolicyDiff d{name, was ? (is ? Status::unchanged : Status::removed) : Status::added, {}};
    if (!was || !is) return d;
    std::vector<Status> parts;
    for (const auto& s : shards_)
      if (s.database == db && s.retention_policy == name) parts.push_back(s.status);
    d.differences = settings_differences(*was, *is);
    d.status = status_of(d.differences, parts);
    return d;
  }

  const Options& o_;
  const std::vector<ShardDiff>& shards_;
  std::set<std::pair<std::string, std::string>> with_shard_;  // (database, RP) of the compared shards
};

}  // namespace

std::vector<DatabaseDiff> compare_databases(const Options& options, const meta::MetaData& old_meta,
                                            const meta::MetaData& new_meta, const std::vector<ShardDiff>& shards) {
  return MetaComparison(options, shards).compare(old_meta, new_meta);
}

}  // namespace ifx::diff
