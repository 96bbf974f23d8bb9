// Line protocol output speed (docs/FORMATS.md §8). Anchors in the same binary make the figures
// ratios: BM_Anchor_Snprintf formats the same doubles with snprintf("%.17g") (what a naive
// exporter would do, and not even round-trip-shortest), BM_Anchor_SnprintfLines builds the same
// float lines with one snprintf each.
#include "ifx/format/text/go_float.hpp"
#include "ifx/format/text/line_protocol.hpp"

#include <benchmark/benchmark.h>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kValues = 4096;
constexpr std::size_t kFlushAt = 1 << 20;  // callers flush the buffer around 1 MiB

// Mostly sensor-like values (a few decimals), some arbitrary bit patterns.
const std::vector<double>& sample_doubles() {
  static const std::vector<double> values = [] {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> reading(-50.0, 150.0);
    std::vector<double> v;
    v.reserve(kValues);
    while (v.size() < kValues) {
      if (v.size() % 4 == 3) {
        const double d = std::bit_cast<double>(rng());
        if (d == d && d - d == 0) v.push_back(d);  // finite
      } else {
        v.push_back(static_cast<double>(static_cast<std::int64_t>(reading(rng) * 100)) / 100);
      }
    }
    return v;
  }();
  return values;
}

// Lines written per second, the figure the README quotes, beside Google Benchmark's items/s.
void count_lines(benchmark::State& state, std::size_t lines_per_iteration) {
  const auto lines = state.iterations() * lines_per_iteration;
  state.SetItemsProcessed(static_cast<std::int64_t>(lines));
  state.counters["lines/s"] = benchmark::Counter(static_cast<double>(lines), benchmark::Counter::kIsRate);
}

void BM_FormatGoFloat(benchmark::State& state) {
  const auto& values = sample_doubles();
  std::string out;
  out.reserve(64 * kValues);
  for (auto _ : state) {
    out.clear();
    for (double v : values) ifx::text::append_go_float(out, v);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * values.size()));
}
BENCHMARK(BM_FormatGoFloat);

void BM_Anchor_Snprintf(benchmark::State& state) {
  const auto& values = sample_doubles();
  std::string out;
  out.reserve(64 * kValues);
  char buf[40];
  for (auto _ : state) {
    out.clear();
    for (double v : values) {
      const int n = std::snprintf(buf, sizeof buf, "%.17g", v);
      out.append(buf, static_cast<std::size_t>(n));
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * values.size()));
}
BENCHMARK(BM_Anchor_Snprintf);

constexpr std::string_view kSeriesKey = "cpu,host=server-042,region=eu-west-1";

// One line per sample value, 10 s apart, into `out`, cleared at kFlushAt: `write_line(v, t)`
// appends one line; `start_batch()` runs before each pass over the values.
template <class StartBatch, class WriteLine>
void float_lines(benchmark::State& state, std::string& out, StartBatch&& start_batch, WriteLine&& write_line) {
  const auto& values = sample_doubles();
  out.reserve(kFlushAt + 4096);
  std::int64_t t = 1600000000000000000;
  for (auto _ : state) {
    start_batch();
    for (double v : values) {
      write_line(v, t);
      t += 10'000'000'000;
    }
    if (out.size() >= kFlushAt) out.clear();
    benchmark::DoNotOptimize(out.data());
  }
  count_lines(state, values.size());
}

// influx_inspect export's shape: one composite key, many float values.
void BM_FloatLines(benchmark::State& state) {
  std::string out;
  ifx::lp::LineWriter writer(out);
  float_lines(
      state, out, [&] { writer.select_field(kSeriesKey, "usage_user"); },
      [&](double v, std::int64_t t) { writer.write_float(v, t); });
}
BENCHMARK(BM_FloatLines);

void BM_Anchor_SnprintfLines(benchmark::State& state) {
  std::string out;
  char buf[256];
  float_lines(
      state, out, [] {},
      [&](double v, std::int64_t t) {
        const int n = std::snprintf(buf, sizeof buf, "%.*s usage_user=%.17g %lld\n",
                                    static_cast<int>(kSeriesKey.size()), kSeriesKey.data(), v,
                                    static_cast<long long>(t));
        out.append(buf, static_cast<std::size_t>(n));
      });
}
BENCHMARK(BM_Anchor_SnprintfLines);

// Multi-field points of every type, fields sorted by key.
void BM_MixedPoints(benchmark::State& state) {
  const auto& values = sample_doubles();
  std::string out;
  out.reserve(kFlushAt + 4096);
  ifx::lp::LineWriter writer(out);
  std::int64_t t = 1600000000000000000;
  for (auto _ : state) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      const ifx::lp::Field fields[] = {
          {"active", (i & 1) != 0},
          {"bytes", static_cast<std::uint64_t>(i * 4096)},
          {"count", static_cast<std::int64_t>(i) - 2000},
          {"status", std::string_view(i % 3 ? "ok" : "degraded \"slow\"")},
          {"usage", values[i]},
      };
      writer.write_point(kSeriesKey, fields, t);
      t += 10'000'000'000;
    }
    if (out.size() >= kFlushAt) out.clear();
    benchmark::DoNotOptimize(out.data());
  }
  count_lines(state, values.size());
}
BENCHMARK(BM_MixedPoints);

}  // namespace
