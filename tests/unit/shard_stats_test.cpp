// measure_shard's value digest: the same points give the same digest however the TSM files hold
// them (one file or overwritten across two, a tombstone or the point never written); one value,
// timestamp, field or tag changed gives another, with the counts unchanged.
#include "ifx/format/shard/shard_stats.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/backup_builder.hpp"
#include "support/paths.hpp"
#include "support/tsm_builder.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::test::points;
using ifx::test::ScratchDir;
using ifx::test::TsmKey;

class ValueDigest : public ::testing::Test {
 protected:
  // A TSM file of `keys`, as bytes.
  std::string tsm(const std::vector<TsmKey>& keys) {
    const fs::path p = scratch_ / "t.tsm";
    ifx::test::write_tsm(p, keys);
    std::string bytes = ifx::test::read_file(p);
    fs::remove(p);
    return bytes;
  }

  // The measurements of a shard holding `files`, by name.
  std::map<std::string, ifx::MeasurementStats> measure(const std::vector<ifx::test::ArchiveFile>& files,
                                                       bool digest = true) {
    const fs::path dir = scratch_ / ("b" + std::to_string(++backups_));
    ifx::test::write_portable_backup(dir, {.shards = {{.id = 1, .files = files}}});
    auto set = ifx::open_backup_set(dir);
    EXPECT_TRUE(set) << set.error().describe();
    auto unpacked = ifx::UnpackedShard::unpack(*set, set->shards.front(), scratch_.path());
    EXPECT_TRUE(unpacked) << unpacked.error().describe();
    auto stats = ifx::measure_shard(*unpacked, {.value_digest = digest});
    EXPECT_TRUE(stats) << stats.error().describe();
    std::map<std::string, ifx::MeasurementStats> out;
    if (stats)
      for (auto& m : stats->measurements) out[m.name] = m;
    return out;
  }

  std::map<std::string, ifx::MeasurementStats> measure_keys(const std::vector<TsmKey>& keys) {
    return measure({{"000000001-000000001.tsm", tsm(keys)}});
  }

  const std::vector<TsmKey> base_ = {
      {"cpu,host=a#!~#n", points<std::int64_t>({{10, 7}, {20, 8}})},
      {"cpu,host=a#!~#usage", points<double>({{10, 1.5}, {20, 2.5}, {30, 3.5}})},
      {"cpu,host=b#!~#usage", points<double>({{10, 0.5}})},
      {"mem,host=a#!~#state", points<std::string>({{10, "ok"}, {20, "full"}})},
  };
  ScratchDir scratch_{"value-digest"};
  int backups_ = 0;
};

TEST_F(ValueDigest, CountsAndDigestPerMeasurement) {
  auto m = measure_keys(base_);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m["cpu"].series, 2u);
  EXPECT_EQ(m["cpu"].points, 4u);
  EXPECT_EQ(m["cpu"].value_digest.size(), 64u);
  EXPECT_NE(m["cpu"].value_digest, m["mem"].value_digest);
  EXPECT_EQ(measure_keys(base_)["cpu"].value_digest, m["cpu"].value_digest) << "the digest is deterministic";
  EXPECT_TRUE(measure({{"000000001-000000001.tsm", tsm(base_)}}, false)["cpu"].value_digest.empty());
}

TEST_F(ValueDigest, TheSamePointsInOtherFilesGiveTheSameDigest) {
  const auto one_file = measure_keys(base_);
  // The same points, written in two files where the second overwrites two values of the first.
  std::vector<TsmKey> first = base_;
  first[1].points = points<double>({{10, 9.0}, {20, 9.0}});
  first[3].points = points<std::string>({{10, "ok"}, {20, "stale"}});
  const std::vector<TsmKey> second = {
      {"cpu,host=a#!~#usage", points<double>({{10, 1.5}, {20, 2.5}, {30, 3.5}})},
      {"mem,host=a#!~#state", points<std::string>({{20, "full"}})},
  };
  const auto two_files = measure({{"000000001-000000001.tsm", tsm(first)}, {"000000002-000000001.tsm", tsm(second)}});
  for (const char* name : {"cpu", "mem"}) {
    EXPECT_EQ(two_files.at(name).value_digest, one_file.at(name).value_digest) << name;
    EXPECT_EQ(two_files.at(name).points, one_file.at(name).points) << name;
  }
  // A point deleted by a tombstone is a point never written.
  std::vector<TsmKey> extra = base_;
  extra[2].points = points<double>({{10, 0.5}, {500, 4.0}});
  ifx::test::write_tombstones(scratch_ / "t.tombstone", {{"cpu,host=b#!~#usage", 400, 600}});
  const auto deleted = measure({{"000000001-000000001.tsm", tsm(extra)},
                                {"000000001-000000001.tombstone", ifx::test::read_file(scratch_ / "t.tombstone")}});
  EXPECT_EQ(deleted.at("cpu").value_digest, one_file.at("cpu").value_digest);
}

TEST_F(ValueDigest, OneValueTimeFieldOrTagChangedChangesTheDigestOnly) {
  const auto base = measure_keys(base_);
  auto expect_other_digest = [&](std::vector<TsmKey> keys, const char* what) {
    const auto m = measure_keys(keys);
    EXPECT_NE(m.at("cpu").value_digest, base.at("cpu").value_digest) << what;
    EXPECT_EQ(m.at("cpu").points, base.at("cpu").points) << what;
    EXPECT_EQ(m.at("cpu").series, base.at("cpu").series) << what;
    EXPECT_EQ(m.at("mem").value_digest, base.at("mem").value_digest) << what;
  };
  auto keys = base_;
  keys[1].points = points<double>({{10, 1.5}, {20, 2.5000001}, {30, 3.5}});
  expect_other_digest(keys, "a value");
  keys = base_;
  keys[0].points = points<std::int64_t>({{10, 7}, {20, 9}});
  expect_other_digest(keys, "an integer value");
  keys = base_;
  keys[2].points = points<double>({{11, 0.5}});
  expect_other_digest(keys, "a timestamp");
  keys = base_;
  keys[2].key = "cpu,host=b#!~#user";
  expect_other_digest(keys, "a field name");
  keys = base_;
  keys[2].key = "cpu,host=c#!~#usage";
  expect_other_digest(keys, "a tag value");
  keys = base_;
  keys[3].points = points<std::string>({{10, "ok"}, {20, "fuller"}});
  EXPECT_NE(measure_keys(keys).at("mem").value_digest, base.at("mem").value_digest) << "a string value";
}

}  // namespace
