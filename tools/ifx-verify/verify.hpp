// ifx-verify: proves a backup directory restorable, byte by byte, with libformat's checks
// (ifx/format/check/backup_check.hpp). This tool only renders their report and picks the exit
// code; main.cpp parses flags.
#pragma once

#include <string>

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

}  // namespace ifx::verify
