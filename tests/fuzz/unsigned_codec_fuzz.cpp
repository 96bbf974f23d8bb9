// Unsigned sections (docs/FORMATS.md §7.5, the integer layout reinterpreted): decode → encode →
// decode round trip.
#include "codec_roundtrip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ifx::tsm;
  ifx::fuzz::section_round_trip<std::uint64_t>(
      {data, size}, [](auto s, auto& out) { return decode_unsigneds(s, out); },
      [](auto v, auto& out) { encode_unsigneds(v, out); });
  return 0;
}
