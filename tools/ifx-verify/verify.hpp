// ifx-verify: proves a backup directory restorable, byte by byte, with libformat's checks
// (ifx/format/check/backup_check.hpp). This tool only renders their report and picks the exit
// code; main.cpp parses flags.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "ifx/format/check/backup_check.hpp"

namespace ifx::verify {

// 0 valid, 1 defects, 2 an I/O error kept us from reading something (docs: exit codes).
int exit_code(const check::BackupCheckReport& report);

// {"valid", "backup", "checked": {...}, "defects": [{"code","file","entry","offset","message"}]}
nlohmann::ordered_json to_json(const check::BackupCheckReport& report);
// One line per defect, the notes, what was checked, the verdict.
std::string to_text(const check::BackupCheckReport& report);

}  // namespace ifx::verify
