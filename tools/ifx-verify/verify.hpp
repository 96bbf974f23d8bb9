// ifx-verify: proves a backup directory restorable, byte by byte, with libformat's checks
// (ifx/format/check/backup_check.hpp). This tool only renders their report and picks the exit
// code; main.cpp parses flags.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx/format/check/backup_check.hpp"
#include "ifx/format/check/repository_check.hpp"

namespace ifx::verify {

// 0 valid, 1 defects, 2 an I/O error kept us from reading something (docs: exit codes).
int exit_code(const check::BackupCheckReport& report);

// {"valid", "backup", "checked": {...}, "defects": [{"code","file","entry","offset","message"}]}
nlohmann::ordered_json to_json(const check::BackupCheckReport& report);
// One line per defect, the notes, what was checked, the verdict.
std::string to_text(const check::BackupCheckReport& report);

// A snapshot repository: the same per snapshot, plus the repository's own defects and notes.
int exit_code(const check::RepositoryCheckReport& report);
// {"valid", "repository", "checked" (the sum), "reads_skipped", "bytes_skipped",
//  "defects" (the repository's own), "notes", "snapshots": [{"snapshot", ...the backup's keys}]}
nlohmann::ordered_json to_json(const check::RepositoryCheckReport& report);
std::string to_text(const check::RepositoryCheckReport& report);
// --metrics FILE (metrics.cpp): each directory's check as node_exporter's textfile collector
// reads it, one series per repository (a snapshot of a repository counts for the repository;
// several checked in one run add up: valid only when all are).
class Metrics {
 public:
  // The check of `dir` that began at `started`: its report, or the error that stopped it.
  void add(const std::filesystem::path& dir, const Result<check::BackupCheckReport>& outcome,
           std::chrono::steady_clock::time_point started);
  // A repository's: its newest snapshot gives the host and the age.
  void add(const std::filesystem::path& dir, const Result<check::RepositoryCheckReport>& outcome,
           std::chrono::steady_clock::time_point started);
  // Writes every series; a failure is printed and changes no exit code.
  void write(const std::filesystem::path& file) const;

 private:
  struct Check {
    std::filesystem::path dir;
    bool valid = false;
    std::uint64_t defects = 0;
    double seconds = 0;
    std::int64_t ended_ns = 0;  // "now" for the backup's age
  };
  std::vector<Check> checks_;
};

}  // namespace ifx::verify
