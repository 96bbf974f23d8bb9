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

#include "ifx/format/archive/shard_archive.hpp"
#include "synthetic_tsm.hpp"

namespace {

using namespace ifx;
using namespace ifx::tsm;
namespace fs = std::filesystem;

constexpr int kSeries = 100;          // × 2 fields (float, integer)
constexpr int kPointsPerKey = 10000;  // 10 s apart

const ifx::bench::SyntheticTsm& tsm_file() {
  static ifx::bench::SyntheticTsm file;
  static const bool made = [] {
    std::normal_distribution<double> noise(0.0, 25.0);  // full-precision measurements
    ifx::bench::write_synthetic_tsm(file, "archive-write-bench", kSeries, kPointsPerKey,
                                    [&](std::mt19937_64& rng, bool) { return 50 + noise(rng); });
    return true;
  }();
  (void)made;
  return file;
}

void write_archive(benchmark::State& state, ArchiveCompression compression, int level) {
  const auto& tsm = tsm_file();
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
