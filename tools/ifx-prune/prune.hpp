// ifx-prune: removes the snapshots of a repository (backup/repository.hpp) that a retention
// policy (backup/retention.hpp) does not keep, under the repository's lock. Whole snapshot
// directories go; archives they share with kept snapshots by hard link stay. The operation is a
// function over an options struct so tests call it in-process; main.cpp only parses flags.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx/format/backup/retention.hpp"
#include "ifx/format/error.hpp"

namespace ifx::prune {

struct Options {
  std::filesystem::path repo;
  RetentionPolicy policy;
  bool dry_run = false;                    // decide and report, remove nothing
  std::chrono::milliseconds lock_wait{0};  // for a repository another run holds
  std::optional<std::int64_t> now_ns;      // "now" for the rules; unset: the wall clock
};

struct SnapshotOutcome {
  std::string base;
  std::int64_t time_ns = 0;
  bool keep = true;
  std::vector<std::string> reasons;  // the rules that keep it
  std::uint64_t freed_bytes = 0;     // removing it frees (files no kept snapshot shares)
};

struct Report {
  Options options;
  std::vector<SnapshotOutcome> snapshots;  // oldest first
  std::uint64_t freed_bytes = 0;
  std::vector<std::string> notes;

  std::size_t removed() const;
};

// Fails on a repository that cannot be opened or locked ("repository-locked": exit 4), a bad
// time zone, or a removal that fails (the snapshots removed before it are gone, the rest kept).
Result<Report> run(const Options& options);

// --metrics FILE (metrics.cpp): the prune's outcome, a failure included, and the repository as
// it stands after it, written for node_exporter's textfile collector. A dry run writes nothing.
void write_metrics(const std::filesystem::path& file, const Options& options, const Result<Report>& outcome);

// {"repository", "dry_run", "snapshots": [{"base", "time", "keep", "reasons", "freed_bytes"}],
//  "kept", "removed", "freed_bytes", "notes"}
nlohmann::ordered_json to_json(const Report& report);
// A line per snapshot (kept or removed, and why), then the totals.
std::string to_text(const Report& report);

}  // namespace ifx::prune
