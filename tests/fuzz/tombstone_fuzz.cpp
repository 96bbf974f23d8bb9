// Tombstone files (docs/FORMATS.md §6.6), all four versions. read_tombstones and for_each_tombstone
// must agree; whatever was read must be written back in the same version and read back equal.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "ifx/format/tsm/tombstone.hpp"

using namespace ifx;
using namespace ifx::tsm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& path = fuzz::MemoryFile::input().write({data, size});
  auto records = read_tombstones(path);
  std::vector<Tombstone> streamed;
  auto version = for_each_tombstone(path, [&](const Tombstone& t) -> Result<void> {
    streamed.push_back(t);
    return {};
  });
  fuzz::check(records.has_value() == version.has_value(), "read_tombstones and for_each_tombstone disagree");
  if (!records) {
    fuzz::check_error(records.error(), {"tombstone-invalid", "io"}, size);
    fuzz::check(records.error().offset == version.error().offset, "error offsets differ");
    return 0;
  }
  fuzz::check(*records == streamed, "read_tombstones and for_each_tombstone return different records");
  fuzz::check(*version == detect_tombstone_version({data, size}), "version differs from detect_tombstone_version");

  if (*version == TombstoneVersion::V1) {
    // v1 is text: a key ending in '\r' cannot come back (the reader drops one trailing '\r', as
    // Go's line scanner does), so such files are not rewritten.
    for (const auto& t : *records) {
      fuzz::check(!t.key.empty() && t.key.find('\n') == std::string::npos, "v1 key with a newline");
      if (t.key.back() == '\r') return 0;
    }
  }
  const auto& copy = fuzz::MemoryFile::output().path();
  const std::vector<std::vector<Tombstone>> batches{*records};
  auto written = write_tombstones(copy, *version, batches);
  if (!written && *version == TombstoneVersion::V1 && written.error().code == ifx::ErrorCode::invalid_argument) {
    // A v1 file cannot start with a v2-v4 header: refused when the first key would make one.
    const auto& first = records->front().key;
    const std::span<const std::uint8_t> head(reinterpret_cast<const std::uint8_t*>(first.data()), first.size());
    fuzz::check(detect_tombstone_version(head) != TombstoneVersion::V1, "v1 writer refuses a v1 key", first);
    return 0;
  }
  fuzz::check(written.has_value(), "write_tombstones refuses records it read",
              written ? std::string() : written.error().message);
  auto back = read_tombstones(copy);
  fuzz::check(back.has_value() && *back == *records, "read(write(records)) != records");
  return 0;
}
