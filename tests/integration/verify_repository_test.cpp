// ifx-verify over a snapshot repository: every snapshot checked, an archive snapshots share by
// hard link read once (the bytes not read again counted exactly), a damage in a shared archive a
// defect of every snapshot holding it, --latest / --max-age on the newest snapshot, and
// `latest` itself checked (missing, dangling, or left on an older snapshot by a killed run and
// repointed by the next ifx-prune).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "ifx/format/backup/file_names.hpp"
#include "support/child_process.hpp"
#include "support/paths.hpp"
#include "support/repository_builder.hpp"
#include "support/run.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::test::run_command;
using ifx::test::ScratchDir;
using ifx::test::tool;
using json = nlohmann::json;

constexpr std::int64_t kDayNs = 86400LL * 1'000'000'000;

class VerifyRepository : public ::testing::Test {
 protected:
  void SetUp() override {
    // Three nightly snapshots, 3, 2 and 1 days old (whole seconds, as base names are).
    const std::int64_t now_s =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    bases_ = ifx::test::write_snapshots(
        root_, scratch_.path(),
        {now_s * 1'000'000'000 - 3 * kDayNs, now_s * 1'000'000'000 - 2 * kDayNs, now_s * 1'000'000'000 - kDayNs});
    ASSERT_EQ(bases_.size(), 3u);
  }

  json verify_json(std::vector<std::string> extra, int expected_exit) {
    std::vector<std::string> argv{tool("ifx-verify"), root_.string(), "--json", "-j", "1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto ran = run_command(argv);
    EXPECT_EQ(ran.exit_code, expected_exit) << ran.out << ran.err;
    return json::parse(ran.out);
  }

  std::uint64_t shared_archive_size() const { return fs::file_size(ifx::test::snapshot_archive(root_, bases_[0], 1)); }

  ScratchDir scratch_;
  fs::path root_ = scratch_ / "repo";
  std::vector<std::string> bases_;
};

TEST_F(VerifyRepository, EverySnapshotCheckedAndASharedArchiveReadOnce) {
  const json j = verify_json({}, 0);
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["repository"], root_.string());
  ASSERT_EQ(j["snapshots"].size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(j["snapshots"][i]["snapshot"], bases_[i]);
    EXPECT_EQ(j["snapshots"][i]["valid"], true);
    EXPECT_EQ(j["snapshots"][i]["checked"]["archives"], 2) << "each snapshot accounts for both its shards";
  }
  // Shard 1's archive is one inode in three snapshots: the first hashes and checks it, the other
  // two skip both reads. Shard 2 and the meta are files of their own in each snapshot.
  EXPECT_EQ(j["reads_skipped"], 4);
  EXPECT_EQ(j["bytes_skipped"], 4 * shared_archive_size());
  EXPECT_EQ(j["checked"]["archives"], 6);

  auto text = run_command({tool("ifx-verify"), root_.string()});
  EXPECT_EQ(text.exit_code, 0) << text.out << text.err;
  for (const auto& base : bases_) EXPECT_NE(text.out.find("Snapshot " + base + ": valid"), std::string::npos);
  EXPECT_NE(text.out.find("4 reads"), std::string::npos) << text.out;
}

TEST_F(VerifyRepository, ADamagedSharedArchiveIsADefectOfEverySnapshotHoldingIt) {
  const fs::path shared = ifx::test::snapshot_archive(root_, bases_[0], 1);
  {
    std::fstream f(shared, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(fs::file_size(shared) / 2));
    char c = 0;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(fs::file_size(shared) / 2));
    c = static_cast<char>(c ^ 0x5a);
    f.write(&c, 1);
  }
  const json j = verify_json({}, 1);
  EXPECT_EQ(j["valid"], false);
  ASSERT_EQ(j["snapshots"].size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const json& s = j["snapshots"][i];
    EXPECT_EQ(s["valid"], false) << bases_[i];
    bool sha = false, content = false;
    for (const auto& d : s["defects"]) {
      EXPECT_EQ(d["file"], bases_[i] + ".s1.tar.gz") << d.dump();
      (d["code"] == "sha256-mismatch" ? sha : content) = true;
    }
    EXPECT_TRUE(sha) << s.dump();
    EXPECT_TRUE(content) << "the archive itself was read and found damaged in " << bases_[i] << ": " << s.dump();
  }
  // The digest is computed once; a defective shard is read again in every snapshot.
  EXPECT_EQ(j["reads_skipped"], 2);
}

TEST_F(VerifyRepository, LatestAndMaxAgeConcernTheNewestSnapshot) {
  const json latest = verify_json({"--latest"}, 0);
  ASSERT_EQ(latest["snapshots"].size(), 1u);
  EXPECT_EQ(latest["snapshots"][0]["snapshot"], bases_.back());

  // The newest is a day old: 36h passes although the others are older; 12h fails once.
  EXPECT_EQ(verify_json({"--max-age", "36h"}, 0)["valid"], true);
  const json old = verify_json({"--max-age", "12h"}, 1);
  for (std::size_t i = 0; i + 1 < bases_.size(); ++i) EXPECT_EQ(old["snapshots"][i]["valid"], true);
  ASSERT_EQ(old["snapshots"][2]["defects"].size(), 1u);
  EXPECT_EQ(old["snapshots"][2]["defects"][0]["code"], "backup-too-old");
}

TEST_F(VerifyRepository, LatestMustNameTheNewestCompleteSnapshot) {
  const fs::path latest = root_ / "latest";
  fs::remove(latest);
  json j = verify_json({}, 1);
  ASSERT_EQ(j["defects"].size(), 1u);
  EXPECT_EQ(j["defects"][0]["code"], "latest-invalid");
  EXPECT_EQ(j["defects"][0]["file"], "latest");

  fs::create_symlink("20000101T000000Z", latest);
  EXPECT_EQ(verify_json({}, 1)["defects"][0]["code"], "latest-invalid") << "a dangling latest";

  // Left on the snapshot before by a run killed between publishing and repointing: every
  // snapshot is sound, so a note; the next ifx-prune (even without a rule) repoints it.
  fs::remove(latest);
  fs::create_symlink(bases_[1], latest);
  fs::create_directory(root_ / (ifx::portable_base_name(0) + ".pending"));
  j = verify_json({}, 0);
  EXPECT_TRUE(j["defects"].empty());
  const std::string notes = j["notes"].dump();
  EXPECT_NE(notes.find("latest points at " + bases_[1]), std::string::npos) << notes;
  EXPECT_NE(notes.find(".pending"), std::string::npos) << notes;
  auto prune = run_command({tool("ifx-prune"), root_.string()});
  ASSERT_EQ(prune.exit_code, 0) << prune.err;
  EXPECT_EQ(fs::read_symlink(latest), fs::path(bases_.back()));
  EXPECT_NE(prune.out.find("pointed latest at"), std::string::npos) << prune.out;
}

TEST_F(VerifyRepository, AnEmptyRepositoryHoldsNothingToRestore) {
  ScratchDir other;
  const fs::path empty = other / "repo";
  fs::create_directory(empty);
  std::ofstream(empty / "lock").put('\n');
  auto ran = run_command({tool("ifx-verify"), empty.string(), "--json"});
  EXPECT_EQ(ran.exit_code, 1) << ran.out << ran.err;
  const json j = json::parse(ran.out);
  EXPECT_EQ(j["defects"][0]["code"], "latest-invalid");
  EXPECT_TRUE(j["snapshots"].empty());
}

}  // namespace
