#include "ifx-diff/shard_compare.hpp"

#include <map>

#include "ifx/format/io/file_identity.hpp"
#include "ifx/format/io/scratch_directory.hpp"
#include "ifx/format/shard/shard_digest.hpp"
#include "ifx/format/shard/shard_stats.hpp"

namespace ifx::diff {
namespace {

// The archives of both in the same order, pairwise one file (device and inode): a snapshot that
// shares the other's archive by hard link.
bool same_files(const BackupSet& old_set, const ShardInBackup& a, const BackupSet& new_set, const ShardInBackup& b) {
  if (a.archives.size() != b.archives.size()) return false;
  for (std::size_t i = 0; i < a.archives.size(); ++i) {
    const auto x = identity_of(old_set.dir / a.archives[i].file_name);
    const auto y = identity_of(new_set.dir / b.archives[i].file_name);
    if (!x || !y || !x->same_file(*y)) return false;
  }
  return true;
}

// Both manifests record the same SHA-256 and tar size for every archive, pairwise. Taken on
// their word: whether the files still hash to it is ifx-verify's question.
bool same_recorded_archives(const ShardInBackup& a, const ShardInBackup& b) {
  if (a.archives.size() != b.archives.size()) return false;
  for (std::size_t i = 0; i < a.archives.size(); ++i) {
    const ShardArchiveFile& x = a.archives[i];
    const ShardArchiveFile& y = b.archives[i];
    if (!x.exists || !y.exists || !x.sha256 || !x.manifest_size || x.sha256 != y.sha256 ||
        x.manifest_size != y.manifest_size)
      return false;
  }
  return true;
}

ShardDiff unreadable(ShardDiff d, Error e, const char* side) {
  d.status = Status::unreadable;
  d.how = Evidence::none;
  d.error = std::move(e);
  d.error_in = side;
  return d;
}

Result<ShardStats> measure(const Options& o, const BackupSet& set, const ShardInBackup& shard) {
  auto unpacked = UnpackedShard::unpack(set, shard, o.scratch_root.empty() ? default_scratch_root() : o.scratch_root);
  if (!unpacked) return std::unexpected(std::move(unpacked.error()));
  return measure_shard(*unpacked, {.value_digest = true});
}

// Measurements by name: in both (changed when a count or the value digest differs), or in one.
std::vector<MeasurementDiff> compare_measurements(const ShardStats& old_stats, const ShardStats& new_stats) {
  std::map<std::string, const MeasurementStats*> only_old;
  for (const auto& m : old_stats.measurements) only_old[m.name] = &m;
  std::map<std::string, MeasurementDiff> by_name;
  for (const auto& m : new_stats.measurements) {
    MeasurementDiff d{m.name, Status::added, 0, m.series, 0, m.points, true};
    if (auto it = only_old.find(m.name); it != only_old.end()) {
      const MeasurementStats& was = *it->second;
      d.old_series = was.series;
      d.old_points = was.points;
      d.values_differ = was.value_digest != m.value_digest;
      const bool same = !d.values_differ && d.old_series == d.new_series && d.old_points == d.new_points;
      d.status = same ? Status::unchanged : Status::changed;
      only_old.erase(it);
    }
    by_name[m.name] = std::move(d);
  }
  for (const auto& [name, was] : only_old)
    by_name[name] = MeasurementDiff{name, Status::removed, was->series, 0, was->points, 0, true};
  std::vector<MeasurementDiff> out;
  for (auto& [name, d] : by_name) out.push_back(std::move(d));
  return out;
}

// --deep: the points of both sides (an absent side has none).
ShardDiff add_measurements(const Options& o, const BackupSet& old_set, const BackupSet& new_set, const ShardPair& p,
                           ShardDiff d) {
  ShardStats old_stats, new_stats;
  if (p.old_shard) {
    auto s = measure(o, old_set, *p.old_shard);
    if (!s) return unreadable(std::move(d), std::move(s.error()), "old");
    old_stats = std::move(*s);
  }
  if (p.new_shard) {
    auto s = measure(o, new_set, *p.new_shard);
    if (!s) return unreadable(std::move(d), std::move(s.error()), "new");
    new_stats = std::move(*s);
  }
  d.measurements = compare_measurements(old_stats, new_stats);
  return d;
}

}  // namespace

ShardDiff compare_shard(const Options& o, const BackupSet& old_set, const BackupSet& new_set, const ShardPair& p) {
  const ShardInBackup& any = p.old_shard ? *p.old_shard : *p.new_shard;
  ShardDiff d{any.database, any.retention_policy, any.shard_id, Status::unchanged, Evidence::none, {}, {}, {}};
  if (!p.old_shard || !p.new_shard) {
    d.status = p.old_shard ? Status::removed : Status::added;
    return o.deep ? add_measurements(o, old_set, new_set, p, std::move(d)) : d;
  }
  if (same_files(old_set, *p.old_shard, new_set, *p.new_shard)) {
    d.how = Evidence::inode;
    return d;
  }
  if (same_recorded_archives(*p.old_shard, *p.new_shard)) {
    d.how = Evidence::manifest;
    return d;
  }
  auto old_digest = digest_shard_data(old_set, *p.old_shard);
  if (!old_digest) return unreadable(std::move(d), std::move(old_digest.error()), "old");
  auto new_digest = digest_shard_data(new_set, *p.new_shard);
  if (!new_digest) return unreadable(std::move(d), std::move(new_digest.error()), "new");
  d.how = Evidence::content;
  if (old_digest->sha256 == new_digest->sha256) return d;
  d.status = Status::changed;
  return o.deep ? add_measurements(o, old_set, new_set, p, std::move(d)) : d;
}

}  // namespace ifx::diff
