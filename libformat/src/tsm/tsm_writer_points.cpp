// TsmWriter::add_points: encodes decoded points into blocks of at most max_points_per_block
// (docs/FORMATS.md §6.3, §7). Apart from tsm_writer.cpp because it needs the block codecs.
#include <fmt/format.h>

#include "ifx/format/tsm/tsm_writer.hpp"
#include "tsm/decoded_points.hpp"

namespace ifx::tsm {

Result<void> TsmWriter::add_points(std::string_view key, const DecodedBlock& points) {
  const std::size_t n = points.size();
  if (n == 0 || points.value_count() != n) {
    return std::unexpected(
        fail(ErrorCode::invalid_argument, fmt::format("points for key \"{}\" need as many values as timestamps and at "
                                                      "least one (got {} timestamps, {} values)",
                                                      key, n, points.value_count()))
            .error());
  }
  for (std::size_t i = 1; i < n; ++i) {
    if (points.times[i] <= points.times[i - 1]) {
      return std::unexpected(
          fail(ErrorCode::invalid_argument, fmt::format("points for key \"{}\" are not in strictly ascending time ({} "
                                                        "follows {})",
                                                        key, points.times[i], points.times[i - 1]))
              .error());
    }
  }
  const std::size_t per_block = max_points_per_block();
  DecodedBlock chunk;
  chunk.type = points.type;
  std::vector<std::uint8_t> encoded;
  for (std::size_t begin = 0; begin < n; begin += per_block) {
    const std::size_t end = std::min(n, begin + per_block);
    const DecodedBlock* source = &points;
    if (begin != 0 || end != n) {
      chunk.clear();
      chunk.type = points.type;
      detail::append_points(chunk, points, begin, end);
      source = &chunk;
    }
    encoded.clear();
    if (auto r = encode_block(*source, encoded); !r) return r;
    if (auto r = add_encoded_block(key, points.type, points.times[begin], points.times[end - 1], encoded); !r) {
      return r;
    }
  }
  return {};
}

}  // namespace ifx::tsm
