// String sections (docs/FORMATS.md §7.7, Snappy block of uvarint-prefixed values): decode → encode →
// decode round trip.
#include "codec_roundtrip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ifx::tsm;
  ifx::fuzz::section_round_trip<std::string>(
      {data, size}, [](auto s, auto& out) { return decode_strings(s, out); },
      [](auto v, auto& out) { encode_strings(v, out); });
  return 0;
}
