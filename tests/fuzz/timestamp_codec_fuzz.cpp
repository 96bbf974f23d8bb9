// Timestamp sections (docs/FORMATS.md §7.2): decode → encode → decode round trip.
#include "codec_roundtrip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ifx::tsm;
  ifx::fuzz::section_round_trip<std::int64_t>(
      {data, size}, [](auto s, auto& out) { return decode_timestamps(s, out); },
      [](auto v, auto& out) { encode_timestamps(v, out); });
  return 0;
}
