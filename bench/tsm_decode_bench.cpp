// Decoding speed of the TSM block codecs (docs/FORMATS.md §7), 1000 values per block as influxd
// writes them. items/s counts decoded values; bytes/s counts encoded (TSM) bytes consumed.
// BM_Anchor_Memcpy copies 8000 bytes (1000 decoded 8-byte values) so that figures can be
// reported as ratios to memcpy on the same machine.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ifx/format/tsm/encoding.hpp"

namespace {

using namespace ifx::tsm;
using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kValues = 1000;
constexpr std::int64_t kStart = 1600000000000000000;

Bytes timestamps(bool regular) {
  std::mt19937_64 rng(1);
  std::vector<std::int64_t> t;
  std::int64_t now = kStart;
  for (std::size_t i = 0; i < kValues; ++i) {
    t.push_back(now);
    now += regular ? 10'000'000'000 : 1 + static_cast<std::int64_t>(rng() % 2'000'000'000);
  }
  Bytes out;
  encode_timestamps(t, out);
  return out;
}

Bytes floats(bool rounded) {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> step(-1.0, 1.0);
  std::vector<double> v;
  double x = 100.0;
  for (std::size_t i = 0; i < kValues; ++i) {
    x += step(rng);
    v.push_back(rounded ? std::round(x * 100) / 100 : x);
  }
  Bytes out;
  (void)encode_floats(v, out);
  return out;
}

Bytes integers() {
  std::mt19937_64 rng(3);
  std::vector<std::int64_t> v;
  std::int64_t x = 5000;
  for (std::size_t i = 0; i < kValues; ++i) v.push_back(x += static_cast<std::int64_t>(rng() % 201) - 100);
  Bytes out;
  encode_integers(v, out);
  return out;
}

Bytes booleans() {
  std::mt19937_64 rng(4);
  std::vector<std::uint8_t> v;
  for (std::size_t i = 0; i < kValues; ++i) v.push_back(static_cast<std::uint8_t>(rng() & 1));
  Bytes out;
  encode_booleans(v, out);
  return out;
}

std::vector<std::string> string_values() {
  std::mt19937_64 rng(5);
  static const char* kWords[] = {"ok", "warning", "critical", "host-", "disk full", "retrying", "GET /api/v2"};
  std::vector<std::string> v;
  for (std::size_t i = 0; i < kValues; ++i) {
    v.push_back(std::string(kWords[rng() % 7]) + " " + std::to_string(rng() % 100000));
  }
  return v;
}

Bytes strings() {
  Bytes out;
  encode_strings(string_values(), out);
  return out;
}

template <class T, class Decode>
void run(benchmark::State& state, const Bytes& section, Decode decode) {
  std::vector<T> out;
  for (auto _ : state) {
    auto r = decode(section, out);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * section.size()));
  state.counters["section_bytes"] = static_cast<double>(section.size());
}

void BM_DecodeTimestamps_Regular(benchmark::State& state) {
  static const Bytes section = timestamps(true);
  run<std::int64_t>(state, section, [](auto s, auto& o) { return decode_timestamps(s, o); });
}
BENCHMARK(BM_DecodeTimestamps_Regular);

void BM_DecodeTimestamps_Irregular(benchmark::State& state) {
  static const Bytes section = timestamps(false);
  run<std::int64_t>(state, section, [](auto s, auto& o) { return decode_timestamps(s, o); });
}
BENCHMARK(BM_DecodeTimestamps_Irregular);

void BM_DecodeFloats_RandomWalk(benchmark::State& state) {
  static const Bytes section = floats(false);
  run<double>(state, section, [](auto s, auto& o) { return decode_floats(s, o); });
}
BENCHMARK(BM_DecodeFloats_RandomWalk);

void BM_DecodeFloats_RandomWalkRounded(benchmark::State& state) {
  static const Bytes section = floats(true);
  run<double>(state, section, [](auto s, auto& o) { return decode_floats(s, o); });
}
BENCHMARK(BM_DecodeFloats_RandomWalkRounded);

void BM_DecodeIntegers(benchmark::State& state) {
  static const Bytes section = integers();
  run<std::int64_t>(state, section, [](auto s, auto& o) { return decode_integers(s, o); });
}
BENCHMARK(BM_DecodeIntegers);

void BM_DecodeBooleans(benchmark::State& state) {
  static const Bytes section = booleans();
  run<std::uint8_t>(state, section, [](auto s, auto& o) { return decode_booleans(s, o); });
}
BENCHMARK(BM_DecodeBooleans);

void BM_DecodeStrings(benchmark::State& state) {
  static const Bytes section = strings();
  run<std::string>(state, section, [](auto s, auto& o) { return decode_strings(s, o); });
}
BENCHMARK(BM_DecodeStrings);

// A whole float block (timestamps + values), as a shard reader decodes it.
void BM_DecodeBlock_Float(benchmark::State& state) {
  static const Bytes block = [] {
    DecodedBlock b;
    b.type = BlockType::Float;
    std::mt19937_64 rng(6);
    double x = 20.0;
    for (std::size_t i = 0; i < kValues; ++i) {
      b.times.push_back(kStart + static_cast<std::int64_t>(i) * 10'000'000'000);
      b.floats.push_back(x += std::uniform_real_distribution<double>(-1, 1)(rng));
    }
    Bytes out;
    (void)encode_block(b, out);
    return out;
  }();
  DecodedBlock out;
  for (auto _ : state) {
    auto r = decode_block(block, out);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(out.floats.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kValues));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * block.size()));
  state.counters["section_bytes"] = static_cast<double>(block.size());
}
BENCHMARK(BM_DecodeBlock_Float);

// Anchor: copying the 8000 bytes that 1000 decoded 8-byte values occupy.
void BM_Anchor_Memcpy(benchmark::State& state) {
  const std::size_t n = kValues * sizeof(std::uint64_t);
  std::vector<std::uint8_t> src(n, 0x5a), dst(n);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), n);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kValues));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_Anchor_Memcpy);

}  // namespace
