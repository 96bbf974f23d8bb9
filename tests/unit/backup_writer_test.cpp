// BackupWriter: the portable and legacy layouts as influxd writes them, read back through
// open_backup_set and the archive reader, with SHA-256 and scope recorded in the manifest.
#include "ifx/format/backup/backup_writer.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <random>

#include <fmt/format.h>

#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/io/checksum.hpp"
#include "ifx/format/meta/meta_envelope.hpp"
#include "ifx/format/archive/shard_archive.hpp"
#include "support/bytes.hpp"
#include "support/paths.hpp"

namespace ifx {
namespace {

using ifx::test::bytes_of;

// The uncompressed tar bytes of an archive, through our reader's decoder: every entry's data.
std::vector<std::pair<std::string, std::string>> entries_of(const std::filesystem::path& p) {
  auto r = ShardArchiveReader::open(p);
  EXPECT_TRUE(r) << r.error().message;
  std::vector<std::pair<std::string, std::string>> out;
  ArchiveEntry e;
  while (true) {
    auto more = r->next(e);
    EXPECT_TRUE(more) << more.error().message;
    if (!more || !*more) break;
    std::string data(e.size, '\0');
    std::size_t got = 0;
    while (got < data.size()) {
      auto n = r->read({reinterpret_cast<std::uint8_t*>(data.data()) + got, data.size() - got});
      EXPECT_TRUE(n && *n > 0);
      if (!n || *n == 0) break;
      got += *n;
    }
    out.emplace_back(e.name, std::move(data));
  }
  return out;
}

TEST(BackupWriter, PortableBaseNameIsGoLayoutInUtc) {
  EXPECT_EQ(portable_base_name(1'795'000'000'123'456'789LL), "20261118T110640Z");
  EXPECT_EQ(portable_base_name(0), "19700101T000000Z");
  EXPECT_EQ(portable_base_name(-1), "19691231T235959Z");  // floor, not truncation toward 0
}

// A fixture's raw legacy tar (as influxd sent it) stored pass-through into a portable backup,
// next to the fixture's meta: influxd's own layout, readable by every reader we have.
TEST(BackupWriter, PortableLayoutRoundTrips) {
  test::ScratchDir dir;
  auto out = dir.path() / "backup";
  std::string tar = test::read_file(test::fixture("legacy-db") / "plain.autogen.00009.00");
  auto legacy_meta = meta::read_legacy_meta_file(test::fixture("legacy-db") / "meta.00");
  ASSERT_TRUE(legacy_meta) << legacy_meta.error().message;

  auto w = PortableBackupWriter::create(out, {.base = "20261124T101010Z", .created_by = "unit test"});
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE(w->write_meta(legacy_meta->blob));
  auto a = w->open_shard("plain", "autogen", 9);
  ASSERT_TRUE(a) << a.error().message;
  // Nothing under the final name before finish().
  EXPECT_FALSE(std::filesystem::exists(out / "20261124T101010Z.s9.tar.gz"));
  ASSERT_TRUE(a->write_tar_stream(bytes_of(tar)));
  auto size = a->finish();
  ASSERT_TRUE(size) << size.error().message;
  EXPECT_EQ(*size, tar.size());
  w->add_shard("plain", "autogen", 9, *size, *a);
  BackupScope scope{
      .database = "plain", .retention_policy = {}, .shard = {}, .start_ns = {}, .end_ns = {}, .since_ns = {}};
  auto manifest = w->finish(scope);
  ASSERT_TRUE(manifest) << manifest.error().message;
  const auto manifest_path = out / *manifest;

  auto m = read_manifest_file(manifest_path);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->files.size(), 1u);
  EXPECT_EQ(m->files[0].file_name, "20261124T101010Z.s9.tar.gz");
  EXPECT_EQ(m->files[0].size, static_cast<std::int64_t>(tar.size()));
  EXPECT_EQ(m->meta.size, static_cast<std::int64_t>(legacy_meta->blob.size()));
  auto sha = sha256_file(out / "20261124T101010Z.s9.tar.gz");
  ASSERT_TRUE(sha);
  EXPECT_EQ(m->files[0].extra.at("sha256"), *sha);
  EXPECT_EQ(m->meta.extra.at("sha256"), *sha256_file(out / "20261124T101010Z.meta"));
  EXPECT_EQ(m->extra.at("scope").at("database"), "plain");
  EXPECT_TRUE(m->extra.at("scope").at("shard").is_null());
  EXPECT_EQ(m->extra.at("created_by"), "unit test");
  EXPECT_EQ(std::filesystem::status(manifest_path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  auto set = open_backup_set(out);
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->format, BackupFormat::Portable);
  EXPECT_TRUE(set->problems.empty());
  EXPECT_EQ(set->meta_blob, legacy_meta->blob);
  ASSERT_NE(set->find_shard(9), nullptr);
  // The stored tar is the received one, byte for byte: same entries and data.
  std::string raw = (dir.path() / "raw.tar").string();
  test::write_file(raw, tar);
  EXPECT_EQ(entries_of(out / "20261124T101010Z.s9.tar.gz"), entries_of(raw));
  // gzip(1) agrees the file is sound.
  EXPECT_EQ(std::system(("gzip -t " + (out / "20261124T101010Z.s9.tar.gz").string()).c_str()), 0);

  // A second writer for the same base refuses: that backup is complete.
  auto again = PortableBackupWriter::create(out, {.base = "20261124T101010Z"});
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("already holds"), std::string::npos);
}

// Several MiB through 1, 2 and 4 compression threads: many gzip members, identical content.
TEST(BackupWriter, ParallelGzipMembersDecodeToTheSameTar) {
  test::ScratchDir dir;
  std::mt19937_64 rng(42);
  std::string data(5 * (1 << 20) + 12345, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(rng() % 7);  // compressible
  std::vector<std::vector<std::pair<std::string, std::string>>> results;
  for (int threads : {1, 2, 4}) {
    auto out = dir.path() / fmt::format("t{}", threads);
    auto w = PortableBackupWriter::create(out, {.base = "20261124T101010Z", .threads = threads});
    ASSERT_TRUE(w);
    auto a = w->open_shard("db", "rp", 3);
    ASSERT_TRUE(a);
    ASSERT_TRUE(a->begin_entry({"db/rp/3/000000001-000000001.tsm", data.size(), 0644, 1000}));
    // Odd-sized writes, so chunk boundaries fall inside writes.
    for (std::size_t off = 0; off < data.size(); off += 77777) ASSERT_TRUE(a->write(bytes_of(data.substr(off, 77777))));
    auto size = a->finish();
    ASSERT_TRUE(size) << size.error().message;
    auto file = out / "20261124T101010Z.s3.tar.gz";
    EXPECT_EQ(std::system(("gzip -t " + file.string()).c_str()), 0) << threads;
    EXPECT_LT(std::filesystem::file_size(file), data.size() / 2);
    results.push_back(entries_of(file));
    ASSERT_EQ(results.back().size(), 1u);
    EXPECT_EQ(results.back()[0].second, data);
  }
}

TEST(BackupWriter, ZstdAndUncompressedArchivesAreNamedByTheirCompression) {
  for (const auto& [compression, suffix] :
       {std::pair{ArchiveCompression::zstd, ".tar.zst"}, std::pair{ArchiveCompression::none, ".tar"}}) {
    test::ScratchDir dir;
    auto w = PortableBackupWriter::create(dir.path() / "b", {.base = "20261124T101010Z", .compression = compression});
    ASSERT_TRUE(w);
    const std::string name = std::string("20261124T101010Z.s12") + suffix;
    EXPECT_EQ(w->shard_file_name("db", "rp", 12), name);
    auto a = w->open_shard("db", "rp", 12);
    ASSERT_TRUE(a);
    ASSERT_TRUE(a->begin_entry({"db/rp/12/x.tsm", 3, 0644, 0}));
    ASSERT_TRUE(a->write(bytes_of("abc")));
    ASSERT_TRUE(a->finish());
    auto e = entries_of(dir.path() / "b" / name);
    ASSERT_EQ(e.size(), 1u) << name;
    EXPECT_EQ(e[0].second, "abc") << name;
    if (compression == ArchiveCompression::none)
      EXPECT_EQ(test::read_file(dir.path() / "b" / name).substr(0, 14), "db/rp/12/x.tsm")
          << "a tar header first, nothing around it";
  }
}

TEST(BackupWriter, EveryArchiveNameParsesBackToItsShardAndCompression) {
  for (auto c : {ArchiveCompression::gzip, ArchiveCompression::zstd, ArchiveCompression::none}) {
    const auto name = portable_shard_file("20261124T101010Z", 7, c);
    auto parsed = parse_portable_file(name);
    ASSERT_TRUE(parsed) << name;
    EXPECT_EQ(parsed->kind, PortableFileKind::shard_archive) << name;
    EXPECT_EQ(parsed->shard_id, 7u) << name;
    EXPECT_EQ(parsed->compression, c) << name;
  }
  EXPECT_EQ(portable_shard_tar_name("20261124T101010Z", 7), "20261124T101010Z.s7.tar");
  EXPECT_FALSE(parse_portable_file("20261124T101010Z.s7.tar.pending"));
  EXPECT_FALSE(parse_portable_file("20261124T101010Z.s.tar"));
}

TEST(BackupWriter, AbandonedArchiveLeavesNothing) {
  test::ScratchDir dir;
  auto w = PortableBackupWriter::create(dir.path() / "b", {.base = "20261124T101010Z"});
  ASSERT_TRUE(w);
  {
    auto a = w->open_shard("db", "rp", 1);
    ASSERT_TRUE(a);
    ASSERT_TRUE(a->write_tar_stream(bytes_of(std::string(4096, 'x'))));
  }  // never finished: a cut connection
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() / "b"));
  // And the manifest cannot be written without a meta file.
  EXPECT_FALSE(w->finish({}));
}

// Every file of a backup is 0600, the meta files holding the users' password hashes included
// (influxd writes those 0644), whatever the umask lets through.
TEST(BackupWriter, EveryFileIsReadableByItsOwnerOnly) {
  test::ScratchDir dir;
  const std::string tar = test::read_file(test::fixture("legacy-db") / "plain.autogen.00009.00");
  auto legacy_meta = meta::read_legacy_meta_file(test::fixture("legacy-db") / "meta.00");
  ASSERT_TRUE(legacy_meta) << legacy_meta.error().message;
  const mode_t umask_before = ::umask(0);
  for (auto format : {BackupFormat::Portable, BackupFormat::Legacy}) {
    const auto out = dir.path() / std::string(to_string(format));
    auto w = create_backup_writer(out, {.format = format, .base = "20261124T101010Z"});
    ASSERT_TRUE(w) << w.error().message;
    ASSERT_TRUE((*w)->write_meta(legacy_meta->blob));
    auto a = (*w)->open_shard("plain", "autogen", 9);
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_TRUE(a->write_tar_stream(bytes_of(tar)));
    auto size = a->finish();
    ASSERT_TRUE(size) << size.error().message;
    (*w)->add_shard("plain", "autogen", 9, *size, *a);
    ASSERT_TRUE((*w)->finish(std::nullopt));
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(out)) {
      ++files;
      EXPECT_EQ(e.status().permissions() & std::filesystem::perms::all,
                std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
          << e.path();
    }
    EXPECT_EQ(files, format == BackupFormat::Portable ? 3u : 2u);
  }
  ::umask(umask_before);
}

TEST(BackupWriter, LegacyIncrementsNumberLikeInfluxd) {
  test::ScratchDir dir;
  auto out = dir.path() / "legacy";
  std::string meta_bytes = test::read_file(test::fixture("legacy-db") / "meta.00");
  std::string tar9 = test::read_file(test::fixture("legacy-db") / "plain.autogen.00009.00");
  auto legacy_meta = meta::parse_legacy_meta(meta_bytes);
  ASSERT_TRUE(legacy_meta);
  auto w = LegacyBackupWriter::create(out);
  ASSERT_TRUE(w);
  for (int run = 0; run < 3; ++run) {
    auto meta_name = w->write_meta(legacy_meta->blob, legacy_meta->node_json);
    ASSERT_TRUE(meta_name) << meta_name.error().message;
    EXPECT_EQ(*meta_name, fmt::format("meta.{:02}", run));
    EXPECT_EQ(w->shard_file_name("plain", "autogen", 9), fmt::format("plain.autogen.00009.{:02}", run));
    auto a = w->open_shard("plain", "autogen", 9);
    ASSERT_TRUE(a);
    ASSERT_TRUE(a->write_tar_stream(bytes_of(tar9)));
    ASSERT_TRUE(a->finish());
  }
  // Stored verbatim (§2.4) and read as a legacy backup with three increments of shard 9.
  EXPECT_EQ(test::read_file(out / "plain.autogen.00009.02"), tar9);
  EXPECT_EQ(test::read_file(out / "meta.01"), meta_bytes);
  auto set = open_backup_set(out);
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->format, BackupFormat::Legacy);
  EXPECT_EQ(set->meta_file, "meta.02");
  ASSERT_NE(set->find_shard(9), nullptr);
  EXPECT_EQ(set->find_shard(9)->archives.size(), 3u);
  EXPECT_EQ(w->shard_file_name("plain", "autogen", 123456), "plain.autogen.123456.00");
}

}  // namespace
}  // namespace ifx
