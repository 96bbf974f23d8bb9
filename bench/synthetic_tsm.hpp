// A synthetic TSM file for the kernels: `series` cpu series, each with a float and an integer
// field of `points_per_key` points 10 s apart (counters with jitter for the integers; the floats
// from `next_float`, so each benchmark picks how compressible they are). Removed at exit.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>

#include <fmt/format.h>

#include "ifx/format/tsm/tsm_writer.hpp"

namespace ifx::bench {

struct SyntheticTsm {
  std::filesystem::path path;
  std::uint64_t size = 0;
  std::uint64_t points = 0;
  SyntheticTsm() = default;
  SyntheticTsm(const SyntheticTsm&) = delete;
  SyntheticTsm& operator=(const SyntheticTsm&) = delete;
  ~SyntheticTsm() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

// `next_float(rng)` gives a series' next float value; it is called in time order per series.
inline void write_synthetic_tsm(SyntheticTsm& f, const std::string& tag, int series, int points_per_key,
                                const std::function<double(std::mt19937_64&, bool first)>& next_float) {
  using namespace ifx::tsm;
  constexpr std::int64_t kStart = 1600000000000000000;
  f.path = std::filesystem::temp_directory_path() / fmt::format("ifx-{}-{}.tsm", tag, ::getpid());
  auto w = TsmWriter::create(f.path, {.sync_on_finish = false});
  if (!w) std::abort();
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> noise(-5000, 5000);
  DecodedBlock points;
  for (int s = 0; s < series; ++s) {
    const std::string key_prefix = fmt::format("cpu,host=server{:04},region=r{}", s, s % 7);
    for (BlockType type : {BlockType::Float, BlockType::Integer}) {  // "#!~#f" < "#!~#i"
      points.clear();
      points.type = type;
      std::int64_t counter = 0;
      for (int i = 0; i < points_per_key; ++i) {
        points.times.push_back(kStart + std::int64_t{i} * 10'000'000'000);
        if (type == BlockType::Float) {
          points.floats.push_back(next_float(rng, i == 0));
        } else {
          counter += 100000 + noise(rng);
          points.integers.push_back(counter);
        }
      }
      const std::string key = key_prefix + (type == BlockType::Float ? "#!~#f" : "#!~#i");
      if (!w->add_points(key, points)) std::abort();
      f.points += points.size();
    }
  }
  if (!w->finish()) std::abort();
  f.size = std::filesystem::file_size(f.path);
  std::fprintf(stderr, "bench file: %s, %.1f MB, %llu points\n", f.path.c_str(), f.size / 1e6,
               static_cast<unsigned long long>(f.points));
}

}  // namespace ifx::bench
