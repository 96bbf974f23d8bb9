// docs/FORMATS.md §6.4: composite keys (series key "#!~#" field) and the measurement of a series key.
#include "ifx/format/tsm/shard_points.hpp"

namespace ifx::tsm {

CompositeKey split_composite_key(std::string_view key) {
  constexpr std::string_view kSeparator = "#!~#";
  const std::size_t at = key.find(kSeparator);
  if (at == std::string_view::npos) return {key, {}, false};
  return {key.substr(0, at), key.substr(at + kSeparator.size()), true};
}

std::string measurement_of(std::string_view series_key) {
  // The name ends at the first ',' or ' ' whose previous byte is not a backslash; the first byte
  // is part of the name whatever it is (models.scanMeasurement).
  std::size_t end = series_key.empty() ? 0 : 1;
  while (end < series_key.size()) {
    const char c = series_key[end];
    if ((c == ',' || c == ' ') && series_key[end - 1] != '\\') break;
    ++end;
  }
  std::string name;
  name.reserve(end);
  for (std::size_t i = 0; i < end; ++i) {
    if (series_key[i] == '\\' && i + 1 < end && (series_key[i + 1] == ',' || series_key[i + 1] == ' ')) {
      name.push_back(series_key[++i]);
    } else {
      name.push_back(series_key[i]);
    }
  }
  return name;
}

}  // namespace ifx::tsm
