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
#include "synthetic_tsm.hpp"

namespace {

using namespace ifx::tsm;
namespace fs = std::filesystem;

constexpr int kSeries = 200;          // × 2 fields (float, integer)
constexpr int kPointsPerKey = 25600;  // 10 s apart: ~50 MB in all

using BenchFile = ifx::bench::SyntheticTsm;

const BenchFile& bench_file() {
  static BenchFile file;
  static const bool made = [] {
    std::normal_distribution<double> step(0.0, 1.0);
    double level = 50;  // a random walk rounded to 3 decimals, like a gauge
    ifx::bench::write_synthetic_tsm(file, "tsm-read-bench", kSeries, kPointsPerKey,
                                    [&](std::mt19937_64& rng, bool first) {
                                      if (first) level = 50;
                                      level += step(rng);
                                      return std::round(level * 1000) / 1000;
                                    });
    return true;
  }();
  (void)made;
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
