// check_backup: open the backup, check the directory as a whole, then every selected shard in
// parallel (one shard per job, unpacked to scratch one entry at a time), then what CI expects
// (max age, expected databases).
#include "ifx/format/check/backup_check.hpp"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/backup/manifest.hpp"
#include "ifx/format/check/read_once.hpp"
#include "ifx/format/io/directory_access.hpp"
#include "ifx/format/io/scratch_directory.hpp"
#include "ifx/format/parallel_for.hpp"

namespace ifx::check {

bool BackupCheckOptions::selects(const std::string& db, const std::string& rp, std::uint64_t shard_id) const {
  return (!database || *database == db) && (!retention_policy || *retention_policy == rp) &&
         (!shard || *shard == shard_id);
}

bool BackupCheckReport::incomplete() const {
  return std::any_of(defects.begin(), defects.end(), [](const Error& e) { return e.code == ErrorCode::io; });
}

namespace {

// open_backup_set names the directory itself for directory-wide failures; a defect's `file` is a
// name inside the backup directory, so such paths are shortened to that name (or left empty).
Error inside_backup(Error e, const std::filesystem::path& dir) {
  std::filesystem::path f(e.file);
  if (f == dir || f == dir / "") e.file.clear();
  else if (f.parent_path() == dir) e.file = f.filename().string();
  return e;
}

// When no manifest could be read, open_backup_set says only that; each broken manifest's own
// error (with its JSON offset) says more, so those are the defects.
std::vector<Error> manifest_errors(const std::filesystem::path& dir) {
  std::vector<Error> out;
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (is_manifest_file(e.path().filename().string())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  for (const auto& name : names)
    if (auto m = read_manifest_file(dir / name); !m) {
      Error e = std::move(m.error());
      e.file = name;
      out.push_back(std::move(e));
    }
  return out;
}

// check_shard, unless the same archives (by inode) were checked clean earlier in this run.
ShardCheck check_shard_once(const BackupSet& set, const ShardInBackup& shard, const ShardCheckOptions& options,
                            ReadOnce* read_once) {
  if (!read_once) return check_shard(set, shard, options);
  const auto sources = shard_archive_sources(set, shard);
  const auto expect = shard_expectation(shard);
  const auto key = ReadOnce::shard_key(sources, expect, options.quick);
  if (key)
    if (auto earlier = read_once->clean_shard(*key)) {
      read_once->count_skipped(earlier->checked.archives, earlier->checked.bytes);
      ShardCheck out;
      out.checked = earlier->checked;
      out.data_blocks = earlier->data_blocks;
      return out;
    }
  ShardCheck out = check_shard_archives(sources, expect, options);
  if (key && out.valid() && out.notes.empty() && out.duplicate_entries.empty())
    read_once->remember_clean_shard(*key, {out.checked, out.data_blocks});
  return out;
}

// Every selected shard, `jobs` at a time; the outcomes in the order of `shards`.
std::vector<ShardCheck> check_shards(const BackupSet& set, const std::vector<const ShardInBackup*>& shards,
                                     const BackupCheckOptions& options) {
  const ShardCheckOptions shard_options{options.quick, options.scratch_root, options.max_defects_per_entry, false};
  std::vector<ShardCheck> outcomes(shards.size());
  parallel_for(shards.size(), options.jobs, [&](std::size_t i) {
    outcomes[i] = check_shard_once(set, *shards[i], shard_options, options.read_once);
  });
  return outcomes;
}

}  // namespace

Result<BackupCheckReport> check_backup(const BackupCheckOptions& options) {
  for (const auto& name : options.expect_databases)
    if (options.database && *options.database != name)
      return fail(ErrorCode::usage,
                  fmt::format("--expect-db {} lies outside the -db {} filter: that database would not "
                              "be checked",
                              name, *options.database));
  std::error_code ec;
  if (options.backup_dir == "-" || std::filesystem::is_regular_file(options.backup_dir, ec))
    return check_backup_stream(options);
  if (auto r = check_directory_readable(options.backup_dir, "a backup directory"); !r)
    return std::unexpected(std::move(r.error()));

  BackupCheckReport report{options, {}, {}, {}, {}};
  auto set = open_backup_set(options.backup_dir);
  if (!set) {  // no usable meta: nothing else can be placed, which is itself the defect
    if (set.error().code == ErrorCode::manifest_invalid) report.defects = manifest_errors(options.backup_dir);
    if (report.defects.empty()) report.defects.push_back(inside_backup(std::move(set.error()), options.backup_dir));
    return report;
  }

  DefectSink backup_sink(options.max_defects_per_entry);
  check_backup_level(*set, options, backup_sink, report.checked);
  backup_sink.finish();

  std::vector<const ShardInBackup*> todo;
  for (const auto& s : set->shards)
    if (options.selects(s.database, s.retention_policy, s.shard_id)) todo.push_back(&s);
  // Every shard is checked in scratch space: when none can be made there, nothing about the
  // shards is known, which is an I/O failure of this run and not a defect of each shard.
  if (!todo.empty()) {
    const auto root = options.scratch_root.empty() ? default_scratch_root() : options.scratch_root;
    if (auto probe = ScratchDirectory::create(root, "ifx-check"); !probe) {
      Error e = std::move(probe.error());
      e.message = fmt::format("could not check {}: {}", options.backup_dir.string(), e.message);
      return std::unexpected(std::move(e));
    }
  }
  std::vector<ShardCheck> outcomes = check_shards(*set, todo, options);

  report.defects = std::move(backup_sink.defects());
  report.notes = std::move(backup_sink.notes());
  report.warnings = std::move(backup_sink.warnings());
  std::map<std::string, std::uint64_t> blocks_per_database;
  std::vector<EntryOrigin> duplicates;
  for (std::size_t i = 0; i < todo.size(); ++i) {
    auto& out = outcomes[i];
    report.checked += out.checked;
    blocks_per_database[todo[i]->database] += out.data_blocks;
    std::move(out.defects.begin(), out.defects.end(), std::back_inserter(report.defects));
    std::move(out.notes.begin(), out.notes.end(), std::back_inserter(report.notes));
    std::move(out.duplicate_entries.begin(), out.duplicate_entries.end(), std::back_inserter(duplicates));
  }
  if (auto note = duplicate_entries_note(duplicates)) report.notes.push_back(std::move(*note));

  DefectSink expectations(options.max_defects_per_entry);
  check_expected_databases(*set, options, blocks_per_database, expectations);
  check_freshness(*set, options, expectations);
  std::move(expectations.defects().begin(), expectations.defects().end(), std::back_inserter(report.defects));
  return report;
}

}  // namespace ifx::check
