// Shard archives (docs/FORMATS.md §2.4, §3.3, §4.1, §4.4, §4.4.1): the writer's bytes against the
// layout Go's archive/tar produces, round trips through none/gzip/zstd, and the reader's
// verdict on damaged and hostile archives made without our writer (support/archive_builder.hpp:
// an independent USTAR encoder, zlib's own gzip, libzstd's one-shot compressor).
#include "ifx/format/archive/shard_archive.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "support/bytes.hpp"
#include "support/archive_builder.hpp"
#include "support/paths.hpp"

using namespace std::string_literals;

namespace {

using ifx::test::bytes_of;

using ifx::ArchiveCompression;
using ifx::ArchiveEntry;
using ifx::Result;
using ifx::ShardArchiveReader;
using ifx::ShardArchiveReaderOptions;
using ifx::ShardArchiveWriter;
using ifx::ShardArchiveWriterOptions;
using ifx::test::read_file;
using ifx::test::ScratchDir;
using ifx::test::write_file;

const std::string kTsm = "db/rp/1/000000001-000000001.tsm";

using ifx::test::ArchiveFile;
using ifx::test::tar_entry;
using ifx::test::tar_of;
using ifx::test::zlib_gzip;
using ifx::test::zstd_compress;
const std::string& kEnd = ifx::test::kTarEnd;

// --- Reading everything, in small pieces. ------------------------------------------------

struct Outcome {
  std::vector<ArchiveEntry> entries;
  std::vector<std::string> data;
  std::optional<ifx::Error> error;
  std::vector<std::string> duplicates;
  std::uint64_t uncompressed = 0, compressed = 0;
  ArchiveCompression compression = ArchiveCompression::none;
};

Outcome read_all(const std::filesystem::path& path, ShardArchiveReaderOptions options = {}, std::size_t chunk = 1000) {
  Outcome o;
  auto reader = ShardArchiveReader::open(path, options);
  if (!reader) {
    o.error = reader.error();
    return o;
  }
  o.compression = reader->compression();
  std::vector<std::uint8_t> buf(chunk);
  ArchiveEntry entry;
  while (true) {
    auto more = reader->next(entry);
    if (!more) {
      o.error = more.error();
      break;
    }
    if (!*more) break;
    o.entries.push_back(entry);
    std::string data;
    while (true) {
      auto n = reader->read(buf);
      if (!n) {
        o.error = n.error();
        break;
      }
      if (*n == 0) break;
      data.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    o.data.push_back(data);
    if (o.error) break;
  }
  o.duplicates = reader->duplicate_names();
  o.uncompressed = reader->uncompressed_bytes();
  o.compressed = reader->compressed_bytes();
  return o;
}

Outcome read_bytes(const ScratchDir& dir, const std::string& file_bytes, ShardArchiveReaderOptions options = {}) {
  auto path = dir / "archive";
  write_file(path, file_bytes);
  return read_all(path, options);
}

// The archive `file` in `dir` holding `items`, through the writer.
std::filesystem::path write_archive(const ScratchDir& dir, const std::string& file,
                                    const std::vector<ArchiveFile>& items, ShardArchiveWriterOptions options = {},
                                    std::uint64_t* tar_bytes = nullptr) {
  const std::uint64_t total = ifx::test::write_shard_archive(dir / file, items, options);
  if (tar_bytes) *tar_bytes = total;
  return dir / file;
}

#define EXPECT_ERROR(outcome, code_, entry_, offset_)                                                         \
  do {                                                                                                        \
    ASSERT_TRUE((outcome).error.has_value()) << "expected " << code_;                                         \
    EXPECT_EQ(ifx::to_string((outcome).error->code), code_) << (outcome).error->describe();                   \
    EXPECT_EQ((outcome).error->entry, entry_) << (outcome).error->describe();                                 \
    EXPECT_EQ((outcome).error->offset, std::optional<std::uint64_t>(offset_)) << (outcome).error->describe(); \
  } while (0)

// --- Entry names. ------------------------------------------------------------------------

TEST(ShardEntryName, SplitsTheFourComponents) {
  auto n = ifx::parse_shard_entry_name("app db/autogen/11/000000001-000000001.tsm");
  ASSERT_TRUE(n) << n.error().describe();
  EXPECT_EQ(n->db, "app db");
  EXPECT_EQ(n->rp, "autogen");
  EXPECT_EQ(n->shard_id, 11u);
  EXPECT_EQ(n->file, "000000001-000000001.tsm");
}

TEST(ShardEntryName, RejectsEverythingElse) {
  for (const char* bad :
       {"../x", "/abs", "/db/rp/1/f", "db/rp/1/../../x", "db/rp/notanumber/f", "db/rp/1/sub/f", "db/rp/1/", "db//1/f",
        "db/rp/1", "db/rp/-1/f", "db/rp/+1/f", "db/rp/1/..", "db/rp/1/.", "db/rp/99999999999999999999/f", ""}) {
    auto n = ifx::parse_shard_entry_name(bad);
    ASSERT_FALSE(n) << bad;
    EXPECT_EQ(n.error().code, ifx::ErrorCode::unsafe_path) << bad;
    EXPECT_EQ(n.error().entry, bad);
  }
}

TEST(Compression, IsDetectedByMagicBytes) {
  const std::uint8_t gz[] = {0x1f, 0x8b, 0x08}, zst[] = {0x28, 0xb5, 0x2f, 0xfd}, tar[] = {'d', 'b'};
  EXPECT_EQ(ifx::detect_compression(gz), ArchiveCompression::gzip);
  EXPECT_EQ(ifx::detect_compression(zst), ArchiveCompression::zstd);
  EXPECT_EQ(ifx::detect_compression(tar), ArchiveCompression::none);
}

// --- Writer bytes (§4.1, §3.3). ------------------------------------------------------------

TEST(ShardArchiveWriter, WritesUstarHeadersLikeGo) {
  ScratchDir dir;
  ShardArchiveWriterOptions o;
  o.compression = ArchiveCompression::none;
  std::uint64_t total = 0;
  auto path = write_archive(dir, "db.rp.00001.00", {{kTsm, ifx::test::incompressible_bytes(21504)}}, o, &total);
  std::string tar = read_file(path);
  // §2.4: 23040 = 512 header + 21504 data + 1024 trailer, no record padding.
  ASSERT_EQ(tar.size(), 23040u);
  EXPECT_EQ(total, 23040u);
  std::string h = tar.substr(0, 512);
  EXPECT_EQ(h.substr(0, 100), kTsm + std::string(100 - kTsm.size(), '\0'));
  EXPECT_EQ(h.substr(100, 8), std::string("0000644\0", 8));
  EXPECT_EQ(h.substr(108, 8), std::string("0000000\0", 8));
  EXPECT_EQ(h.substr(116, 8), std::string("0000000\0", 8));
  EXPECT_EQ(h.substr(124, 12), std::string("00000052000\0", 12));
  EXPECT_EQ(h.substr(136, 12), std::string("14524770400\0", 12));  // 1700000000
  EXPECT_EQ(h[156], '0');
  EXPECT_EQ(h.substr(157, 100), std::string(100, '\0'));
  EXPECT_EQ(h.substr(257, 8), std::string("ustar\0"
                                          "00",
                                          8));
  EXPECT_EQ(h.substr(265, 32), "root" + std::string(28, '\0'));
  EXPECT_EQ(h.substr(297, 32), "root" + std::string(28, '\0'));
  EXPECT_EQ(h.substr(329, 8), std::string("0000000\0", 8));
  EXPECT_EQ(h.substr(337, 8), std::string("0000000\0", 8));
  EXPECT_EQ(h.substr(345, 167), std::string(167, '\0'));
  // Checksum "NNNNNN\0 " over the block with the field read as spaces.
  std::string blank = h;
  blank.replace(148, 8, 8, ' ');
  unsigned sum = 0;
  for (unsigned char c : blank) sum += c;
  EXPECT_EQ(h.substr(148, 8), fmt::format("{:06o}", sum) + std::string("\0 ", 2));
  EXPECT_EQ(tar.substr(512, 21504), ifx::test::incompressible_bytes(21504));
  EXPECT_EQ(tar.substr(22016), kEnd);
}

TEST(ShardArchiveWriter, SplitsLongNamesIntoTheUstarPrefix) {
  ScratchDir dir;
  std::string db(150, 'd');
  std::string name = db + "/autogen/22/000000001-000000001.tsm";
  ShardArchiveWriterOptions o;
  o.compression = ArchiveCompression::none;
  auto path = write_archive(dir, "long", {{name, "x"}}, o);
  std::string tar = read_file(path);
  ASSERT_EQ(tar.size(), 512u + 512 + 1024);  // no PAX header
  std::string suffix = "autogen/22/000000001-000000001.tsm";
  EXPECT_EQ(tar.substr(0, 100), suffix + std::string(100 - suffix.size(), '\0'));
  EXPECT_EQ(tar.substr(345, 155), db + std::string(5, '\0'));
  auto o2 = read_all(path);
  ASSERT_FALSE(o2.error) << o2.error->describe();
  ASSERT_EQ(o2.entries.size(), 1u);
  EXPECT_EQ(o2.entries[0].name, name);
  EXPECT_EQ(o2.entries[0].shard.db, db);
}

TEST(ShardArchiveWriter, UsesAPaxHeaderForNonAsciiNames) {
  ScratchDir dir;
  std::string name = "d\xc3\xa9j\xc3\xa0/rp/7/000000001-000000001.tsm";  // "déjà"
  ShardArchiveWriterOptions o;
  o.compression = ArchiveCompression::none;
  auto path = write_archive(dir, "pax", {{name, "abc"}}, o);
  std::string tar = read_file(path);
  ASSERT_EQ(tar.size(), 512u + 512 + 512 + 512 + 1024);
  std::string pax_name = "dj/rp/7/PaxHeaders.0/000000001-000000001.tsm";
  EXPECT_EQ(tar.substr(0, 100), pax_name + std::string(100 - pax_name.size(), '\0'));
  EXPECT_EQ(tar[156], 'x');
  std::string record = "44 path=" + name + "\n";
  ASSERT_EQ(record.size(), 44u);
  EXPECT_EQ(tar.substr(124, 12), fmt::format("{:011o}", record.size()) + std::string(1, '\0'));
  EXPECT_EQ(tar.substr(100, 8), std::string("0000000\0", 8));
  EXPECT_EQ(tar.substr(265, 32), std::string(32, '\0'));  // no uname on the PAX header
  EXPECT_EQ(tar.substr(329, 16), std::string(16, '\0'));  // nor device numbers
  EXPECT_EQ(tar.substr(512, record.size()), record);
  // The main header keeps what fits in ASCII and no prefix.
  std::string main = tar.substr(1024, 512);
  std::string ascii = "dj/rp/7/000000001-000000001.tsm";
  EXPECT_EQ(main.substr(0, 100), ascii + std::string(100 - ascii.size(), '\0'));
  EXPECT_EQ(main[156], '0');
  EXPECT_EQ(main.substr(345, 155), std::string(155, '\0'));
  auto o2 = read_all(path);
  ASSERT_FALSE(o2.error) << o2.error->describe();
  ASSERT_EQ(o2.entries.size(), 1u);
  EXPECT_EQ(o2.entries[0].name, name);
  EXPECT_EQ(o2.data[0], "abc");
}

TEST(ShardArchiveWriter, WritesTheInfluxdGzipHeaderAndTrailer) {
  ScratchDir dir;
  ShardArchiveWriterOptions o;
  o.gzip_name = "20261124T060957Z.s1.tar";
  auto path = write_archive(dir, "20261124T060957Z.s1.tar.gz", {{kTsm, ifx::test::incompressible_bytes(5000)}}, o);
  std::string gz = read_file(path);
  std::string header = std::string("\x1f\x8b\x08\x08\x00\x09\x6e\x88\x00\xff", 10) + o.gzip_name + std::string(1, '\0');
  EXPECT_EQ(gz.substr(0, header.size()), header);
  const std::string tar = ifx::test::zlib_gunzip(gz).value();  // zlib checks CRC-32 and ISIZE itself
  ASSERT_EQ(tar.size(), 512u + 5120 + 1024);
  EXPECT_EQ(tar.substr(512, 5000), ifx::test::incompressible_bytes(5000));
  std::uint32_t crc = static_cast<std::uint32_t>(::crc32(0, reinterpret_cast<const Bytef*>(tar.data()), tar.size()));
  std::string trailer = gz.substr(gz.size() - 8);
  EXPECT_EQ(trailer,
            std::string(reinterpret_cast<const char*>(&crc), 4) + std::string("\x00\x1a\x00\x00", 4));  // ISIZE 6656 LE
  EXPECT_FALSE(std::filesystem::exists(dir / "20261124T060957Z.s1.tar.gz.pending"));
}

// Each gzip member of `gz`, inflated by zlib (which checks its CRC-32 and ISIZE): its data and
// the type of its first deflate block (0 stored, 1 fixed, 2 dynamic Huffman).
struct GzipMember {
  std::string data;
  int first_block_type;
};
std::vector<GzipMember> gzip_members(const std::string& gz) {
  std::vector<GzipMember> members;
  std::size_t pos = 0;
  while (pos < gz.size()) {
    std::size_t deflate_at = pos + 10;
    if (gz[pos + 3] & 0x08) deflate_at = gz.find('\0', deflate_at) + 1;  // FNAME
    GzipMember m{"", (static_cast<unsigned char>(gz[deflate_at]) >> 1) & 3};
    z_stream z{};
    inflateInit2(&z, 31);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data() + pos));
    z.avail_in = static_cast<uInt>(gz.size() - pos);
    char buf[65536];
    int rc;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      rc = inflate(&z, Z_NO_FLUSH);
      m.data.append(buf, sizeof buf - z.avail_out);
    } while (rc == Z_OK);
    EXPECT_EQ(rc, Z_STREAM_END) << "member at " << pos;
    pos += z.total_in;
    inflateEnd(&z);
    if (rc != Z_STREAM_END) break;
    members.push_back(std::move(m));
  }
  return members;
}

// TSM blocks hardly shrink under deflate (~0.97); the default level stores such 1 MiB chunks
// and compresses the others, an explicit level compresses every chunk. Bytes drawn from 220
// values stand for the blocks (entropy 7.78 bits: Huffman coding gains ~2%), text for the index.
TEST(ShardArchiveWriter, StoresChunksThatHardlyCompressUnlessALevelIsGiven) {
  ScratchDir dir;
  std::string blocks = ifx::test::incompressible_bytes(3 << 20, 9);
  for (auto& c : blocks) c = static_cast<char>(static_cast<unsigned char>(c) % 220);
  std::string index;
  for (int i = 0; index.size() < (2u << 20); ++i)
    index += fmt::format("cpu,host=server{:04},region=r{} usage\n", i % 997, i % 7);
  const std::vector<ArchiveFile> items = {{kTsm, blocks + index}};
  for (bool default_level : {true, false}) {
    ShardArchiveWriterOptions o;
    if (!default_level) o.level = 1;
    const auto path = write_archive(dir, default_level ? "default.tar.gz" : "level1.tar.gz", items, o);
    const auto members = gzip_members(read_file(path));
    ASSERT_EQ(members.size(), 6u);  // 512 + 5 MiB + padding + 1024 bytes of tar in 1 MiB chunks
    std::string tar;
    for (const auto& m : members) tar += m.data;
    EXPECT_EQ(tar.substr(512, blocks.size() + index.size()), blocks + index);
    for (std::size_t i = 0; i < members.size(); ++i) {
      const bool block_chunk = i < 3;  // the first three megabytes are "blocks"
      EXPECT_EQ(members[i].first_block_type, default_level && block_chunk ? 0 : 2) << "member " << i;
    }
    auto out = read_all(path);
    ASSERT_FALSE(out.error) << out.error->describe();
    EXPECT_EQ(out.data[0], blocks + index);
  }
  // Storing costs the ~2% that Huffman coding would have saved on the "blocks", no more.
  const double stored = static_cast<double>(std::filesystem::file_size(dir / "default.tar.gz"));
  const double compressed = static_cast<double>(std::filesystem::file_size(dir / "level1.tar.gz"));
  EXPECT_GT(stored, compressed);
  EXPECT_LT(stored, compressed + 0.04 * blocks.size());
}

TEST(ShardArchiveWriter, WritesAnEmptyArchive) {
  ScratchDir dir;
  ShardArchiveWriterOptions plain;
  plain.compression = ArchiveCompression::none;
  EXPECT_EQ(read_file(write_archive(dir, "e.tar", {}, plain)), kEnd);
  auto gz = write_archive(dir, "e.tar.gz", {}, {});
  EXPECT_EQ(ifx::test::zlib_gunzip(read_file(gz)), kEnd);
  auto o = read_all(gz);
  ASSERT_FALSE(o.error) << o.error->describe();
  EXPECT_TRUE(o.entries.empty());
  EXPECT_EQ(o.uncompressed, 1024u);
  EXPECT_EQ(o.compressed, std::filesystem::file_size(gz));
}

TEST(ShardArchiveWriter, RefusesBadNamesAndWrongSizes) {
  ScratchDir dir;
  auto w = ShardArchiveWriter::create(dir / "a.tar.gz");
  ASSERT_TRUE(w);
  auto bad = w->begin_entry({"../x", 1, 0644, 0});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ifx::ErrorCode::invalid_argument);
  ASSERT_TRUE(w->begin_entry({kTsm, 3, 0644, 0}));
  auto too_much = w->write(bytes_of("abcd"));
  ASSERT_FALSE(too_much);
  EXPECT_EQ(too_much.error().code, ifx::ErrorCode::invalid_argument);
  ASSERT_TRUE(w->write(bytes_of("ab")));
  auto short_entry = w->finish();
  ASSERT_FALSE(short_entry);
  EXPECT_EQ(short_entry.error().entry, kTsm);
}

TEST(ShardArchiveWriter, LeavesNothingBehindWithoutFinish) {
  ScratchDir dir;
  {
    auto w = ShardArchiveWriter::create(dir / "a.tar.gz");
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->begin_entry({kTsm, 1, 0644, 0}));
    EXPECT_TRUE(std::filesystem::exists(dir / "a.tar.gz.pending"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "a.tar.gz.pending"));
  EXPECT_FALSE(std::filesystem::exists(dir / "a.tar.gz"));
}

TEST(ShardArchiveWriter, AddsFilesFromDisk) {
  ScratchDir dir;
  write_file(dir / "src.tsm", ifx::test::incompressible_bytes(70000, 3));
  ::chmod((dir / "src.tsm").c_str(), 0640);
  auto w = ShardArchiveWriter::create(dir / "a.tar.zst", {.compression = ArchiveCompression::zstd});
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->add_file(kTsm, dir / "src.tsm"));
  ASSERT_TRUE(w->finish());
  auto o = read_all(dir / "a.tar.zst");
  ASSERT_FALSE(o.error) << o.error->describe();
  ASSERT_EQ(o.entries.size(), 1u);
  EXPECT_EQ(o.entries[0].mode, 0640u);
  EXPECT_EQ(o.data[0], ifx::test::incompressible_bytes(70000, 3));
}

// --- Round trips. ------------------------------------------------------------------------

class RoundTrip : public ::testing::TestWithParam<ArchiveCompression> {};

TEST_P(RoundTrip, KeepsNamesDataAndCounts) {
  ScratchDir dir;
  std::vector<ArchiveFile> items = {
      {"app db/auto gen/11/000000001-000000001.tombstone", ""},
      {"app db/auto gen/11/000000001-000000001.tsm", ifx::test::incompressible_bytes(5 * 1000 * 1000, 5)},
      {"\xe6\x97\xa5\xe6\x9c\xac/rp/11/000000002-000000001.tsm", ifx::test::incompressible_bytes(513, 6)},
      {std::string(150, 'x') + "/autogen/22/000000001-000000001.tsm", ifx::test::incompressible_bytes(511, 7)},
  };
  ShardArchiveWriterOptions o;
  o.compression = GetParam();
  std::uint64_t tar_bytes = 0;
  auto path = write_archive(dir, "a", items, o, &tar_bytes);
  auto out = read_all(path, {}, 4096);
  ASSERT_FALSE(out.error) << out.error->describe();
  EXPECT_EQ(out.compression, GetParam());
  ASSERT_EQ(out.entries.size(), items.size());
  std::uint64_t expected_tar = 1024;
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(out.entries[i].name, items[i].name);
    EXPECT_EQ(out.entries[i].size, items[i].data.size());
    EXPECT_EQ(out.entries[i].mode, 0644u);
    EXPECT_EQ(out.entries[i].mtime, 1700000000);
    EXPECT_TRUE(out.data[i] == items[i].data) << items[i].name;
    expected_tar += (i == 2 ? 1536 : 512)  // PAX: 'x' header, records, main header
                    + (items[i].data.size() + 511) / 512 * 512;
  }
  EXPECT_EQ(out.entries[1].header_offset, 512u);
  EXPECT_EQ(tar_bytes, expected_tar);
  EXPECT_EQ(out.uncompressed, tar_bytes);  // the manifest size (§3.4)
  EXPECT_EQ(out.compressed, std::filesystem::file_size(path));
  EXPECT_TRUE(out.duplicates.empty());
}

INSTANTIATE_TEST_SUITE_P(AllCompressions, RoundTrip,
                         ::testing::Values(ArchiveCompression::none, ArchiveCompression::gzip,
                                           ArchiveCompression::zstd));

TEST(ShardArchiveReader, SkipsUnreadDataAndCopiesToAFileDescriptor) {
  ScratchDir dir;
  auto path = write_archive(dir, "a.tar.gz",
                            {{"db/rp/1/a.tsm", ifx::test::incompressible_bytes(3000, 1)},
                             {"db/rp/1/b.tsm", ifx::test::incompressible_bytes(200000, 2)}});
  auto reader = ShardArchiveReader::open(path);
  ASSERT_TRUE(reader);
  ArchiveEntry e;
  ASSERT_TRUE(reader->next(e).value_or(false));
  ASSERT_TRUE(reader->next(e).value_or(false));  // a.tsm's data never read
  EXPECT_EQ(e.name, "db/rp/1/b.tsm");
  EXPECT_EQ(e.header_offset, 512u + 3072);
  int fd = ::open((dir / "spool").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  auto copied = reader->copy_to_fd(fd, dir / "spool");
  ::close(fd);
  ASSERT_TRUE(copied);
  EXPECT_EQ(*copied, 200000u);
  EXPECT_TRUE(read_file(dir / "spool") == ifx::test::incompressible_bytes(200000, 2));
  auto end = reader->next(e);
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end);

  // A copy that cannot be written names the file it was writing (not the archive) and the entry.
  auto again = ShardArchiveReader::open(path);
  ASSERT_TRUE(again);
  ASSERT_TRUE(again->next(e).value_or(false));
  int read_only = ::open((dir / "spool").c_str(), O_RDONLY);
  auto failed = again->copy_to_fd(read_only, dir / "spool");
  ::close(read_only);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ifx::ErrorCode::io);
  EXPECT_EQ(failed.error().file, (dir / "spool").string());
  EXPECT_NE(failed.error().message.find("db/rp/1/a.tsm"), std::string::npos) << failed.error().message;
}

// The member's end falls exactly where the reader's 64 KiB output buffer fills, with the whole
// file already consumed by the inflater (its read-ahead holds the trailer): the stream must still
// end cleanly, not as "cut short".
TEST(ShardArchiveReader, ReadsStreamsEndingExactlyAtAnOutputBufferBoundary) {
  ScratchDir dir;
  for (std::size_t blocks : {128u, 256u, 384u, 1024u}) {  // tar sizes of 64, 128, 192 and 512 KiB
    const std::size_t data_size = blocks * 512 - 512 - 1024;
    for (int level : {0, 1, 6, 9}) {
      for (unsigned kind = 0; kind < 2; ++kind) {
        const std::string data = kind == 0 ? ifx::test::incompressible_bytes(data_size, blocks)
                                           : std::string(data_size, 'a');
        const std::string tar = tar_of({{kTsm, data}});
        ASSERT_EQ(tar.size() % 65536, 0u);
        auto r = read_bytes(dir, zlib_gzip(tar, 0, level));
        ASSERT_FALSE(r.error) << "level " << level << ", " << tar.size() << " bytes: " << r.error->describe();
        ASSERT_EQ(r.data.size(), 1u);
        EXPECT_TRUE(r.data[0] == data);
      }
    }
  }
}

// igzip against zlib's encoder on random shapes: data sizes, repetitiveness, compression levels,
// sync-flushed chunks (pgzip-like) and the places where members are cut. Seeded: reproducible.
TEST(ShardArchiveReader, InflatesWhatZlibWroteInEveryShape) {
  ScratchDir dir;
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  auto next = [&x](std::uint64_t bound) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return bound ? x % bound : 0;
  };
  for (int round = 0; round < 120; ++round) {
    std::string data = ifx::test::incompressible_bytes(next(200 * 1024), round);
    for (std::size_t i = 0; i < data.size(); i += 1 + next(4096))  // runs of repeats compress
      std::fill_n(data.begin() + i, std::min<std::size_t>(next(3000), data.size() - i), 'r');
    const std::string tar = tar_of({{kTsm, data}});
    std::string gz;
    for (std::size_t pos = 0, members = 1 + next(4); pos < tar.size(); --members) {
      const std::size_t size = members <= 1 ? tar.size() - pos : std::min(tar.size() - pos, next(tar.size()));
      gz += zlib_gzip(tar.substr(pos, size), next(3) == 0 ? static_cast<int>(1 + next(70000)) : 0,
                      static_cast<int>(next(10)));
      pos += size;
    }
    auto r = read_bytes(dir, gz);
    ASSERT_FALSE(r.error) << "round " << round << ": " << r.error->describe();
    ASSERT_EQ(r.data.size(), 1u) << "round " << round;
    ASSERT_TRUE(r.data[0] == data) << "round " << round;
    EXPECT_EQ(r.compressed, gz.size()) << "round " << round;
  }
}

// open_fd reads from where the descriptor stands to its end, without seeking: a pipe fed by
// another thread, as ifx-backup's stream check does; errors name the given name.
TEST(ShardArchiveReader, ReadsAnArchiveFromAPipe) {
  const std::string tar = tar_of({{kTsm, ifx::test::incompressible_bytes(150000, 3)}});
  for (const std::string& bytes : {tar, zlib_gzip(tar), tar.substr(0, 70000)}) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::thread feeder([&bytes, fd = fds[1]] {
      for (std::size_t off = 0; off < bytes.size();) {
        const ssize_t n = ::write(fd, bytes.data() + off, std::min<std::size_t>(4096, bytes.size() - off));
        if (n <= 0) break;
        off += static_cast<std::size_t>(n);
      }
      ::close(fd);
    });
    auto reader = ShardArchiveReader::open_fd(fds[0], "received.tar");
    ASSERT_TRUE(reader) << reader.error().describe();
    ArchiveEntry e;
    auto more = reader->next(e);
    ASSERT_TRUE(more && *more);
    std::string data;
    std::vector<std::uint8_t> buf(8192);
    Result<std::size_t> n;
    while ((n = reader->read(buf)) && *n > 0) data.append(reinterpret_cast<const char*>(buf.data()), *n);
    if (bytes.size() == 70000) {  // cut short
      ASSERT_FALSE(n);
      EXPECT_EQ(n.error().code, ifx::ErrorCode::tar_truncated) << n.error().describe();
      EXPECT_EQ(n.error().file, "received.tar");
    } else {
      ASSERT_TRUE(n) << n.error().describe();
      EXPECT_TRUE(data == ifx::test::incompressible_bytes(150000, 3));
      auto end = reader->next(e);
      ASSERT_TRUE(end) << end.error().describe();
      EXPECT_FALSE(*end);
    }
    feeder.join();
  }
}

TEST(ShardArchiveReader, ReadsHandMadeArchives) {
  ScratchDir dir;
  // Legacy raw tar, with zero padding after the trailer as GNU tar writes it: accepted.
  std::string tar = tar_of({{kTsm, "hello"}}) + std::string(8192, '\0');
  auto plain = read_bytes(dir, tar);
  ASSERT_FALSE(plain.error) << plain.error->describe();
  ASSERT_EQ(plain.entries.size(), 1u);
  EXPECT_EQ(plain.data[0], "hello");
  EXPECT_EQ(plain.uncompressed, tar.size());
  // pgzip-like gzip: sync-flushed chunks then an empty final block (§3.3).
  auto gz = read_bytes(dir, zlib_gzip(tar, 1000));
  ASSERT_FALSE(gz.error) << gz.error->describe();
  EXPECT_EQ(gz.data[0], "hello");
  // Two gzip members one after the other, as `cat a.gz b.gz` gives.
  std::string half = tar.substr(0, 700);
  auto two = read_bytes(dir, zlib_gzip(half) + zlib_gzip(tar.substr(700)));
  ASSERT_FALSE(two.error) << two.error->describe();
  EXPECT_EQ(two.data[0], "hello");
  // A USTAR prefix written by someone else.
  std::string prefixed = tar_of({{.name = "1/f.tsm", .data = "hi", .prefix = "my db/rp"}});
  auto p = read_bytes(dir, prefixed);
  ASSERT_FALSE(p.error) << p.error->describe();
  EXPECT_EQ(p.entries[0].name, "my db/rp/1/f.tsm");
  // Raw UTF-8 bytes in the USTAR name field (no PAX record) come back unchanged.
  std::string utf8 = "\xe6\x97\xa5/rp/1/f.tsm";
  auto u = read_bytes(dir, tar_of({{utf8, "u"}}));
  ASSERT_FALSE(u.error) << u.error->describe();
  EXPECT_EQ(u.entries[0].name, utf8);
}

// The inflater reads ahead of the deflate data into its bit buffer, so the 8-byte trailer (and
// the next member's header) may already sit there, or straddle the reader's 64 KiB input
// buffer. Hundreds of members of every size — empty, one byte, stored (level 0), compressed —
// put member ends at every kind of position; the stream must read back exactly, and its
// trailers must still be checked.
TEST(ShardArchiveReader, ReadsManyMembersWhereverTheirBoundariesFall) {
  ScratchDir dir;
  const std::string data = ifx::test::incompressible_bytes(300 * 1024, 7) + std::string(40 * 1024, 'x');
  const std::string tar = tar_of({{kTsm, data}});
  std::string gz;
  std::size_t members = 0;
  for (std::size_t pos = 0, n = 0; pos < tar.size(); ++n, ++members) {
    const std::size_t size = std::min<std::size_t>(tar.size() - pos, n % 7 == 0 ? 0 : (n * 397) % 2900 + 1);
    gz += zlib_gzip(tar.substr(pos, size), 0, static_cast<int>(n % 3) * 3);  // levels 0, 3, 6
    pos += size;
  }
  ASSERT_GT(members, 200u);
  auto ok = read_bytes(dir, gz);
  ASSERT_FALSE(ok.error) << ok.error->describe();
  ASSERT_EQ(ok.data.size(), 1u);
  EXPECT_TRUE(ok.data[0] == data);
  EXPECT_EQ(ok.uncompressed, tar.size());
  EXPECT_EQ(ok.compressed, gz.size());

  // Every member's trailer is still checked: damage the CRC of one near the end.
  std::string damaged = gz;
  const std::string last = zlib_gzip(tar.substr(tar.size() - 1024), 0, 0);
  damaged += last;  // a member past the tar's end (zeros): the damage must still be found
  damaged[damaged.size() - 8] ^= 0x01;
  auto bad = read_bytes(dir, damaged);
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->code, ifx::ErrorCode::gzip_crc) << bad.error->describe();
  EXPECT_EQ(bad.error->offset, damaged.size() - 8) << bad.error->describe();

  // Bytes after the last member that do not start another one.
  auto trailing = read_bytes(dir, gz + "garbage");
  ASSERT_TRUE(trailing.error);
  EXPECT_EQ(trailing.error->code, ifx::ErrorCode::gzip_invalid) << trailing.error->describe();
  EXPECT_EQ(trailing.error->offset, gz.size()) << trailing.error->describe();
}

TEST(ShardArchiveReader, ReadsTheEmptyGzipInfluxdWrites) {
  ScratchDir dir;
  // §3.3: an empty export is a 58-byte file: header with FNAME, sync-flushed deflate data of a
  // 1024-byte tar, trailer. (zlib's deflate makes it 59 bytes; Go's flate one byte less.)
  std::string deflated = zlib_gzip(kEnd, 1024);
  std::string body = deflated.substr(10, deflated.size() - 18);
  // Header with FNAME, then the deflate body and trailer of the zlib stream.
  std::string file =
      "\x1f\x8b\x08\x08\x00\x09\x6e\x88\x00\xff"
      "20261124T060957Z.s1.tar\0"s;
  file += body;
  file += deflated.substr(deflated.size() - 8);
  auto o = read_bytes(dir, file);
  ASSERT_FALSE(o.error) << o.error->describe();
  EXPECT_TRUE(o.entries.empty());
  EXPECT_EQ(o.uncompressed, 1024u);
  EXPECT_EQ(o.compressed, file.size());
}

// --- Truncation (§4.4.1) and damage. -------------------------------------------------------

TEST(ShardArchiveReader, DetectsTarTruncationAtEveryInterestingOffset) {
  ScratchDir dir;
  std::string tar = tar_of({{"db/rp/1/a.tsm", ifx::test::incompressible_bytes(1000)}, {"db/rp/1/b.tsm", "xy"}});
  ASSERT_EQ(tar.size(), 3584u);
  struct Cut {
    std::size_t at;
    std::string entry;
  };
  for (Cut c : std::vector<Cut>{{0, ""},
                                {100, ""},
                                {511, ""},
                                {512, "db/rp/1/a.tsm"},  // header only: §4.4.1
                                {900, "db/rp/1/a.tsm"},
                                {1511, "db/rp/1/a.tsm"},
                                {1536, ""},  // before the second header
                                {1800, ""},
                                {2048, "db/rp/1/b.tsm"},
                                {2050, "db/rp/1/b.tsm"},  // data complete, padding missing
                                {2560, ""},               // no end-of-archive marker
                                {3072, ""},               // one zero block only
                                {3583, ""}}) {
    SCOPED_TRACE(c.at);
    auto o = read_bytes(dir, tar.substr(0, c.at));
    EXPECT_ERROR(o, "tar-truncated", c.entry, c.at);
    EXPECT_EQ(o.error->file, (dir / "archive").string());
    EXPECT_EQ(o.uncompressed, c.at);
  }
}

TEST(ShardArchiveReader, DetectsGzipTruncationAtEveryOffset) {
  ScratchDir dir;
  std::string tar = tar_of({{"db/rp/1/a.tsm", ifx::test::incompressible_bytes(3000)}});
  std::string gz = zlib_gzip(tar);
  for (std::size_t cut = 2; cut < gz.size(); ++cut) {
    SCOPED_TRACE(cut);
    auto o = read_bytes(dir, gz.substr(0, cut));
    EXPECT_ERROR(o, "gzip-truncated", "", cut);
  }
}

TEST(ShardArchiveReader, DetectsADamagedGzipTrailer) {
  ScratchDir dir;
  std::string gz = zlib_gzip(tar_of({{kTsm, ifx::test::incompressible_bytes(3000)}}));
  std::string bad_crc = gz;
  bad_crc[gz.size() - 8] ^= 0x01;
  auto o = read_bytes(dir, bad_crc);
  EXPECT_ERROR(o, "gzip-crc", "", gz.size() - 8);
  EXPECT_THAT(o.error->message, ::testing::HasSubstr("CRC-32"));
  ASSERT_EQ(o.entries.size(), 1u);  // the entry itself read fine before the trailer
  std::string bad_size = gz;
  bad_size[gz.size() - 3] ^= 0x01;
  EXPECT_ERROR(read_bytes(dir, bad_size), "gzip-crc", "", gz.size() - 4);
  // Garbage after the gzip stream.
  EXPECT_ERROR(read_bytes(dir, gz + "junk"), "gzip-invalid", "", gz.size());
}

TEST(ShardArchiveReader, DetectsDamageInsideTheDeflateData) {
  ScratchDir dir;
  std::string text;
  for (int i = 0; i < 200; ++i) text += fmt::format("cpu,host=h{} value={}\n", i % 7, i * 31);
  std::string gz = zlib_gzip(tar_of({{kTsm, ifx::test::incompressible_bytes(300) + text}}));
  int invalid = 0, crc = 0, harmless = 0;
  for (std::size_t i = 10; i < gz.size() - 8; ++i) {
    std::string bad = gz;
    bad[i] ^= 0x10;
    auto o = read_bytes(dir, bad);
    // Some flips change nothing (unused padding bits, an unused code length): zlib's own gzip
    // reader then accepts the file too, and so must we.
    if (ifx::test::zlib_gunzip(bad)) {
      EXPECT_FALSE(o.error) << "flip at " << i << ": " << o.error->describe();
      ++harmless;
      continue;
    }
    ASSERT_TRUE(o.error) << "flip at " << i << " went unnoticed";
    // Either inflate rejects the data, or it decodes to other bytes and the CRC-32 says so (or
    // the stream ends early and the trailer is cut short).
    EXPECT_THAT(o.error->code, ::testing::AnyOf(ifx::ErrorCode::gzip_invalid, ifx::ErrorCode::gzip_crc,
                                                ifx::ErrorCode::gzip_truncated))
        << "flip at " << i << ": " << o.error->describe();
    invalid += o.error->code == ifx::ErrorCode::gzip_invalid;
    crc += o.error->code == ifx::ErrorCode::gzip_crc;
  }
  EXPECT_GT(invalid, 0);
  EXPECT_GT(crc, 0);
  EXPECT_LT(harmless, 10);
}

TEST(ShardArchiveReader, DetectsABadHeaderChecksum) {
  ScratchDir dir;
  std::string tar = tar_of({{"db/rp/1/a.tsm", "abc"}, {"db/rp/1/b.tsm", "def"}});
  tar[1024 + 150] ^= 0x01;  // second header's checksum field
  EXPECT_ERROR(read_bytes(dir, tar), "tar-header", "", 1024u);
  // Inside a well-formed gzip, the tar is still to blame.
  EXPECT_ERROR(read_bytes(dir, zlib_gzip(tar)), "tar-header", "", 1024u);
  // Non-zero bytes after the end-of-archive marker, and a zero block followed by data.
  std::string ok = tar_of({{"db/rp/1/a.tsm", "abc"}});
  EXPECT_ERROR(read_bytes(dir, ok + "x"), "tar-header", "", 1024u);
  EXPECT_ERROR(read_bytes(dir, tar_entry({"db/rp/1/a.tsm", "abc"}) + std::string(512, '\0') +
                                   tar_of({{"db/rp/1/b.tsm", "def"}})),
               "tar-header", "", 1024u);
}

TEST(ShardArchiveReader, RejectsHostileEntries) {
  ScratchDir dir;
  const std::string good = tar_entry({"db/rp/1/ok.tsm", "ok"});
  struct Case {
    std::string entry;
    std::string name;
  };
  std::vector<Case> cases = {
      {tar_entry({"../x", "evil"}), "../x"},
      {tar_entry({"/abs", "evil"}), "/abs"},
      {tar_entry({"db/rp/1/../../x", "evil"}), "db/rp/1/../../x"},
      {tar_entry({"db/rp/notanumber/f", "evil"}), "db/rp/notanumber/f"},
      {tar_entry({"db/rp/1/sub/f", "evil"}), "db/rp/1/sub/f"},
      {tar_entry({"db/rp/1/link", "", '2', "/etc/passwd"}), "db/rp/1/link"},
      {tar_entry({"db/rp/1/hard", "", '1', "db/rp/1/ok.tsm"}), "db/rp/1/hard"},
      {tar_entry({"db/rp/1/chr", "", '3'}), "db/rp/1/chr"},
      {tar_entry({"db/rp/1/blk", "", '4'}), "db/rp/1/blk"},
      {tar_entry({"db/rp/1/fifo", "", '6'}), "db/rp/1/fifo"},
      {tar_entry({"db/rp/1/dir/", "", '5'}), "db/rp/1/dir/"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto o = read_bytes(dir, good + c.entry + kEnd);
    EXPECT_ERROR(o, "unsafe-path", c.name, 1024u);
    EXPECT_EQ(o.entries.size(), 1u);
    auto gz = read_bytes(dir, zlib_gzip(good + c.entry + kEnd));
    EXPECT_ERROR(gz, "unsafe-path", c.name, 1024u);
  }
}

TEST(ShardArchiveReader, ChecksTheExpectedShard) {
  ScratchDir dir;
  std::string tar = tar_of({{"db/rp/1/a.tsm", "a"}, {"db/rp/2/b.tsm", "b"}});
  ShardArchiveReaderOptions o;
  o.expect = {"db", "rp", 1};
  auto r = read_bytes(dir, tar, o);
  EXPECT_ERROR(r, "unsafe-path", "db/rp/2/b.tsm", 1024u);
  EXPECT_THAT(r.error->message, ::testing::HasSubstr("db/rp/1"));
  o.expect = {"other", std::nullopt, std::nullopt};
  EXPECT_ERROR(read_bytes(dir, tar, o), "unsafe-path", "db/rp/1/a.tsm", 0u);
  o.expect = {std::nullopt, "autogen", std::nullopt};
  EXPECT_ERROR(read_bytes(dir, tar, o), "unsafe-path", "db/rp/1/a.tsm", 0u);
  o.expect = {"db", "rp", std::nullopt};
  EXPECT_FALSE(read_bytes(dir, tar, o).error);
}

TEST(ShardArchiveReader, ReportsDuplicateNamesWithoutFailing) {
  ScratchDir dir;
  // §4.4: the exact-boundary export writes the filtered copy and then the original.
  std::string tar = tar_of({{kTsm, "filtered"}, {"db/rp/1/x.tombstone", ""}, {kTsm, "original"}});
  auto o = read_bytes(dir, tar);
  ASSERT_FALSE(o.error) << o.error->describe();
  ASSERT_EQ(o.entries.size(), 3u);
  EXPECT_EQ(o.data[2], "original");
  EXPECT_EQ(o.duplicates, std::vector<std::string>{kTsm});
}

TEST(ShardArchiveReader, DetectsDamagedZstd) {
  ScratchDir dir;
  std::string tar = tar_of({{kTsm, ifx::test::incompressible_bytes(20000)}});
  auto ok = read_bytes(dir, zstd_compress(tar));
  ASSERT_FALSE(ok.error) << ok.error->describe();
  EXPECT_EQ(ok.compression, ArchiveCompression::zstd);
  EXPECT_TRUE(ok.data[0] == ifx::test::incompressible_bytes(20000));

  // Our writer adds a content checksum, so a flipped literal byte is caught too.
  auto path = write_archive(dir, "w.tar.zst", {{kTsm, ifx::test::incompressible_bytes(20000)}},
                            {.compression = ArchiveCompression::zstd});
  std::string zst = read_file(path);
  for (std::size_t at : {std::size_t{6}, zst.size() / 2, zst.size() - 2}) {
    SCOPED_TRACE(at);
    std::string bad = zst;
    bad[at] ^= 0x01;
    auto o = read_bytes(dir, bad);
    ASSERT_TRUE(o.error);
    EXPECT_EQ(o.error->code, ifx::ErrorCode::zstd_invalid) << o.error->describe();
  }
  for (std::size_t cut : {std::size_t{4}, std::size_t{10}, zst.size() / 2, zst.size() - 1}) {
    SCOPED_TRACE(cut);
    EXPECT_ERROR(read_bytes(dir, zst.substr(0, cut)), "zstd-invalid", "", cut);
  }
  EXPECT_ERROR(read_bytes(dir, zst + "junk"), "zstd-invalid", "", zst.size());
}

TEST(ShardArchiveReader, StopsADecompressionBomb) {
  ScratchDir dir;
  // A single gzip member, as a hostile archive would be (our writer cuts 1 MiB members, which
  // caps its own ratio near 1000:1): a tar of zeros through zlib at level 9.
  const std::uint64_t size = 32u << 20;
  ifx::test::ZlibGzipStream bomb(9);
  bomb.add(ifx::test::ustar_header({.name = kTsm, .declared_size = size}));
  bomb.add_zeros(size);
  bomb.add(kEnd);
  write_file(dir / "bomb.tar.gz", bomb.finish());
  auto file_size = std::filesystem::file_size(dir / "bomb.tar.gz");
  EXPECT_LT(file_size, size / 900);  // deflate's ceiling is about 1032:1

  ShardArchiveReaderOptions o;
  o.max_ratio = 100;
  o.bomb_grace_bytes = 1 << 20;
  auto r = read_all(dir / "bomb.tar.gz", o, 1 << 16);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ifx::ErrorCode::decompression_bomb) << r.error->describe();
  EXPECT_LT(r.uncompressed, 2u << 20);  // stopped early, not after inflating it all

  ShardArchiveReaderOptions cap;
  cap.max_uncompressed_bytes = 4 << 20;
  auto c = read_all(dir / "bomb.tar.gz", cap, 1 << 16);
  ASSERT_TRUE(c.error);
  EXPECT_EQ(c.error->code, ifx::ErrorCode::decompression_bomb);
  // Zeros deflate at about 1030:1, above the default 1000:1 (checked past 8 MiB); a real
  // shard (TSM data is already compressed) comes nowhere near.
  auto d = read_all(dir / "bomb.tar.gz", {}, 1 << 16);
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.error->code, ifx::ErrorCode::decompression_bomb);
  EXPECT_GT(d.uncompressed, 8u << 20);
  ShardArchiveReaderOptions lax;
  lax.max_ratio = 2000;
  EXPECT_FALSE(read_all(dir / "bomb.tar.gz", lax, 1 << 16).error);
}

TEST(ShardArchiveReader, ReportsAMissingFile) {
  ScratchDir dir;
  auto r = ShardArchiveReader::open(dir / "nope.tar.gz");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::io);
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("No such file"));
}

}  // namespace
