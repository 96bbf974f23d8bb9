// ifx-backup -portable … - : the backup as one tar stream on stdout (docs/FORMATS.md §3.13), over a
// real influxd 1.6.7: the meta first, the manifest last, every file 0600; unpacked with tar it is
// a backup ifx-verify calls valid and the real `influxd restore -portable` restores point for
// point; a reader that goes away ends the run with a message and a non-zero exit, scratch clean.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/child_process.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"
#include "support/pipeline.hpp"
#include "support/run.hpp"
#include "support/server_data.hpp"

#include "stock_restore.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::test::InfluxdServer;
using ifx::test::Ran;
using ifx::test::run_command;
using ifx::test::shell_quote;
using ifx::test::tool;
constexpr auto shell = ifx::test::run_pipeline;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

class BackupStream : public ::testing::Test {
 protected:
  void SetUp() override {
    srv_ = InfluxdServer::start();
    for (const char* db : {"a", "b"}) {
      srv_->create_database(db);
      std::vector<std::string> lines;
      for (int k = 0; k < 200; ++k)
        lines.push_back(fmt::format("cpu,host=h{} v={},n={}i {}", k % 3, k * 0.5, k,
                                    ifx::test::kJan2022 + k * 6 * ifx::test::kHour));
      srv_->write(db, lines);
    }
  }
  std::string backup_command() const {
    return fmt::format("{} -portable -host {} --scratch-dir {} -", shell_quote(tool("ifx-backup")),
                       shell_quote(srv_->rpc_address()), shell_quote((scratch_ / "tmp").string()));
  }
  std::unique_ptr<InfluxdServer> srv_;
  ifx::test::ScratchDir scratch_{"ifx-stream"};
};

TEST_F(BackupStream, SavedStreamIsABackupInfluxdRestores) {
  fs::create_directories(scratch_ / "tmp");
  const fs::path tar = scratch_ / "backup.tar";
  const Ran r = shell(backup_command() + " > " + shell_quote(tar.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("backup complete"), std::string::npos) << "the report goes to stderr: " << r.err;
  EXPECT_TRUE(ifx::test::names_in(scratch_ / "tmp").empty()) << "scratch space left behind";

  const Ran listing = run_command({"tar", "-tvf", tar.string()});
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  const auto entries = lines_of(listing.out);
  ASSERT_GE(entries.size(), 4u) << listing.out;
  EXPECT_TRUE(entries.front().ends_with(".meta")) << listing.out;
  EXPECT_TRUE(entries.back().ends_with(".manifest")) << listing.out;
  for (const auto& e : entries) {
    EXPECT_TRUE(e.starts_with("-rw-------")) << e;
    EXPECT_EQ(e.substr(e.rfind(' ') + 1).find('/'), std::string::npos) << "plain file names only: " << e;
  }
  for (std::size_t i = 1; i + 1 < entries.size(); ++i) EXPECT_TRUE(entries[i].ends_with(".tar.gz")) << entries[i];

  const fs::path dir = scratch_ / "unpacked";
  fs::create_directories(dir);
  ASSERT_EQ(run_command({"tar", "-xf", tar.string(), "-C", dir.string()}).exit_code, 0);
  const Ran verified = run_command({tool("ifx-verify"), dir.string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;

  ifx::test::expect_stock_restore_matches(*srv_, dir, {"a", "b"});
}

TEST_F(BackupStream, VerifyReadsTheStreamFromAPipeOrASavedFile) {
  fs::create_directories(scratch_ / "tmp");
  const std::string verify = shell_quote(tool("ifx-verify"));
  const Ran piped = shell(backup_command() + " | " + verify + " -");
  EXPECT_EQ(piped.exit_code, 0) << piped.out << piped.err;
  EXPECT_NE(piped.out.find("VALID"), std::string::npos) << piped.out;
  // every block decoded: 200 points of 2 fields in each of the 2 databases
  EXPECT_NE(piped.out.find("800 points"), std::string::npos) << piped.out;

  const fs::path tar = scratch_ / "backup.tar";
  ASSERT_EQ(shell(backup_command() + " > " + shell_quote(tar.string())).exit_code, 0);
  const Ran saved = run_command({tool("ifx-verify"), "--expect-db", "a", "--max-age", "1h", tar.string()});
  EXPECT_EQ(saved.exit_code, 0) << saved.out << saved.err;
  EXPECT_TRUE(ifx::test::names_in(scratch_ / "tmp").empty()) << "scratch space left behind";
}

TEST_F(BackupStream, InspectReadsTheStreamAsTheDirectoryItUnpacksTo) {
  fs::create_directories(scratch_ / "tmp");
  const fs::path tar = scratch_ / "backup.tar";
  ASSERT_EQ(shell(backup_command() + " > " + shell_quote(tar.string())).exit_code, 0);
  const fs::path dir = scratch_ / "unpacked";
  fs::create_directories(dir);
  ASSERT_EQ(run_command({"tar", "-xf", tar.string(), "-C", dir.string()}).exit_code, 0);
  const std::string inspect = shell_quote(tool("ifx-inspect"));
  const Ran from_dir = run_command({tool("ifx-inspect"), "--deep", "--json", dir.string()});
  const Ran piped = shell("cat " + shell_quote(tar.string()) + " | " + inspect + " --deep --json -");
  ASSERT_EQ(from_dir.exit_code, 0) << from_dir.err;
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  auto a = nlohmann::json::parse(from_dir.out), b = nlohmann::json::parse(piped.out);
  for (const char* path_key : {"backup", "backup_path"}) {  // the directory's path, "stdin" for the stream
    a.erase(path_key);
    b.erase(path_key);
  }
  EXPECT_EQ(a, b);
  EXPECT_NE(piped.out.find("\"points\""), std::string::npos);
  // Cut short: what could be read is shown, and it is not a backup (exit 1).
  const Ran cut = shell(
      fmt::format("head -c {} {} | {} -", fs::file_size(tar) - 1024, shell_quote(tar.string()), inspect));
  EXPECT_EQ(cut.exit_code, 1) << cut.out << cut.err;
  EXPECT_NE((cut.out + cut.err).find("end-of-archive marker"), std::string::npos) << cut.out << cut.err;
}

TEST_F(BackupStream, CutOrDamagedStreamsAreNeverABackup) {
  fs::create_directories(scratch_ / "tmp");
  const fs::path tar = scratch_ / "backup.tar";
  ASSERT_EQ(shell(backup_command() + " > " + shell_quote(tar.string())).exit_code, 0);
  const auto size = fs::file_size(tar);
  const std::string verify = shell_quote(tool("ifx-verify"));
  std::srand(42);
  for (int i = 0; i < 20; ++i) {
    const auto cut = static_cast<std::uintmax_t>(std::rand()) % size;
    const Ran r = shell(fmt::format("head -c {} {} | {} -", cut, shell_quote(tar.string()), verify));
    EXPECT_EQ(r.exit_code, 1) << "cut at " << cut << " of " << size << ": " << r.out << r.err;
    EXPECT_NE(r.out.find("INVALID"), std::string::npos) << r.out;
  }
  // One flipped byte in the second entry (the first shard archive's compressed data).
  std::string bytes = ifx::test::read_file(tar);
  const std::size_t in_first_archive = bytes.find("\x1f\x8b\x08") + 300;
  ASSERT_LT(in_first_archive, bytes.size());
  bytes[in_first_archive] = static_cast<char>(bytes[in_first_archive] ^ 0x01);
  const fs::path damaged = scratch_ / "damaged.tar";
  ifx::test::write_file(damaged, bytes);
  const Ran r = run_command({tool("ifx-verify"), damaged.string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("sha256-mismatch"), std::string::npos) << r.out;
}

TEST_F(BackupStream, AReaderThatGoesAwayEndsTheRunWithAMessage) {
  fs::create_directories(scratch_ / "tmp");
  // head reads 100 bytes and exits: the next write meets a closed pipe.
  const Ran r = shell(backup_command() + " -j 1 | head -c 100 > /dev/null; exit ${PIPESTATUS[0]}");
  EXPECT_NE(r.exit_code, 0) << r.err;
  EXPECT_NE(r.exit_code, -1) << "killed by SIGPIPE instead of reporting it";
  EXPECT_NE(r.err.find("broken pipe"), std::string::npos) << r.err;
  EXPECT_TRUE(ifx::test::names_in(scratch_ / "tmp").empty()) << "scratch space left behind";
}

TEST_F(BackupStream, OnlyAPortableBackupIsAStream) {
  const Ran r = shell(fmt::format("{} -db a -host {} - > /dev/null", shell_quote(tool("ifx-backup")),
                                  shell_quote(srv_->rpc_address())));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("-portable"), std::string::npos) << r.err;
}

}  // namespace
