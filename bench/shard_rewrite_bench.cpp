// Rewriting a shard (rewrite_shard_points) over a ~9 MB TSM file (2M points), mixed float/integer keys:
//  - copy path: nothing to cut, every block copied encoded (CRC + timestamp check only);
//  - decode path: a tombstone range between two points of every block (it deletes nothing, but
//    meets every block), so every block is decoded, merged and re-encoded: same output;
//  - anchor: a plain read/write copy of the same file with fsync, in the same run.
// MB/s are of the input file; compare the ratios, not the absolute figures.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ifx/format/shard/shard_rewrite.hpp"
#include "ifx/format/tsm/tombstone.hpp"
#include "ifx/format/tsm/tsm_writer.hpp"

namespace {

using namespace ifx::tsm;
namespace fs = std::filesystem;

constexpr int kSeries = 100;          // × 2 fields (float, integer)
constexpr int kPointsPerKey = 10000;  // 10 blocks of 1000, 10 s apart
constexpr std::int64_t kStart = 1600000000000000000;
constexpr std::int64_t kStep = 10'000'000'000;

struct BenchShard {
  fs::path dir;
  fs::path tsm;
  fs::path tombstone;
  std::uint64_t size = 0;
  ~BenchShard() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

const BenchShard& bench_shard() {
  static BenchShard shard = [] {
    BenchShard s;
    s.dir = fs::temp_directory_path() / fmt::format("ifx-rewrite-bench-{}", ::getpid());
    fs::create_directories(s.dir);
    s.tsm = s.dir / "000000001-000000001.tsm";
    s.tombstone = s.dir / "000000001-000000001.tombstone";
    auto w = TsmWriter::create(s.tsm, {.sync_on_finish = false});
    if (!w) std::abort();
    std::mt19937_64 rng(7);
    std::normal_distribution<double> step(0.0, 1.0);
    std::uniform_int_distribution<std::int64_t> noise(-5000, 5000);
    std::vector<Tombstone> between_points;
    DecodedBlock points;
    for (int k = 0; k < kSeries; ++k) {
      const std::string series = fmt::format("cpu,host=server{:04}", k);
      for (BlockType type : {BlockType::Float, BlockType::Integer}) {  // "#!~#f" < "#!~#i"
        const std::string key = series + (type == BlockType::Float ? "#!~#f" : "#!~#i");
        points.clear();
        points.type = type;
        double level = 50;
        std::int64_t counter = 0;
        for (int i = 0; i < kPointsPerKey; ++i) {
          points.times.push_back(kStart + std::int64_t{i} * kStep);
          if (type == BlockType::Float) {
            level += step(rng);
            points.floats.push_back(level);
          } else {
            counter += 1000 + noise(rng);
            points.integers.push_back(counter);
          }
        }
        if (!w->add_points(key, points)) std::abort();
        for (int b = 0; b < kPointsPerKey / 1000; ++b) {
          const std::int64_t t = kStart + std::int64_t{b} * 1000 * kStep + kStep / 2;
          between_points.push_back({key, t, t});
        }
      }
    }
    if (!w->finish()) std::abort();
    if (!write_tombstones_v4(s.tombstone, between_points)) std::abort();
    s.size = fs::file_size(s.tsm);
    return s;
  }();
  return shard;
}

fs::path fresh_out_dir() {
  fs::path out = bench_shard().dir / "out";
  fs::remove_all(out);
  fs::create_directories(out);
  return out;
}

void BM_PlainFileCopy(benchmark::State& state) {
  const BenchShard& shard = bench_shard();
  std::vector<char> buffer(1 << 20);
  for (auto _ : state) {
    state.PauseTiming();
    const fs::path out = fresh_out_dir() / "copy.tsm";
    state.ResumeTiming();
    int in = ::open(shard.tsm.c_str(), O_RDONLY | O_CLOEXEC);
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (in < 0 || fd < 0) std::abort();
    for (;;) {
      ssize_t n = ::read(in, buffer.data(), buffer.size());
      if (n < 0) std::abort();
      if (n == 0) break;
      if (::write(fd, buffer.data(), static_cast<std::size_t>(n)) != n) std::abort();
    }
    ::fsync(fd);
    ::close(fd);
    ::close(in);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * shard.size));
}
BENCHMARK(BM_PlainFileCopy)->Unit(benchmark::kMillisecond);

void rewrite(benchmark::State& state, bool with_tombstone) {
  const BenchShard& shard = bench_shard();
  std::uint64_t copied = 0, blocks = 0, points = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const fs::path out = fresh_out_dir();
    state.ResumeTiming();
    std::vector<TsmFileRef> files = {{shard.tsm, with_tombstone ? std::optional(shard.tombstone) : std::nullopt}};
    auto r = ifx::rewrite_shard_points(std::move(files), out);
    if (!r) {
      state.SkipWithError(r.error().describe().c_str());
      return;
    }
    copied = r->blocks_copied;
    blocks = r->blocks;
    points = r->points;
  }
  if (points != std::uint64_t{kSeries} * 2 * kPointsPerKey || copied != (with_tombstone ? 0 : blocks)) {
    state.SkipWithError("the rewrite did not take the path this benchmark measures");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * shard.size));
  state.counters["blocks_copied"] = static_cast<double>(copied);
  state.counters["input_MB"] = static_cast<double>(shard.size) / 1e6;
  state.counters["points/s"] = benchmark::Counter(static_cast<double>(state.iterations() * points),
                                                  benchmark::Counter::kIsRate);
}

void BM_RewriteCopyPath(benchmark::State& state) { rewrite(state, false); }
BENCHMARK(BM_RewriteCopyPath)->Unit(benchmark::kMillisecond);

void BM_RewriteDecodePath(benchmark::State& state) { rewrite(state, true); }
BENCHMARK(BM_RewriteDecodePath)->Unit(benchmark::kMillisecond);

}  // namespace
