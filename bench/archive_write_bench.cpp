// Writing a shard archive from an ~11 MB TSM file (noisy float and counter series, like telegraf
// data): gzip at the default (ISA-L igzip level 1, chunks that hardly shrink stored), gzip with
// every chunk deflated (igzip's probe aside: libdeflate level 1), zstd at its default (-1) and at
// 1, against an anchor in the same binary that writes the plain tar. One compression thread, no
// fsync: the kernels, not the disk. Counters: `ratio` = archive bytes / tar bytes.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include <fmt/format.h>

#include "ifx/format/shard_archive.hpp"
#include "ifx/format/tsm/tsm_writer.hpp"

namespace {

using namespace ifx;
using namespace ifx::tsm;
namespace fs = std::filesystem;

constexpr int kSeries = 100;          // × 2 fields (float, integer)
constexpr int kPointsPerKey = 10000;  // 10 s apart
constexpr std::int64_t kStart = 1600000000000000000;

struct BenchFile {
  fs::path path;
  std::uint64_t size = 0;
  ~BenchFile() {
    std::error_code ec;
    fs::remove(path, ec);
  }
};

const BenchFile& tsm_file() {
  static BenchFile file = [] {
    BenchFile f;
    f.path = fs::temp_directory_path() / fmt::format("ifx-archive-write-bench-{}.tsm", ::getpid());
    auto w = TsmWriter::create(f.path, {.sync_on_finish = false});
    if (!w) std::abort();
    std::mt19937_64 rng(7);
    std::normal_distribution<double> noise(0.0, 25.0);
    std::uniform_int_distribution<std::int64_t> jitter(-5000, 5000);
    DecodedBlock points;
    for (int s = 0; s < kSeries; ++s) {
      const std::string series = fmt::format("cpu,host=server{:04},region=r{}", s, s % 7);
      for (BlockType type : {BlockType::Float, BlockType::Integer}) {  // "#!~#f" < "#!~#i"
        points.clear();
        points.type = type;
        std::int64_t counter = 0;
        for (int i = 0; i < kPointsPerKey; ++i) {
          points.times.push_back(kStart + std::int64_t{i} * 10'000'000'000);
          if (type == BlockType::Float) {
            points.floats.push_back(50 + noise(rng));  // full-precision measurements
          } else {
            counter += 100000 + jitter(rng);
            points.integers.push_back(counter);
          }
        }
        const std::string key = series + (type == BlockType::Float ? "#!~#f" : "#!~#i");
        if (!w->add_points(key, points)) std::abort();
      }
    }
    if (!w->finish()) std::abort();
    f.size = fs::file_size(f.path);
    std::fprintf(stderr, "bench file: %s, %.1f MB\n", f.path.c_str(), f.size / 1e6);
    return f;
  }();
  return file;
}

void write_archive(benchmark::State& state, ArchiveCompression compression, int level) {
  const BenchFile& tsm = tsm_file();
  const fs::path out = fs::temp_directory_path() / fmt::format("ifx-archive-write-bench-{}.out", ::getpid());
  std::uint64_t tar_bytes = 0, file_bytes = 0;
  for (auto _ : state) {
    ShardArchiveWriterOptions o;
    o.compression = compression;
    o.level = level;
    o.file = {.replace_existing = true, .durable = false};
    auto w = ShardArchiveWriter::create(out, o);
    if (!w) return state.SkipWithError("create failed");
    if (!w->add_file("db/rp/1/000000001-000000001.tsm", tsm.path)) return state.SkipWithError("add failed");
    auto n = w->finish();
    if (!n) return state.SkipWithError("finish failed");
    tar_bytes = *n;
    file_bytes = fs::file_size(out);
  }
  std::error_code ec;
  fs::remove(out, ec);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * tar_bytes));
  state.counters["ratio"] = static_cast<double>(file_bytes) / static_cast<double>(tar_bytes);
}

constexpr int kDefault = ShardArchiveWriterOptions::kDefaultLevel;

void BM_Anchor_PlainTar(benchmark::State& s) { write_archive(s, ArchiveCompression::none, kDefault); }
void BM_Gzip_Default(benchmark::State& s) { write_archive(s, ArchiveCompression::gzip, kDefault); }
void BM_Gzip_EveryChunkLibdeflate1(benchmark::State& s) { write_archive(s, ArchiveCompression::gzip, 1); }
void BM_Gzip_EveryChunkLibdeflate6(benchmark::State& s) { write_archive(s, ArchiveCompression::gzip, 6); }
void BM_Zstd_Default(benchmark::State& s) { write_archive(s, ArchiveCompression::zstd, kDefault); }
void BM_Zstd_Level1(benchmark::State& s) { write_archive(s, ArchiveCompression::zstd, 1); }

BENCHMARK(BM_Anchor_PlainTar)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gzip_Default)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gzip_EveryChunkLibdeflate1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gzip_EveryChunkLibdeflate6)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Zstd_Default)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Zstd_Level1)->Unit(benchmark::kMillisecond);

}  // namespace
