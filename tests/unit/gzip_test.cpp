// gzip (RFC 1952; docs/FORMATS.md §3.3, §6.6): the writer's members and levels, read back by our
// reader, by zlib and by the real gzip(1); the reader's verdict, with its file offset, on cut,
// damaged and unusual streams built here by hand.
#include "ifx/format/archive/gzip.hpp"

#include "support/bytes.hpp"
#include "support/paths.hpp"
#include "support/run.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace {

using ifx::test::bytes_of;

using ifx::GzipMemberHeader;
using ifx::GzipReader;
using ifx::GzipWriter;
using ifx::GzipWriterOptions;
using ifx::test::read_file;
using ifx::test::ScratchDir;
using ifx::test::write_file;

// Line protocol: text that deflate shrinks several times.
std::string text(std::size_t n) {
  std::string s;
  for (int i = 0; s.size() < n; ++i)
    s += fmt::format("cpu,host=server{:03} usage_idle={}.{} {}\n", i % 173, i % 97, i % 13, 1600000000 + i);
  s.resize(n);
  return s;
}

std::string gzip(const std::string& data, GzipWriterOptions o = {}) {
  std::string out;
  auto w = GzipWriter::create(
      [&](std::span<const std::uint8_t> m) -> ifx::Result<void> {
        out.append(reinterpret_cast<const char*>(m.data()), m.size());
        return {};
      },
      o);
  EXPECT_TRUE(w.has_value());
  EXPECT_TRUE(w->write(bytes_of(data)));
  EXPECT_TRUE(w->finish());
  return out;
}

std::uint32_t zlib_crc(const std::string& s) {
  return static_cast<std::uint32_t>(::crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

std::string le32(std::uint32_t v) {
  return {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16), static_cast<char>(v >> 24)};
}

// What our reader made of a file: each member's header and data, or the error that stopped it.
struct Read {
  std::vector<GzipMemberHeader> headers;
  std::vector<std::string> members;
  std::optional<ifx::Error> error;
  std::uint64_t end_offset = 0;
  std::string data() const {
    std::string all;
    for (const auto& m : members) all += m;
    return all;
  }
};

Read read_fd(int fd, std::uint64_t start_offset, std::size_t out_size) {
  Read r;
  GzipReader reader(fd, start_offset);
  std::string buf(out_size, '\0');
  while (true) {
    auto more = reader.next_member();
    if (!more) {
      r.error = more.error();
      break;
    }
    if (!*more) break;
    r.headers.push_back(reader.member());
    r.members.emplace_back();
    while (true) {
      auto n = reader.read({reinterpret_cast<std::uint8_t*>(buf.data()), buf.size()});
      if (!n) {
        r.error = n.error();
        break;
      }
      if (*n == 0) break;
      r.members.back().append(buf.data(), *n);
    }
    if (r.error) {
      // A failed reader keeps failing the same way.
      auto again = reader.read({reinterpret_cast<std::uint8_t*>(buf.data()), buf.size()});
      EXPECT_FALSE(again.has_value());
      if (!again) {
        EXPECT_EQ(again.error().code, r.error->code);
      }
      break;
    }
  }
  r.end_offset = reader.offset();
  return r;
}

class GzipTest : public ::testing::Test {
 protected:
  ScratchDir dir{"gzip-test"};
  int counter_ = 0;

  std::filesystem::path file(const std::string& content) {
    auto p = dir / fmt::format("f{}.gz", counter_++);
    write_file(p, content);
    return p;
  }
  // `content` read from offset `prefix.size()` of a file that starts with `prefix`.
  Read read(const std::string& content, const std::string& prefix = "", std::size_t out_size = 65536) {
    const auto p = file(prefix + content);
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::lseek(fd, static_cast<off_t>(prefix.size()), SEEK_SET), static_cast<off_t>(prefix.size()));
    Read r = read_fd(fd, prefix.size(), out_size);
    ::close(fd);
    return r;
  }
  // What the real gzip program makes of `gz`.
  std::string gzip_dc(const std::string& gz) {
    const auto r = ifx::test::run_command({"gzip", "-dc", file(gz).string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
};

#define EXPECT_GZIP_ERROR(read, want_code, want_offset)                                        \
  do {                                                                                         \
    const Read& r_ = (read);                                                                   \
    ASSERT_TRUE(r_.error.has_value()) << "no error; expected " << want_code;                   \
    EXPECT_EQ(ifx::to_string(r_.error->code), want_code) << r_.error->message;                 \
    EXPECT_EQ(r_.error->offset, static_cast<std::uint64_t>(want_offset)) << r_.error->message; \
  } while (0)

// The start of each member in `gz` as the reader saw them, and the type of its first deflate
// block (0 stored, 1 fixed, 2 dynamic Huffman).
std::vector<int> first_block_types(const std::string& gz, const Read& r) {
  std::vector<int> types;
  for (const auto& h : r.headers) {
    std::size_t deflate_at = h.offset + 10;
    if (h.flags & GzipMemberHeader::kName) deflate_at = gz.find('\0', deflate_at) + 1;
    types.push_back((static_cast<unsigned char>(gz[deflate_at]) >> 1) & 3);
  }
  return types;
}

TEST_F(GzipTest, MembersRoundTripThroughOurReaderZlibAndGzip) {
  const std::string data = text(10000) + ifx::test::incompressible_bytes(3000);
  GzipWriterOptions o;
  o.member_bytes = 1000;
  o.name = "20261124T060957Z.s1.tar";
  o.mtime = 0x886E0900u;
  const std::string gz = gzip(data, o);

  const Read r = read(gz);
  ASSERT_FALSE(r.error) << r.error->describe();
  ASSERT_EQ(r.members.size(), 13u);
  for (std::size_t i = 0; i < r.members.size(); ++i) EXPECT_EQ(r.members[i], data.substr(i * 1000, 1000)) << i;
  EXPECT_EQ(r.end_offset, gz.size());
  // §3.3: the first member is influxd's header with FNAME; the others carry neither name nor time.
  EXPECT_EQ(gz.substr(0, 10 + o.name.size() + 1),
            std::string("\x1f\x8b\x08\x08\x00\x09\x6e\x88\x00\xff", 10) + o.name + std::string(1, '\0'));
  EXPECT_EQ(r.headers[0].name, o.name);
  EXPECT_EQ(r.headers[0].mtime, 0x886E0900u);
  EXPECT_EQ(r.headers[0].offset, 0u);
  for (std::size_t i = 1; i < r.headers.size(); ++i) {
    EXPECT_EQ(gz.substr(r.headers[i].offset, 10), std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10)) << i;
    EXPECT_GT(r.headers[i].offset, r.headers[i - 1].offset);
    EXPECT_EQ(r.headers[i].flags, 0);
    EXPECT_EQ(r.headers[i].os, 0xff);
  }

  // The real gzip program, and zlib (which checks CRC-32 and ISIZE), member after member.
  EXPECT_EQ(gzip_dc(gz), data);
  std::string by_zlib;
  for (std::size_t pos = 0; pos < gz.size();) {
    z_stream z{};
    ASSERT_EQ(inflateInit2(&z, 31), Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data() + pos));
    z.avail_in = static_cast<uInt>(gz.size() - pos);
    std::string out(2000, '\0');
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    ASSERT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END) << "member at " << pos;
    by_zlib.append(out.data(), out.size() - z.avail_out);
    pos += z.total_in;
    inflateEnd(&z);
  }
  EXPECT_EQ(by_zlib, data);

  // Small output buffers and a stream that starts inside a file: same data, file offsets.
  const Read small = read(gz, "TOMB", 7);
  ASSERT_FALSE(small.error) << small.error->describe();
  EXPECT_EQ(small.data(), data);
  EXPECT_EQ(small.headers[0].offset, 4u);
  EXPECT_EQ(small.headers[1].offset, r.headers[1].offset + 4);
  EXPECT_EQ(small.end_offset, gz.size() + 4);
}

TEST_F(GzipTest, EmptyMembersAndAnEmptyInput) {
  // A writer given nothing writes one empty member (an empty tar still needs its gzip stream).
  const std::string empty = gzip("");
  EXPECT_EQ(empty.substr(0, 10), std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10));
  EXPECT_EQ(empty.substr(empty.size() - 8), std::string(8, '\0'));  // CRC-32 and ISIZE of nothing
  EXPECT_EQ(gzip_dc(empty), "");
  Read r = read(empty);
  ASSERT_FALSE(r.error) << r.error->describe();
  ASSERT_EQ(r.members.size(), 1u);
  EXPECT_EQ(r.members[0], "");

  // Empty members between others, stored (gzip -0 style) and deflated.
  const std::string stored_empty = std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10) +
                                   std::string("\x01\x00\x00\xff\xff", 5) + std::string(8, '\0');
  const std::string gz = empty + gzip("abc") + stored_empty + empty + gzip("def");
  r = read(gz);
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(r.members, (std::vector<std::string>{"", "abc", "", "", "def"}));
  EXPECT_EQ(gzip_dc(gz), "abcdef");

  // end_member() on nothing pending makes no member; finish() after members adds none.
  std::vector<std::string> members;
  auto w = GzipWriter::create([&](std::span<const std::uint8_t> m) -> ifx::Result<void> {
    members.emplace_back(reinterpret_cast<const char*>(m.data()), m.size());
    return {};
  });
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->end_member());
  ASSERT_TRUE(w->write(bytes_of("xy")));
  ASSERT_TRUE(w->end_member());
  ASSERT_TRUE(w->end_member());
  ASSERT_TRUE(w->write(bytes_of("z")));
  ASSERT_TRUE(w->end_member());
  ASSERT_TRUE(w->finish());
  EXPECT_EQ(w->members(), 2u);
  ASSERT_EQ(members.size(), 2u);
  r = read(members[0] + members[1]);
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(r.members, (std::vector<std::string>{"xy", "z"}));

  // No byte at all: no member, and no error (the caller decides whether that is allowed).
  r = read("");
  EXPECT_FALSE(r.error);
  EXPECT_TRUE(r.members.empty());
}

// Like TSM blocks, bytes of 220 values shrink by ~2% under Huffman coding (entropy 7.78 bits).
TEST_F(GzipTest, DefaultLevelStoresMembersThatHardlyShrink) {
  std::string blocks = ifx::test::incompressible_bytes(1 << 20);
  for (auto& c : blocks) c = static_cast<char>(static_cast<unsigned char>(c) % 220);
  const std::string data = blocks + text(1 << 20) + text(100);
  const std::string gz = gzip(data);
  const Read r = read(gz);
  ASSERT_FALSE(r.error) << r.error->describe();
  ASSERT_EQ(r.members.size(), 3u);
  EXPECT_EQ(r.data(), data);
  // The blocks are stored; text is deflated; a tail too short to probe is deflated.
  const auto types = first_block_types(gz, r);
  EXPECT_EQ(types[0], 0);
  EXPECT_EQ(types[1], 2);
  EXPECT_NE(types[2], 0);
  // A stored member costs 5 bytes per block of up to 65,535 on top of the data (17 blocks).
  EXPECT_EQ(r.headers[1].offset, 10 + (1 << 20) + 17 * 5 + 8u);
  EXPECT_EQ(gzip_dc(gz), data);

  // An explicit level deflates every member.
  GzipWriterOptions o;
  o.level = 1;
  const std::string every = gzip(data, o);
  const Read e = read(every);
  ASSERT_FALSE(e.error) << e.error->describe();
  EXPECT_EQ(e.data(), data);
  EXPECT_EQ(first_block_types(every, e)[0], 2);
}

TEST_F(GzipTest, EveryLevelRoundTripsAndOthersAreRefused) {
  const std::string data = text(300000) + ifx::test::incompressible_bytes(70000);
  std::vector<int> levels = {GzipWriterOptions::kDefaultLevel};
  for (int level = 1; level <= 12; ++level) levels.push_back(level);
  std::size_t size_at_1 = 0, size_at_12 = 0;
  for (int level : levels) {
    GzipWriterOptions o;
    o.level = level;
    o.member_bytes = 100000;
    const std::string gz = gzip(data, o);
    const Read r = read(gz);
    ASSERT_FALSE(r.error) << "level " << level << ": " << r.error->describe();
    EXPECT_EQ(r.members.size(), 4u) << level;
    EXPECT_EQ(r.data(), data) << level;
    EXPECT_EQ(gzip_dc(gz), data) << level;
    if (level == 1) size_at_1 = gz.size();
    if (level == 12) size_at_12 = gz.size();
  }
  EXPECT_LT(size_at_12, size_at_1);
  for (int level : {0, 13, -1}) {
    GzipWriterOptions o;
    o.level = level;
    auto w = GzipWriter::create([](std::span<const std::uint8_t>) -> ifx::Result<void> { return {}; }, o);
    ASSERT_FALSE(w.has_value()) << level;
    EXPECT_EQ(w.error().code, ifx::ErrorCode::invalid_argument);
  }
}

TEST_F(GzipTest, ParallelMembersAreTheSameBytes) {
  const std::string data = text(3 << 20) + ifx::test::incompressible_bytes(2 << 20) + text(12345);
  GzipWriterOptions o;
  o.name = "x.tar";
  const std::string one = gzip(data, o);
  for (int threads : {2, 4}) {
    o.threads = threads;
    EXPECT_EQ(gzip(data, o), one) << threads << " threads";
  }
  // The one-shot form is the same writer.
  auto shot = ifx::gzip_compress(data, o);
  ASSERT_TRUE(shot.has_value());
  EXPECT_EQ(*shot, one);
  EXPECT_EQ(read(one).data(), data);
}

TEST_F(GzipTest, AnOutputErrorStopsTheWriter) {
  int calls = 0;
  GzipWriterOptions o;
  o.member_bytes = 10;
  o.threads = 2;
  auto w = GzipWriter::create(
      [&](std::span<const std::uint8_t>) -> ifx::Result<void> {
        ++calls;
        return ifx::fail(ifx::ErrorCode::io, "disk full");
      },
      o);
  ASSERT_TRUE(w);
  auto r = w->write(bytes_of(text(100)));
  if (r) r = w->finish();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ifx::ErrorCode::io);
  EXPECT_EQ(calls, 1);
}

// Cut anywhere inside a member (its header, name, deflate data, trailer), the stream is
// "gzip-truncated" where the file ends; cut between members, it is simply shorter.
TEST_F(GzipTest, CutStreamsAreTruncatedAtTheCut) {
  GzipWriterOptions o;
  o.name = "n.tar";
  const std::string first = gzip("first member", o);
  const std::string second = gzip(text(300));
  const std::string gz = first + second;
  for (std::size_t cut = 1; cut < gz.size(); ++cut) {
    const Read r = read(gz.substr(0, cut));
    if (cut == first.size()) {
      EXPECT_FALSE(r.error) << r.error->describe();
      EXPECT_EQ(r.data(), "first member");
      continue;
    }
    EXPECT_GZIP_ERROR(r, "gzip-truncated", cut);
    // The same inside a file, after a 4-byte header (a tombstone's).
    EXPECT_GZIP_ERROR(read(gz.substr(0, cut), std::string("\x00\x00\x15\x04", 4), 1), "gzip-truncated", cut + 4);
  }
}

TEST_F(GzipTest, FlippedTrailersAreCrcErrors) {
  const std::string data = text(5000);
  const std::string gz = gzip("abc") + gzip(data);
  std::string bad = gz;
  bad[bad.size() - 6] ^= 0x01;  // CRC-32
  Read r = read(bad);
  EXPECT_GZIP_ERROR(r, "gzip-crc", gz.size() - 8);
  EXPECT_NE(r.error->message.find(fmt::format("0x{:08x}", zlib_crc(data))), std::string::npos) << r.error->message;
  bad = gz;
  bad[bad.size() - 3] ^= 0x10;  // ISIZE
  r = read(bad);
  EXPECT_GZIP_ERROR(r, "gzip-crc", gz.size() - 4);
  EXPECT_NE(r.error->message.find("5000"), std::string::npos) << r.error->message;
}

TEST_F(GzipTest, BadHeadersAreInvalid) {
  const std::string good = gzip("data");
  std::string bad = good;
  bad[3] = static_cast<char>(0x20);  // a reserved flag
  Read r = read(good + bad);
  EXPECT_GZIP_ERROR(r, "gzip-invalid", good.size() + 3);
  EXPECT_EQ(r.members.size(), 1u);
  for (int reserved : {0x40, 0x80, 0xe8}) {
    bad[3] = static_cast<char>(reserved);
    EXPECT_GZIP_ERROR(read(bad), "gzip-invalid", 3);
  }
  bad = good;
  bad[2] = 7;  // not deflate
  EXPECT_GZIP_ERROR(read(bad), "gzip-invalid", 0);
  bad = good;
  bad[1] = 0x00;  // not gzip
  EXPECT_GZIP_ERROR(read(good + bad), "gzip-invalid", good.size());
  // After a member: bytes that start no member.
  r = read(good + "junk");
  EXPECT_GZIP_ERROR(r, "gzip-invalid", good.size());
  EXPECT_NE(r.error->message.find("after the end of the gzip stream"), std::string::npos) << r.error->message;
  EXPECT_GZIP_ERROR(read(good + std::string(4, '\0')), "gzip-invalid", good.size());
  // Damaged deflate data: a reserved block type (BTYPE 11) in the first block.
  bad = good;
  bad[10] = static_cast<char>(0x07);
  EXPECT_GZIP_ERROR(read(bad), "gzip-invalid", 10);
}

// gzip(1) and others write FNAME, FCOMMENT, FEXTRA and FHCRC: the reader parses them all.
TEST_F(GzipTest, OptionalHeaderFieldsAreRead) {
  const std::string data = text(2000);
  const std::string plain = gzip(data);  // 10-byte header, then deflate data and trailer
  const std::string extra(
      "AP\x04\x00"
      "abcd",
      8);
  std::string header = std::string("\x1f\x8b\x08", 3) + std::string(1, static_cast<char>(0x1f)) + le32(1700000000) +
                       std::string("\x02\x03", 2);
  header += std::string(1, static_cast<char>(extra.size())) + std::string(1, '\0') + extra;
  header += "metrics.lp" + std::string(1, '\0') + "exported by hand" + std::string(1, '\0');
  const std::uint32_t hcrc = zlib_crc(header);
  const std::string member = header + std::string{static_cast<char>(hcrc), static_cast<char>(hcrc >> 8)} +
                             plain.substr(10);

  const Read r = read(plain + member);
  ASSERT_FALSE(r.error) << r.error->describe();
  ASSERT_EQ(r.headers.size(), 2u);
  const GzipMemberHeader& h = r.headers[1];
  EXPECT_EQ(h.offset, plain.size());
  EXPECT_EQ(h.flags, 0x1f);
  EXPECT_EQ(h.mtime, 1700000000u);
  EXPECT_EQ(h.xfl, 2);
  EXPECT_EQ(h.os, 3);
  EXPECT_EQ(std::string(h.extra.begin(), h.extra.end()), extra);
  EXPECT_EQ(h.name, "metrics.lp");
  EXPECT_EQ(h.comment, "exported by hand");
  EXPECT_EQ(r.members[1], data);
  EXPECT_EQ(gzip_dc(plain + member), data + data);

  // A wrong header CRC-16 is reported where it is stored.
  std::string bad = member;
  bad[header.size()] ^= 0x01;
  EXPECT_GZIP_ERROR(read(bad), "gzip-crc", header.size());

  // A name written by the real gzip program.
  write_file(dir / "named.lp", data);
  ASSERT_EQ(std::system(fmt::format("gzip -k -9 {}", ifx::test::shell_quote((dir / "named.lp").string())).c_str()), 0);
  const Read g = read(read_file(dir / "named.lp.gz"));
  ASSERT_FALSE(g.error) << g.error->describe();
  EXPECT_EQ(g.headers[0].name, "named.lp");
  EXPECT_EQ(g.data(), data);
}

}  // namespace
