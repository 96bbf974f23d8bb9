// Our tools run in-process from integration tests: a portable backup of a test server, and
// ifx-verify's verdict on a directory. Header-only: the tool libraries link into integration
// tests only.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

#include "ifx-backup/backup.hpp"
#include "ifx-verify/verify.hpp"

namespace ifx::test {

// `ifx-backup -portable -db <database> -host <host> <dir>`; throws when it fails (a suite's
// set-up, whose failure gtest reports).
inline void backup_portable(const std::string& host, const std::string& database, const std::filesystem::path& dir) {
  auto s = backup::run({.host = host, .dir = dir, .portable = true, .database = database});
  if (!s) throw std::runtime_error(s.error().describe());
}

// ifx-verify's report on `dir` (two jobs unless `tweak` says otherwise); a run that cannot
// report at all fails the test.
inline check::BackupCheckReport verify_report(const std::filesystem::path& dir,
                                              const std::function<void(check::BackupCheckOptions&)>& tweak = {}) {
  check::BackupCheckOptions o;
  o.backup_dir = dir;
  o.jobs = 2;
  if (tweak) tweak(o);
  auto r = check::check_backup(o);
  EXPECT_TRUE(r) << r.error().describe();
  return r ? std::move(*r) : check::BackupCheckReport{};
}

// Whether ifx-verify finds `dir` valid; when not, the test fails with the report.
inline bool verifies(const std::filesystem::path& dir, unsigned jobs = 2) {
  auto r = check::check_backup({.backup_dir = dir, .jobs = jobs});
  EXPECT_TRUE(r) << r.error().describe();
  if (r && !r->valid()) ADD_FAILURE() << verify::to_text(*r);
  return r && r->valid();
}

}  // namespace ifx::test
