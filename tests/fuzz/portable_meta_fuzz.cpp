// Portable `<base>.meta` (docs/FORMATS.md §3.2): protobuf PortableData { 1: bytes Data, 2: uint64
// MaxNodeID }. Whatever Data parses out must survive encode_portable_meta → parse unchanged.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "ifx/format/meta/meta_envelope.hpp"

using namespace ifx;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto blob = meta::parse_portable_meta(std::span<const std::uint8_t>(data, size));
  if (!blob) {
    fuzz::check_error(blob.error(), {"meta-invalid"}, size);
    return 0;
  }
  fuzz::check(blob->size() <= size, "Data longer than the message");
  const std::string encoded = meta::encode_portable_meta(*blob, size);
  auto again = meta::parse_portable_meta(encoded);
  fuzz::check(again.has_value(), "encode_portable_meta output does not parse",
              again ? std::string() : again.error().message);
  fuzz::check(*again == *blob, "parse(encode(Data)) != Data");
  return 0;
}
