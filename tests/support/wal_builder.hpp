// WAL segments for tests (docs/FORMATS.md §11), written byte by byte from the spec by a small
// encoder of their own (libformat only reads WAL segments), with Snappy from the snappy library:
//
//   std::string segment = wal_write_entry({{"cpu,host=a#!~#v", points<double>({{10, 1.5}})}}) +
//                         wal_delete_range_entry(0, 10, {"cpu,host=a#!~#v"});
//
// An entry's data (wal_write_data, …) is a plain string, so a test damages it before wrapping it
// in an entry (wal_entry), or wraps bytes that are no Snappy block at all (wal_raw_entry).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ifx/format/wal/wal_segment.hpp"

namespace ifx::test {

// A Snappy raw block of `data`, as influxd's writer compresses each entry (§11.2).
std::string snappy_block(std::string_view data);

// One entry: type byte, u32 BE length, then `compressed` as it is.
std::string wal_raw_entry(std::uint8_t type, std::string_view compressed);
// One entry whose data is `data`, Snappy-compressed.
std::string wal_entry(std::uint8_t type, std::string_view data);

// §11.3: one record per key, in the order given (a key may repeat; values in the order given).
std::string wal_write_data(const std::vector<wal::WalKeyValues>& records);
// §11.4: the keys joined by '\n'.
std::string wal_delete_data(const std::vector<std::string>& keys);
// §11.5: min, max, then each key with its u32 BE length.
std::string wal_delete_range_data(std::int64_t min, std::int64_t max, const std::vector<std::string>& keys);

std::string wal_write_entry(const std::vector<wal::WalKeyValues>& records);
std::string wal_delete_entry(const std::vector<std::string>& keys);
std::string wal_delete_range_entry(std::int64_t min, std::int64_t max, const std::vector<std::string>& keys);

// `n` as big-endian bytes, `width` of them (the WAL's integers are all big-endian).
std::string be_bytes(std::uint64_t n, int width);

}  // namespace ifx::test
