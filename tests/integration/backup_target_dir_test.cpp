// ifx-backup into a directory that already holds a backup: what influxd also does (portable
// beside complete portable backups, legacy increments beside legacy files) goes on; the other
// format, or an interrupted portable backup without --resume, is refused with exit code 2 and
// what to do, before any server is asked and without touching a file.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/paths.hpp"
#include "support/run.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::test::Ran;

// Nothing listens on port 1: a run that gets past the directory check fails to connect (exit 1).
constexpr const char* kNoServer = "127.0.0.1:1";

Ran backup(const std::vector<std::string>& flags, const fs::path& dir) {
  std::vector<std::string> argv{(ifx::test::build_dir() / "tools" / "ifx-backup").string(), "-host", kNoServer,
                                "--retries", "1"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back(dir.string());
  return ifx::test::run_command(argv);
}

fs::path copy_of(const std::string& fixture, const ifx::test::ScratchDir& scratch) {
  const fs::path dir = scratch / fixture;
  fs::copy(ifx::test::fixture(fixture), dir, fs::copy_options::recursive);
  return dir;
}

TEST(BackupTargetDirectory, PortableBesideALegacyBackupIsRefused) {
  ifx::test::ScratchDir scratch("ifx-target");
  const fs::path dir = copy_of("legacy-db", scratch);
  const auto before = ifx::test::names_in(dir);
  const Ran r = backup({"-portable"}, dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("holds a legacy backup (meta.00"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("another directory"), std::string::npos) << r.err;
  EXPECT_EQ(ifx::test::names_in(dir), before);
}

TEST(BackupTargetDirectory, LegacyBesideAPortableBackupIsRefused) {
  ifx::test::ScratchDir scratch("ifx-target");
  const fs::path dir = copy_of("portable-db", scratch);
  const auto before = ifx::test::names_in(dir);
  const Ran r = backup({"-db", "plain"}, dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("holds a portable backup"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Add -portable"), std::string::npos) << r.err;
  EXPECT_EQ(ifx::test::names_in(dir), before);
}

TEST(BackupTargetDirectory, AnInterruptedPortableBackupNeedsResume) {
  ifx::test::ScratchDir scratch("ifx-target");
  const fs::path dir = copy_of("portable-db", scratch);
  for (const auto& name : ifx::test::names_in(dir))
    if (name.ends_with(".manifest")) fs::remove(dir / name);  // as a run killed before its manifest leaves it
  const auto before = ifx::test::names_in(dir);
  const Ran r = backup({"-portable"}, dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("interrupted portable backup"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--resume"), std::string::npos) << r.err;
  EXPECT_EQ(ifx::test::names_in(dir), before);
  // --resume is let through (and then needs the server).
  EXPECT_EQ(backup({"-portable", "--resume"}, dir).exit_code, 1);
}

TEST(BackupTargetDirectory, WhatInfluxdAlsoDoesGoesOnToTheServer) {
  ifx::test::ScratchDir scratch("ifx-target");
  // A portable chain (influxd restore reads every manifest) and legacy increments.
  const Ran portable = backup({"-portable"}, copy_of("portable-db", scratch));
  EXPECT_EQ(portable.exit_code, 1) << portable.err;
  EXPECT_EQ(portable.err.find("holds"), std::string::npos) << portable.err;
  const Ran legacy = backup({"-db", "plain"}, copy_of("legacy-db", scratch));
  EXPECT_EQ(legacy.exit_code, 1) << legacy.err;
  EXPECT_EQ(legacy.err.find("holds"), std::string::npos) << legacy.err;
}

}  // namespace
