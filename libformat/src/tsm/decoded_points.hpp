// Private helpers over DecodedBlock (encoding.hpp): copying ranges of points between blocks
// without caring which value vector the type uses, and putting points in time order.
#pragma once

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <utility>
#include <vector>

#include "ifx/format/tsm/encoding.hpp"

namespace ifx::tsm::detail {

// Appends points [begin, end) of `src` to `dst` (same type).
inline void append_points(DecodedBlock& dst, const DecodedBlock& src, std::size_t begin, std::size_t end) {
  dst.times.insert(dst.times.end(), src.times.begin() + begin, src.times.begin() + end);
  switch (src.type) {
    case BlockType::Float:
      dst.floats.insert(dst.floats.end(), src.floats.begin() + begin, src.floats.begin() + end);
      break;
    case BlockType::Integer:
      dst.integers.insert(dst.integers.end(), src.integers.begin() + begin, src.integers.begin() + end);
      break;
    case BlockType::Boolean:
      dst.booleans.insert(dst.booleans.end(), src.booleans.begin() + begin, src.booleans.begin() + end);
      break;
    case BlockType::String:
      dst.strings.insert(dst.strings.end(), src.strings.begin() + begin, src.strings.begin() + end);
      break;
    case BlockType::Unsigned:
      dst.unsigneds.insert(dst.unsigneds.end(), src.unsigneds.begin() + begin, src.unsigneds.begin() + end);
      break;
  }
}

// Keeps the points whose index satisfies keep(i), in order (in place).
template <class Keep>
void retain_points(DecodedBlock& b, Keep keep) {
  std::size_t out = 0;
  const std::size_t n = b.times.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (!keep(i)) continue;
    if (out != i) {
      b.times[out] = b.times[i];
      switch (b.type) {
        case BlockType::Float:
          b.floats[out] = b.floats[i];
          break;
        case BlockType::Integer:
          b.integers[out] = b.integers[i];
          break;
        case BlockType::Boolean:
          b.booleans[out] = b.booleans[i];
          break;
        case BlockType::String:
          b.strings[out] = std::move(b.strings[i]);
          break;
        case BlockType::Unsigned:
          b.unsigneds[out] = b.unsigneds[i];
          break;
      }
    }
    ++out;
  }
  b.times.resize(out);
  switch (b.type) {
    case BlockType::Float:
      b.floats.resize(out);
      break;
    case BlockType::Integer:
      b.integers.resize(out);
      break;
    case BlockType::Boolean:
      b.booleans.resize(out);
      break;
    case BlockType::String:
      b.strings.resize(out);
      break;
    case BlockType::Unsigned:
      b.unsigneds.resize(out);
      break;
  }
}

// Ascending time, one point per timestamp: a stable sort, and of equal timestamps the last one
// kept, as influxd's Values.Deduplicate does (a later write, or a later file, wins).
inline void sort_and_deduplicate(DecodedBlock& block, DecodedBlock& scratch) {
  std::vector<std::size_t> order(block.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return block.times[a] < block.times[b]; });
  scratch.clear();
  scratch.type = block.type;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i + 1 < order.size() && block.times[order[i + 1]] == block.times[order[i]]) continue;
    append_points(scratch, block, order[i], order[i] + 1);
  }
  std::swap(block, scratch);
}

}  // namespace ifx::tsm::detail
