// Shard archives (docs/FORMATS.md §4.1, §2.4, §3.3): tar headers and entry names through our
// ShardArchiveReader, plain or inside gzip/zstd. Every entry is read to its end, alternately
// with read() and copy_to_fd(); the bytes handed out must match each entry's size.
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "ifx/format/archive/shard_archive.hpp"

using namespace ifx;

namespace {

constexpr std::string_view kCodes[] = {"tar-header",     "tar-truncated",      "unsafe-path",
                                       "gzip-truncated", "gzip-crc",           "gzip-invalid",
                                       "zstd-invalid",   "decompression-bomb", "io"};
constexpr int kMaxEntries = 4096;

int dev_null() {
  static const int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ShardArchiveReaderOptions options;
  // Bounded work per input: a few KiB of deflate can expand a thousandfold.
  options.max_uncompressed_bytes = 16u << 20;
  options.bomb_grace_bytes = 1u << 20;
  auto reader = ShardArchiveReader::open(fuzz::MemoryFile::input().write({data, size}), options);
  if (!reader) {
    fuzz::check_error(reader.error(), kCodes, ~std::uint64_t{0});
    return 0;
  }
  fuzz::check(reader->compression() == detect_compression({data, size}), "compression differs from the magic");
  static std::array<std::uint8_t, 4096> buffer;
  ArchiveEntry entry;
  for (int i = 0; i < kMaxEntries; ++i) {
    const std::uint64_t before = reader->uncompressed_bytes();
    auto more = reader->next(entry);
    if (!more) {
      // Tar offsets count decompressed bytes, so only the code is checked here.
      fuzz::check_error(more.error(), kCodes, ~std::uint64_t{0});
      auto again = reader->next(entry);
      fuzz::check(!again && again.error().code == more.error().code, "reader not finished after an error");
      return 0;
    }
    if (!*more) break;
    fuzz::check(reader->uncompressed_bytes() >= before, "uncompressed byte count went back");
    auto name = parse_shard_entry_name(entry.name);
    fuzz::check(name.has_value(), "entry handed out with an unsafe name", entry.name);
    fuzz::check(entry.shard.shard_id == name->shard_id && entry.shard.file == name->file, "entry.shard differs");
    std::uint64_t got = 0;
    if (i % 2 == 0) {
      for (;;) {
        auto n = reader->read(buffer);
        if (!n) {
          fuzz::check_error(n.error(), kCodes, ~std::uint64_t{0});
          return 0;
        }
        if (*n == 0) break;
        got += *n;
      }
    } else {
      auto n = reader->copy_to_fd(dev_null(), "/dev/null");
      if (!n) {
        fuzz::check_error(n.error(), kCodes, ~std::uint64_t{0});
        return 0;
      }
      got = *n;
    }
    fuzz::check(got == entry.size, "entry data length differs from its header size",
                entry.name + ": " + std::to_string(got) + " != " + std::to_string(entry.size));
  }
  fuzz::check(reader->compressed_bytes() <= size, "consumed more bytes than the file has");
  return 0;
}
