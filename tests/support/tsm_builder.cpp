#include "support/tsm_builder.hpp"

#include <gtest/gtest.h>

#include <bit>

#include "ifx/format/tsm/tsm_writer.hpp"
#include "support/must.hpp"
#include "support/paths.hpp"

namespace ifx::test {

namespace fs = std::filesystem;

void append_points(tsm::DecodedBlock& to, const tsm::DecodedBlock& from) {
  to.type = from.type;
  to.times.insert(to.times.end(), from.times.begin(), from.times.end());
  to.floats.insert(to.floats.end(), from.floats.begin(), from.floats.end());
  to.integers.insert(to.integers.end(), from.integers.begin(), from.integers.end());
  to.unsigneds.insert(to.unsigneds.end(), from.unsigneds.begin(), from.unsigneds.end());
  to.booleans.insert(to.booleans.end(), from.booleans.begin(), from.booleans.end());
  to.strings.insert(to.strings.end(), from.strings.begin(), from.strings.end());
}

tsm::DecodedBlock joined(std::initializer_list<tsm::DecodedBlock> parts) {
  tsm::DecodedBlock out;
  for (const auto& p : parts) append_points(out, p);
  return out;
}

void expect_same_points(const tsm::DecodedBlock& got, const tsm::DecodedBlock& want, const std::string& what) {
  EXPECT_EQ(got.type, want.type) << what;
  EXPECT_EQ(got.times, want.times) << what;
  EXPECT_EQ(got.integers, want.integers) << what;
  EXPECT_EQ(got.unsigneds, want.unsigneds) << what;
  EXPECT_EQ(got.booleans, want.booleans) << what;
  EXPECT_EQ(got.strings, want.strings) << what;
  ASSERT_EQ(got.floats.size(), want.floats.size()) << what;
  for (std::size_t i = 0; i < got.floats.size(); ++i) {
    EXPECT_EQ(std::bit_cast<std::uint64_t>(got.floats[i]), std::bit_cast<std::uint64_t>(want.floats[i]))
        << what << ": float #" << i;
  }
}

void write_tsm(const fs::path& path, const std::vector<TsmKey>& keys, std::size_t points_per_block) {
  auto w = must(tsm::TsmWriter::create(path, {.max_points_per_block = points_per_block, .sync_on_finish = false}),
                "TSM file " + path.string());
  for (const auto& [key, pts] : keys) must(w.add_points(key, pts), "TSM key " + key);
  must(w.finish(), "TSM file " + path.string());
}

TsmBlock encoded_block(const std::string& key, const tsm::DecodedBlock& points) {
  TsmBlock b{key, points.type, points.times.front(), points.times.back(), {}};
  must(tsm::encode_block(points, b.bytes), "block of " + key);
  return b;
}

void write_tsm_blocks(const fs::path& path, const std::vector<TsmBlock>& blocks) {
  auto w = must(tsm::TsmWriter::create(path, {.sync_on_finish = false}), "TSM file " + path.string());
  for (const auto& b : blocks)
    must(w.add_encoded_block(b.key, b.type, b.min_time, b.max_time, b.bytes), "block of " + b.key);
  must(w.finish(), "TSM file " + path.string());
}

void write_tombstones(const fs::path& path, const std::vector<tsm::Tombstone>& records, tsm::TombstoneVersion version) {
  write_tombstones(path, std::vector<std::vector<tsm::Tombstone>>{records}, version);
}

void write_tombstones(const fs::path& path, const std::vector<std::vector<tsm::Tombstone>>& batches,
                      tsm::TombstoneVersion version) {
  must(tsm::write_tombstones(path, version, batches), "tombstone file " + path.string());
}

std::vector<TsmBlockAt> tsm_blocks(const fs::path& path) {
  auto reader = must(tsm::TsmReader::open(path), "TSM file " + path.string());
  std::vector<TsmBlockAt> out;
  auto index = reader.index();
  tsm::KeyIndex k;
  while (must(index.next(k), "index of " + path.string())) {
    std::uint64_t at = k.index_offset + 2 + k.key.size() + 1 + 2;  // key length, key, type, count
    for (const auto& e : k.entries) {
      out.push_back({k.key, k.type, e, at});
      at += tsm::kTsmIndexEntrySize;
    }
  }
  return out;
}

std::vector<TsmBlockAt> tsm_blocks(const std::string& tsm_bytes) {
  ScratchDir tmp("ifx-tsm-blocks");
  write_file(tmp / "f.tsm", tsm_bytes);
  return tsm_blocks(tmp / "f.tsm");
}

void put_be(std::string& bytes, std::uint64_t at, std::uint64_t value, int width) {
  if (at + static_cast<std::uint64_t>(width) > bytes.size()) throw std::out_of_range("put_be past the end");
  for (int i = 0; i < width; ++i) bytes[at + i] = static_cast<char>(value >> (8 * (width - 1 - i)));
}

}  // namespace ifx::test
