// Tar headers byte-identical to Go's archive/tar as influxd writes them (docs/FORMATS.md §4.1).
#pragma once

#include <cstdint>
#include <string>

namespace ifx::archive {

struct GoTarHeader {
  std::string name;
  std::uint64_t size = 0;
  std::uint32_t mode = 0644;
  std::int64_t mtime = 0;
  std::uint32_t uid = 0, gid = 0;
  std::string uname, gname;
};

// The header blocks for one regular-file entry: one USTAR block (name split into the prefix
// field when longer than 100 bytes), or, when USTAR cannot represent the entry (non-ASCII or
// unsplittable name, size >= 8 GiB, ...), a PAX 'x' header with its records followed by the
// main block. Always a multiple of 512 bytes.
std::string encode_go_tar_header(const GoTarHeader& h);

}  // namespace ifx::archive
