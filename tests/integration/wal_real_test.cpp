// WAL segments written by a real influxd (docs/FORMATS.md §11), read after a SIGKILL left them
// unflushed: the points written over HTTP (every field type line protocol takes: float, integer,
// string, boolean; unsigned needs a build flag in 1.x and is left out), overwritten, written out
// of order, deleted by DELETE and DROP SERIES and written again, come back exactly from the
// replay; a segment cut short keeps its earlier entries. The second test is the experiment behind
// wal_replay.hpp's note on deletes: the TSM file written before a DELETE gets it as a tombstone at
// once, and the WAL's delete-range entry names only the keys the cache held.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "ifx/format/tsm/shard_points.hpp"
#include "ifx/format/tsm/tombstone.hpp"
#include "ifx/format/tsm/tsm_file_names.hpp"
#include "ifx/format/wal/wal_replay.hpp"
#include "ifx/net/snapshot/snapshot_client.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"
#include "support/server_data.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::test::InfluxdServer;
using ifx::test::kJan2022;
using ifx::test::kSecond;

constexpr std::int64_t kMaxTime = std::numeric_limits<std::int64_t>::max();

using Value = std::variant<double, std::int64_t, bool, std::string>;
using Points = std::map<std::int64_t, Value>;
using Keys = std::map<std::string, Points>;  // composite key (series#!~#field) → its points

// One point of one field; `series` in influxd's canonical form (tags sorted, escaped), so that
// the composite key is series + "#!~#" + field.
struct Point {
  std::string series;
  std::string field;
  Value value;
  std::int64_t time = 0;
};

std::string line_protocol_value(const Value& v) {
  if (const auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return fmt::format("{}i", *i);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  std::string out = "\"";
  for (char c : std::get<std::string>(v)) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string measurement_of_series(const std::string& series) { return ifx::tsm::measurement_of(series); }

// What the server should hold: every write and delete the test makes, applied in order.
class Truth {
 public:
  void write(InfluxdServer& srv, const std::string& db, const std::vector<Point>& points) {
    std::vector<std::string> lines;
    for (const Point& p : points) {
      lines.push_back(fmt::format("{} {}={} {}", p.series, p.field, line_protocol_value(p.value), p.time));
      keys_[p.series + "#!~#" + p.field][p.time] = p.value;
    }
    srv.write(db, lines);
  }
  // The points of `measurement` with min ≤ t ≤ max removed.
  void remove(const std::string& measurement, std::int64_t min, std::int64_t max) {
    for (auto it = keys_.begin(); it != keys_.end();) {
      if (measurement_of_series(std::string(ifx::tsm::split_composite_key(it->first).series_key)) == measurement) {
        std::erase_if(it->second, [&](const auto& tv) { return tv.first >= min && tv.first <= max; });
      }
      it = it->second.empty() ? keys_.erase(it) : std::next(it);
    }
  }
  void drop_series(const std::string& series) {
    std::erase_if(keys_, [&](const auto& kv) { return ifx::tsm::split_composite_key(kv.first).series_key == series; });
  }
  // The keys of `measurement` (or every key) the truth holds now.
  std::vector<std::string> keys_of(const std::string& measurement) const {
    std::vector<std::string> out;
    for (const auto& [k, _] : keys_)
      if (measurement_of_series(std::string(ifx::tsm::split_composite_key(k).series_key)) == measurement)
        out.push_back(k);
    return out;
  }
  const Keys& keys() const { return keys_; }

 private:
  Keys keys_;
};

Value value_at(const ifx::tsm::DecodedBlock& b, std::size_t i) {
  switch (b.type) {
    case ifx::tsm::BlockType::Float:
      return b.floats[i];
    case ifx::tsm::BlockType::Integer:
      return b.integers[i];
    case ifx::tsm::BlockType::Boolean:
      return b.booleans[i] != 0;
    case ifx::tsm::BlockType::String:
      return b.strings[i];
    case ifx::tsm::BlockType::Unsigned:
      break;
  }
  ADD_FAILURE() << "an unsigned value: the test writes none";
  return std::int64_t{0};
}

void add_points(Points& to, const ifx::tsm::DecodedBlock& b) {
  for (std::size_t i = 0; i < b.size(); ++i) to[b.times[i]] = value_at(b, i);
}

Keys keys_of(const std::vector<ifx::wal::WalKeyValues>& replayed) {
  Keys out;
  for (const auto& kv : replayed) add_points(out[kv.key], kv.values);
  return out;
}

std::string describe(const Keys& keys) {
  std::string out;
  for (const auto& [k, points] : keys) {
    out += k + ":";
    for (const auto& [t, v] : points)
      out += fmt::format(" {}={}", t, std::visit([](const auto& x) { return fmt::format("{}", x); }, v));
    out += "\n";
  }
  return out;
}

ifx::test::InfluxdOptions wal_keeping_options() {
  ifx::test::InfluxdOptions o;
  // No cache snapshot while the test runs: neither a cold shard nor a full cache writes a TSM
  // file, so everything written stays in the WAL (and in the cache, which SIGKILL loses).
  o.data_settings["cache-snapshot-write-cold-duration"] = "\"1h\"";
  o.data_settings["cache-snapshot-memory-size"] = "\"1g\"";
  return o;
}

fs::path shard_wal_dir(const InfluxdServer& srv, const std::string& db, std::uint64_t shard) {
  return srv.wal_dir() / db / "autogen" / std::to_string(shard);
}

fs::path shard_data_dir(const InfluxdServer& srv, const std::string& db, std::uint64_t shard) {
  return srv.data_dir() / db / "autogen" / std::to_string(shard);
}

// The TSM files of a shard's data directory, in name (generation) order.
std::vector<fs::path> tsm_files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (ifx::tsm::is_tsm_file(e.path().filename().string())) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::uint64_t only_shard(InfluxdServer& srv, const std::string& db) {
  const auto ids = ifx::test::shard_ids(srv, db);
  EXPECT_EQ(ids.size(), 1u) << "the test writes into one shard group";
  return ids.empty() ? 0 : ids.front();
}

ifx::wal::WalReplay replay(const fs::path& dir) {
  auto r = ifx::wal::replay_wal_dir(dir);
  EXPECT_TRUE(r.has_value()) << r.error().describe();
  return r ? std::move(*r) : ifx::wal::WalReplay{};
}

// The deletes the replay found for `max`, by key.
std::map<std::string, std::int64_t> delete_mins(const ifx::wal::WalReplay& r, std::int64_t max) {
  std::map<std::string, std::int64_t> out;
  for (const auto& d : r.deletes)
    if (d.max == max) out[d.key] = d.min;
  return out;
}

TEST(WalReal, UnflushedWritesAndDeletesReplayExactly) {
  auto srv = InfluxdServer::start(wal_keeping_options());
  srv->create_database("w");
  Truth truth;
  const std::int64_t t0 = kJan2022;
  const std::vector<std::string> hosts = {R"(m,host=a\ b)", "m,host=b", "m,host=c"};

  std::vector<Point> batch;
  for (const auto& series : hosts) {
    for (int k = 0; k < 6; ++k) {
      const std::int64_t t = t0 + k * kSecond;
      batch.push_back({series, "f", 1.5 * k - 2.25, t});
      batch.push_back({series, "i", std::int64_t{-1000} * k + 7, t});
      batch.push_back({series, "s", fmt::format("v{} \"q\" \\ {}", k, series), t});
      batch.push_back({series, "b", k % 2 == 0, t});
    }
  }
  batch.push_back({"other,x=1", "v", std::int64_t{7}, t0});
  truth.write(*srv, "w", batch);
  // Overwrites (the later write wins) and points older than the ones written before them.
  truth.write(*srv, "w",
              {{hosts[0], "f", 100.25, t0 + kSecond},
               {hosts[0], "i", std::int64_t{500}, t0 + 5 * kSecond},
               {hosts[0], "s", std::string("rewritten"), t0 + 2 * kSecond},
               {hosts[0], "f", -0.5, t0 - 3 * kSecond},
               {hosts[1], "b", true, t0 - kSecond}});
  truth.write(*srv, "w", {{hosts[0], "f", 100.5, t0 + kSecond}});  // and again, in a later entry

  const std::vector<std::string> deleted_keys = truth.keys_of("m");
  const std::int64_t cut = t0 + 2 * kSecond;
  srv->query(fmt::format("DELETE FROM m WHERE time < {}", cut), "w");
  truth.remove("m", std::numeric_limits<std::int64_t>::min(), cut - 1);
  // Written again inside the deleted range, after the delete: these stay.
  truth.write(*srv, "w", {{hosts[1], "f", 9.5, t0}, {hosts[2], "i", std::int64_t{42}, t0 + kSecond}});

  const std::vector<std::string> dropped_keys = {hosts[2] + "#!~#b", hosts[2] + "#!~#f", hosts[2] + "#!~#i",
                                                 hosts[2] + "#!~#s"};
  srv->query("DROP SERIES FROM m WHERE host = 'c'", "w");
  truth.drop_series(hosts[2]);
  // The dropped series written again afterwards: a new key in the cache, kept.
  truth.write(*srv, "w", {{hosts[2], "f", 1.25, t0 + 7 * kSecond}});

  const std::uint64_t shard = only_shard(*srv, "w");
  srv->kill();

  const fs::path wal = shard_wal_dir(*srv, "w", shard);
  const auto r = replay(wal);
  EXPECT_EQ(keys_of(r.keys), truth.keys()) << "replayed:\n"
                                           << describe(keys_of(r.keys)) << "written:\n"
                                           << describe(truth.keys());
  ASSERT_FALSE(r.segments.empty());
  for (const auto& s : r.segments) {
    EXPECT_EQ(s.dropped_bytes, 0u) << s.file.path;
    EXPECT_TRUE(s.defects.empty()) << s.file.path;
  }
  EXPECT_TRUE(tsm_files_in(shard_data_dir(*srv, "w", shard)).empty()) << "no TSM file: everything came from the WAL";

  // The DELETE: every key of m the cache held, from before the first point to cut − 1. DROP
  // SERIES: the dropped series' keys, to the end of time.
  const auto delete_ranges = delete_mins(r, cut - 1);
  std::vector<std::string> got;
  for (const auto& [key, min] : delete_ranges) {
    got.push_back(key);
    EXPECT_LE(min, t0 - 3 * kSecond) << key;
  }
  EXPECT_EQ(got, deleted_keys);
  const auto drop_ranges = delete_mins(r, kMaxTime);
  got.clear();
  for (const auto& [key, min] : drop_ranges) {
    got.push_back(key);
    EXPECT_LE(min, t0 - 3 * kSecond) << key;
  }
  EXPECT_EQ(got, dropped_keys);
  EXPECT_EQ(r.deletes.size(), deleted_keys.size() + dropped_keys.size());

  // The last segment cut a few bytes short: every entry before its last one is kept.
  const fs::path last = r.segments.back().file.path;
  std::vector<ifx::wal::WalEntry> entries;
  {
    auto reader = ifx::wal::WalSegmentReader::open(last);
    ASSERT_TRUE(reader.has_value()) << reader.error().describe();
    for (ifx::wal::WalEntry e; reader->next(e).value_or(false);) entries.push_back(e);
    ASSERT_EQ(reader->position(), reader->file_size());
  }
  ASSERT_GE(entries.size(), 2u);
  ifx::test::ScratchDir scratch("wal-real");
  const fs::path cut_copy = scratch / last.filename().string();
  fs::copy_file(last, cut_copy);
  fs::resize_file(cut_copy, fs::file_size(last) - 3);
  auto reader = ifx::wal::WalSegmentReader::open(cut_copy);
  ASSERT_TRUE(reader.has_value());
  std::size_t n = 0;
  for (ifx::wal::WalEntry e;; ++n) {
    auto more = reader->next(e);
    ASSERT_TRUE(more.has_value()) << more.error().describe();
    if (!*more) break;
    ASSERT_LT(n, entries.size() - 1);
    EXPECT_EQ(e.offset, entries[n].offset);
    EXPECT_EQ(e.type, entries[n].type);
    EXPECT_EQ(e.keys, entries[n].keys);
    EXPECT_EQ(e.writes.size(), entries[n].writes.size());
  }
  EXPECT_EQ(n, entries.size() - 1);
  EXPECT_EQ(reader->cut_short_bytes(), entries.back().size - 3);
}

// The experiment behind wal_replay.hpp: which of a DELETE's effects are in the WAL.
TEST(WalReal, DeleteTombstonesTsmFilesAndLogsOnlyTheCacheKeys) {
  auto srv = InfluxdServer::start(wal_keeping_options());
  srv->create_database("t");
  Truth truth;
  const std::int64_t t0 = kJan2022;
  std::vector<Point> first;
  for (int k = 0; k < 5; ++k) {
    first.push_back({"cpu,host=a", "v", 1.0 * k, t0 + k * kSecond});
    first.push_back({"cpu,host=b", "v", 10.0 * k, t0 + k * kSecond});
    first.push_back({"mem,host=a", "free", std::int64_t{k}, t0 + k * kSecond});
  }
  truth.write(*srv, "t", first);
  const std::uint64_t shard = only_shard(*srv, "t");
  {  // A shard backup makes influxd write its cache to a TSM file first.
    auto client = ifx::net::SnapshotClient::create(srv->rpc_address());
    ASSERT_TRUE(client.has_value()) << client.error().describe();
    auto n = client->backup_shard(shard, ifx::net::WireTime::zero(),
                                  [](std::span<const std::uint8_t>) -> ifx::Result<void> { return {}; });
    ASSERT_TRUE(n.has_value()) << n.error().describe();
  }
  const fs::path data = shard_data_dir(*srv, "t", shard);
  const std::vector<fs::path> tsm_files = tsm_files_in(data);
  ASSERT_EQ(tsm_files.size(), 1u) << "the flush wrote one TSM file";
  EXPECT_TRUE(replay(shard_wal_dir(*srv, "t", shard)).keys.empty()) << "the flushed segments are gone";

  // Only host a's cpu key is in the cache when the DELETE runs.
  truth.write(*srv, "t", {{"cpu,host=a", "v", 1.5, t0 + kSecond}, {"cpu,host=a", "v", 7.0, t0 + 10 * kSecond}});
  const std::int64_t cut = t0 + 3 * kSecond;
  srv->query(fmt::format("DELETE FROM cpu WHERE time < {}", cut), "t");
  truth.remove("cpu", std::numeric_limits<std::int64_t>::min(), cut - 1);

  // Right away (influxd's compactor rewrites a tombstoned file within seconds): the TSM file's
  // tombstone names both cpu keys, the one only the TSM file held included.
  const fs::path tombstone = ifx::tsm::tombstone_path_for(tsm_files[0]);
  auto records = ifx::tsm::read_tombstones(tombstone);
  if (records.has_value()) {
    std::map<std::string, std::int64_t> tombstoned;
    for (const auto& t : *records)
      if (t.max == cut - 1) tombstoned[t.key] = t.min;
    EXPECT_EQ(tombstoned.size(), 2u);
    EXPECT_TRUE(tombstoned.count("cpu,host=a#!~#v"));
    EXPECT_TRUE(tombstoned.count("cpu,host=b#!~#v"));
  } else {
    // Compacted already: the file is gone, its successor holds the points the tombstone left.
    EXPECT_FALSE(fs::exists(tsm_files[0])) << records.error().describe();
    GTEST_LOG_(INFO) << "the compactor rewrote the tombstoned file before it could be read";
  }
  srv->kill();

  // The WAL's delete-range names the cache's key only.
  const auto r = replay(shard_wal_dir(*srv, "t", shard));
  const auto logged = delete_mins(r, cut - 1);
  EXPECT_EQ(logged.size(), 1u);
  EXPECT_TRUE(logged.count("cpu,host=a#!~#v"));
  EXPECT_EQ(r.deletes.size(), 1u);

  // Together: the TSM files with their tombstones, the WAL's deletes applied to them (a repeat),
  // then the replayed cache over them, are what was written minus what was deleted.
  std::vector<ifx::tsm::TsmFileRef> refs;
  for (const auto& p : tsm_files_in(data)) {
    const fs::path t = ifx::tsm::tombstone_path_for(p);
    refs.push_back({p, fs::exists(t) ? std::optional<fs::path>(t) : std::nullopt});
  }
  auto sp = ifx::tsm::ShardPoints::open(refs);
  ASSERT_TRUE(sp.has_value()) << sp.error().describe();
  Keys merged;
  ifx::tsm::KeyInfo info;
  for (;;) {
    auto more = sp->next_key(info);
    ASSERT_TRUE(more.has_value()) << more.error().describe();
    if (!*more) break;
    auto cursor = sp->open_cursor(info);
    ifx::tsm::DecodedBlock batch;
    for (;;) {
      auto got = cursor.next(batch);
      ASSERT_TRUE(got.has_value()) << got.error().describe();
      if (!*got) break;
      add_points(merged[info.key], batch);
    }
  }
  for (const auto& d : r.deletes) {
    if (auto it = merged.find(d.key); it != merged.end())
      std::erase_if(it->second, [&](const auto& tv) { return tv.first >= d.min && tv.first <= d.max; });
  }
  std::erase_if(merged, [](const auto& kv) { return kv.second.empty(); });
  for (const auto& kv : r.keys) add_points(merged[kv.key], kv.values);
  EXPECT_EQ(merged, truth.keys()) << "merged:\n" << describe(merged) << "written:\n" << describe(truth.keys());
}

}  // namespace
