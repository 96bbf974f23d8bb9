// Reading a ~50 MB TSM file (mixed float/integer series): CRC check + decode of every block,
// and the shard merge (ShardPoints), against an anchor in the same binary that only preads the
// same file. Compare the ratios, not the absolute figures.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ifx/format/tsm/shard_points.hpp"
#include "ifx/format/tsm/tsm_reader.hpp"
#include "ifx/format/tsm/tsm_writer.hpp"

namespace {

using namespace ifx::tsm;
namespace fs = std::filesystem;

constexpr int kSeries = 200;            // × 2 fields (float, integer)
constexpr int kPointsPerKey = 25600;    // 10 s apart: ~50 MB in all
constexpr std::int64_t kStart = 1600000000000000000;

struct BenchFile {
  fs::path path;
  std::uint64_t size = 0;
  std::uint64_t points = 0;
  ~BenchFile() {
    std::error_code ec;
    fs::remove(path, ec);
  }
};

const BenchFile& bench_file() {
  static BenchFile file = [] {
    BenchFile f;
    f.path = fs::temp_directory_path() / fmt::format("ifx-tsm-read-bench-{}.tsm", ::getpid());
    auto w = TsmWriter::create(f.path, {.sync_on_finish = false});
    if (!w) std::abort();
    std::mt19937_64 rng(42);
    std::normal_distribution<double> step(0.0, 1.0);
    std::uniform_int_distribution<std::int64_t> noise(-5000, 5000);
    DecodedBlock points;
    for (int s = 0; s < kSeries; ++s) {
      const std::string series = fmt::format("cpu,host=server{:04},region=r{}", s, s % 7);
      for (BlockType type : {BlockType::Float, BlockType::Integer}) {  // "#!~#f" < "#!~#i"
        points.clear();
        points.type = type;
        double level = 50;
        std::int64_t counter = 0;
        for (int i = 0; i < kPointsPerKey; ++i) {
          points.times.push_back(kStart + std::int64_t{i} * 10'000'000'000);
          if (type == BlockType::Float) {
            level += step(rng);
            points.floats.push_back(std::round(level * 1000) / 1000);
          } else {
            counter += 100000 + noise(rng);
            points.integers.push_back(counter);
          }
        }
        const std::string key = series + (type == BlockType::Float ? "#!~#f" : "#!~#i");
        if (!w->add_points(key, points)) std::abort();
        f.points += points.size();
      }
    }
    if (!w->finish()) std::abort();
    f.size = fs::file_size(f.path);
    std::fprintf(stderr, "bench file: %s, %.1f MB, %llu points\n", f.path.c_str(), f.size / 1e6,
                 static_cast<unsigned long long>(f.points));
    return f;
  }();
  return file;
}

// Anchor: the same bytes read with pread in 1 MiB chunks, nothing else.
void BM_Anchor_ReadOnly(benchmark::State& state) {
  const BenchFile& f = bench_file();
  std::vector<char> buffer(1 << 20);
  for (auto _ : state) {
    int fd = ::open(f.path.c_str(), O_RDONLY);
    std::uint64_t total = 0;
    for (;;) {
      ssize_t n = ::pread(fd, buffer.data(), buffer.size(), static_cast<off_t>(total));
      if (n <= 0) break;
      total += static_cast<std::uint64_t>(n);
      benchmark::DoNotOptimize(buffer.data());
    }
    ::close(fd);
    if (total != f.size) state.SkipWithError("short read");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.size));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * f.points));
}

// Index walk + block read + CRC-32 + type check + time-range check + full decode.
void BM_TsmReader_CrcAndDecode(benchmark::State& state) {
  const BenchFile& f = bench_file();
  std::vector<std::uint8_t> buffer;
  DecodedBlock decoded;
  for (auto _ : state) {
    auto reader = TsmReader::open(f.path);
    if (!reader) return state.SkipWithError("open failed");
    auto cursor = reader->index();
    KeyIndex key;
    std::uint64_t points = 0;
    while (cursor.next(key).value_or(false)) {
      for (const IndexEntry& e : key.entries) {
        auto data = reader->read_block(e, key.type, buffer);
        if (!data || !reader->check_block_times(e, *data) || !decode_block(*data, decoded)) {
          return state.SkipWithError("block failed");
        }
        points += decoded.size();
      }
    }
    if (points != f.points) return state.SkipWithError("point count differs");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.size));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * f.points));
}

// The same file through ShardPoints (merge machinery, batches of 1000 points).
void BM_ShardPoints_AllKeys(benchmark::State& state) {
  const BenchFile& f = bench_file();
  DecodedBlock batch;
  for (auto _ : state) {
    auto shard = ShardPoints::open({{f.path, {}}});
    if (!shard) return state.SkipWithError("open failed");
    KeyInfo key;
    std::uint64_t points = 0;
    while (shard->next_key(key).value_or(false)) {
      auto cursor = shard->open_cursor(key);
      while (cursor.next(batch).value_or(false)) points += batch.size();
    }
    if (points != f.points) return state.SkipWithError("point count differs");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.size));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * f.points));
}

BENCHMARK(BM_Anchor_ReadOnly)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TsmReader_CrcAndDecode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ShardPoints_AllKeys)->Unit(benchmark::kMillisecond);

}  // namespace
