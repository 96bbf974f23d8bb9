// The pieces of ifx-verify's check, shared by its source files only (not a public API).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ifx-verify/verify.hpp"
#include "ifx/format/backup/backup_set.hpp"

namespace ifx::verify::detail {

// Where a spooled file came from: the archive file in the backup directory and the tar entry.
struct EntryOrigin {
  std::string file;
  std::string entry;
};

// Collects defects. Past `cap` defects for one (file, entry) the rest are only counted, so a
// TSM file whose index points everywhere does not produce a million lines; finish() turns the
// counts into notes.
class DefectSink {
 public:
  explicit DefectSink(std::size_t cap) : cap_(cap) {}
  void add(Error e);
  void note(std::string text) { notes_.push_back(std::move(text)); }
  void finish();
  std::vector<Error>& defects() { return defects_; }
  std::vector<std::string>& notes() { return notes_; }
  std::size_t count() const { return defects_.size(); }

 private:
  std::size_t cap_;
  std::map<std::pair<std::string, std::string>, std::size_t> per_entry_;
  std::vector<Error> defects_;
  std::vector<std::string> notes_;
};

// An Error built in place: code, where, and the sentence.
Error defect(std::string code, std::string file, std::string entry, std::optional<std::uint64_t> offset,
             std::string message);
// An error of a libformat reader re-homed to the backup file and entry it came from (readers
// name the scratch copy they read).
Error relocated(Error e, const EntryOrigin& origin);

// A key or name for a message: non-printable bytes as \xNN, long ones shortened.
std::string printable(std::string_view text);

bool selected(const Options& o, const std::string& db, const std::string& rp, std::uint64_t shard);

// ---- check_backup.cpp: the directory as a whole (manifests, meta files, names, scope) ---------
void check_backup_level(const BackupSet& set, const Options& o, DefectSink& sink, Checked& checked);

// ---- check_sha256.cpp: files whose manifest entry records "sha256" still hash to it ----------
void check_recorded_sha256(const BackupSet& set, const Options& o, DefectSink& sink);

// ---- check_shard.cpp: every archive of one shard, spooled entry by entry --------------------
struct ShardOutcome {
  Checked checked;
  std::vector<Error> defects;
  std::vector<std::string> notes;
  std::uint64_t data_blocks = 0;  // TSM blocks found (for --expect-db "holds data")
};
ShardOutcome check_shard(const BackupSet& set, const ShardInBackup& shard, const Options& o);

// ---- check_tsm.cpp: one spooled TSM / tombstone file, and types across a shard's files -------
struct TsmTally {
  std::uint64_t blocks = 0;
  std::uint64_t points = 0;
};
void check_tsm_file(const std::filesystem::path& path, const EntryOrigin& origin, bool quick,
                    TsmTally& tally, DefectSink& sink);
void check_tombstone_file(const std::filesystem::path& path, const EntryOrigin& origin, DefectSink& sink);
// FORMATS.md §6.2: a field has one block type; across the TSM files of one shard the same key
// must carry the same type ("tsm-type-conflict"). `files` in generation order.
void check_type_conflicts(const std::vector<std::pair<std::filesystem::path, EntryOrigin>>& files,
                          DefectSink& sink);

// ---- check_expectations.cpp: --max-age and --expect-db -------------------------------------
void check_freshness(const BackupSet& set, const Options& o, DefectSink& sink);
void check_expected_databases(const BackupSet& set, const Options& o,
                              const std::map<std::string, std::uint64_t>& blocks_per_database,
                              DefectSink& sink);

}  // namespace ifx::verify::detail
