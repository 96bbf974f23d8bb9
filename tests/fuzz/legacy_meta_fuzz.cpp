// Legacy `meta.NN` envelope (docs/FORMATS.md §2.3, §1.6.1): the in-memory and the file parser must
// agree on every input (same result or same error code and offset), and a parsed envelope must
// be exactly what write_legacy_meta produces from its parts.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "ifx/format/meta/meta_envelope.hpp"

using namespace ifx;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  auto in_memory = meta::parse_legacy_meta(bytes);
  auto from_file = meta::read_legacy_meta_file(fuzz::MemoryFile::input().write(bytes));
  fuzz::check(in_memory.has_value() == from_file.has_value(), "parse_legacy_meta and read_legacy_meta_file disagree",
              in_memory ? from_file.error().message : in_memory.error().message);
  if (!in_memory) {
    fuzz::check_error(in_memory.error(), {"meta-invalid"}, size);
    fuzz::check_error(from_file.error(), {"meta-invalid"}, size);
    fuzz::check(in_memory.error().offset == from_file.error().offset,
                "file and memory parsers report different offsets",
                in_memory.error().message + " | " + from_file.error().message);
    return 0;
  }
  fuzz::check(in_memory->blob == from_file->blob && in_memory->node_json == from_file->node_json,
              "file and memory parsers return different parts");
  fuzz::check(meta::write_legacy_meta(in_memory->blob, in_memory->node_json) == fuzz::as_text(data, size),
              "write_legacy_meta(parse(x)) != x");
  return 0;
}
