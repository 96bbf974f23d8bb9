// Float sections (docs/FORMATS.md §7.3, Gorilla XOR): decode → encode → decode round trip, bit exact.
#include "codec_roundtrip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ifx::tsm;
  ifx::fuzz::section_round_trip<double>(
      {data, size}, [](auto s, auto& out) { return decode_floats(s, out); },
      [](auto v, auto& out) { return encode_floats(v, out); });
  return 0;
}
