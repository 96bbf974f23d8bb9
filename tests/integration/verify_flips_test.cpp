// A randomized check: with a fixed seed, 300 single-byte flips across the fixture
// archives (portable .tar.gz and legacy raw tars), each in a copy restored after the run. Every
// flip inside gzip's compressed data or trailer, and every flip inside a TSM block, must be
// reported; no flip may crash or hang ifx-verify (this test also runs under ASan).
//
// The one allowed silence: a flip that leaves the decompressed bytes identical (e.g. the unused
// padding bits after deflate's final block). zlib is the oracle for that: if it inflates the
// flipped file without error to exactly the original tar, nothing restorable changed.
#include <gtest/gtest.h>

#include <random>
#include <regex>

#include "verify_damage.hpp"

namespace {

using namespace vt;

struct Target {
  fs::path dir;      // backup directory (a copy)
  std::string name;  // archive file name
  std::uint64_t shard = 0;
  bool gzip = false;
  std::uint64_t gzip_header = 0;                                    // first byte of deflate data
  std::vector<std::pair<std::uint64_t, std::uint64_t>> tsm_blocks;  // [begin, end) file offsets
  std::string original_tar;                                         // gzip: decompressed bytes
};

std::uint64_t gzip_header_length(const std::string& b) {
  // RFC 1952: 10 fixed bytes, then FEXTRA, FNAME, FCOMMENT, FHCRC as flagged.
  std::uint64_t at = 10;
  const auto flags = static_cast<std::uint8_t>(b[3]);
  if (flags & 0x04) at += 2 + (static_cast<std::uint8_t>(b[at]) | static_cast<std::uint8_t>(b[at + 1]) << 8);
  if (flags & 0x08) at = b.find('\0', at) + 1;
  if (flags & 0x10) at = b.find('\0', at) + 1;
  if (flags & 0x02) at += 2;
  return at;
}

std::uint64_t octal(const std::string& b, std::size_t at, std::size_t len) {
  std::uint64_t v = 0;
  for (std::size_t i = at; i < at + len && b[i] >= '0' && b[i] <= '7'; ++i) v = v * 8 + (b[i] - '0');
  return v;
}

// Where the TSM blocks of a raw tar lie (docs/FORMATS.md §4.1: 512-byte headers, PAX `path` records).
std::vector<std::pair<std::uint64_t, std::uint64_t>> tsm_block_ranges(const std::string& tar) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  std::uint64_t pos = 0;
  std::string pax_path;
  while (pos + 512 <= tar.size()) {
    if (tar.compare(pos, 512, std::string(512, '\0')) == 0) break;
    const std::uint64_t size = octal(tar, pos + 124, 12);
    const char type = tar[pos + 156];
    const std::uint64_t data = pos + 512;
    const std::uint64_t next = data + (size + 511) / 512 * 512;
    if (type == 'x') {
      std::string records = tar.substr(data, size);
      auto p = records.find(" path=");
      if (p != std::string::npos) pax_path = records.substr(p + 6, records.find('\n', p) - p - 6);
    } else {
      std::string name = pax_path;
      if (name.empty()) {
        name = std::string(tar.c_str() + pos, strnlen(tar.c_str() + pos, 100));
        std::string prefix(tar.c_str() + pos + 345, strnlen(tar.c_str() + pos + 345, 155));
        if (!prefix.empty()) name = prefix + "/" + name;
      }
      pax_path.clear();
      if (name.ends_with(".tsm"))
        for (const auto& b : tsm_blocks(tar.substr(data, size)))
          out.emplace_back(data + b.entry.offset, data + b.entry.offset + b.entry.size);
    }
    pos = next;
  }
  return out;
}

std::vector<Target> targets(const ifx::test::ScratchDir& scratch) {
  static const std::regex portable_re(R"(\.s([0-9]+)\.tar\.gz$)");
  static const std::regex legacy_re(R"(\.([0-9]{5,})\.([0-9]{2,})$)");
  std::vector<Target> out;
  for (const auto& d : fs::directory_iterator(ifx::test::fixtures_dir())) {
    if (!d.is_directory()) continue;
    fs::path dir = copy_fixture(scratch, d.path().filename().string());
    for (const auto& f : fs::directory_iterator(dir)) {
      Target t;
      t.dir = dir;
      t.name = f.path().filename().string();
      std::smatch m;
      std::string bytes;
      if (std::regex_search(t.name, m, portable_re)) {
        t.gzip = true;
        t.shard = std::stoull(m[1].str());
        bytes = ifx::test::read_file(f.path());
        t.gzip_header = gzip_header_length(bytes);
        const auto tar = ifx::test::zlib_gunzip(bytes);
        EXPECT_TRUE(tar) << t.name;
        t.original_tar = tar.value_or("");
      } else if (std::regex_search(t.name, m, legacy_re)) {
        t.shard = std::stoull(m[1].str());
        t.tsm_blocks = tsm_block_ranges(ifx::test::read_file(f.path()));
      } else {
        continue;
      }
      out.push_back(std::move(t));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.dir / a.name < b.dir / b.name; });
  return out;
}

TEST(VerifyFlips, EveryFlipInCompressedDataOrATsmBlockIsReported) {
  ifx::test::ScratchDir scratch("verify-flips");
  std::vector<Target> all = targets(scratch);
  ASSERT_GT(all.size(), 20u);
  std::mt19937_64 rng(20261124);
  int must = 0, reported = 0, harmless = 0, other = 0;
  for (int i = 0; i < 300; ++i) {
    const Target& t = all[rng() % all.size()];
    const fs::path file = t.dir / t.name;
    const std::string original = ifx::test::read_file(file);
    const std::uint64_t at = rng() % original.size();
    const auto mask = static_cast<std::uint8_t>(1 + rng() % 255);
    bool in_block = false;
    for (const auto& [b, e] : t.tsm_blocks) in_block |= at >= b && at < e;
    const bool must_report = (t.gzip && at >= t.gzip_header) || in_block;

    std::string flipped = original;
    flipped[at] = static_cast<char>(flipped[at] ^ mask);
    ifx::test::write_file(file, flipped);
    Report r = verify(t.dir, [&](auto& o) {
      o.shard = t.shard;
      o.jobs = 1;
    });
    ifx::test::write_file(file, original);

    const std::string what = t.dir.filename().string() + "/" + t.name + " byte " + std::to_string(at) + " ^ " +
                             std::to_string(mask);
    if (!must_report) {
      ++other;
      continue;
    }
    ++must;
    if (!r.valid()) {
      ++reported;
      // The defect names the flipped archive.
      bool names_it = false;
      for (const auto& d : r.defects) names_it |= d.file == t.name;
      EXPECT_TRUE(names_it) << what << "\n" << describe(r);
      continue;
    }
    const bool identical = t.gzip && ifx::test::zlib_gunzip(flipped) == t.original_tar;
    EXPECT_TRUE(identical) << "flip not reported: " << what;
    harmless += identical;
  }
  std::printf("flips: %d must be reported (%d reported, %d left the data identical), %d elsewhere\n", must, reported,
              harmless, other);
  EXPECT_GT(must, 150);  // the random flips must actually exercise the claim
}

}  // namespace
