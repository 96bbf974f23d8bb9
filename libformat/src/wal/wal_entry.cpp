#include "wal/wal_entry.hpp"

#include <limits>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "tsm/tsm_file_io.hpp"

namespace ifx::wal::detail {
namespace {

using tsm::BlockType;
using tsm::detail::load_u16_be;
using tsm::detail::load_u32_be;
using tsm::detail::load_u64_be;

template <class... Args>
std::unexpected<Error> corrupt(fmt::format_string<Args...> f, Args&&... args) {
  return fail(ErrorCode::wal_invalid, fmt::format(f, std::forward<Args>(args)...));
}

// The smallest number of bytes one value of a type takes after its timestamp (§11.3).
std::size_t min_value_bytes(BlockType type) {
  switch (type) {
    case BlockType::Boolean:
      return 1;
    case BlockType::String:
      return 4;  // its length, then the bytes
    default:
      return 8;
  }
}

// One record's values: N timestamps each followed by a value of `type`. The caller has checked
// that N values of the smallest size fit, so reserving N is bounded by the data.
Result<void> decode_values(std::span<const std::uint8_t> data, std::size_t& pos, std::uint32_t n,
                           tsm::DecodedBlock& out) {
  out.times.reserve(n);
  for (std::uint32_t j = 0; j < n; ++j) {
    if (data.size() - pos < 8 + min_value_bytes(out.type)) {
      return corrupt("write record: value #{} at byte {} runs past the end of the data ({} bytes)", j, pos,
                     data.size());
    }
    const std::uint8_t* p = data.data() + pos;
    out.times.push_back(static_cast<std::int64_t>(load_u64_be(p)));
    pos += 8;
    p += 8;
    switch (out.type) {
      case BlockType::Float:
        out.floats.push_back(std::bit_cast<double>(load_u64_be(p)));
        pos += 8;
        break;
      case BlockType::Integer:
        out.integers.push_back(static_cast<std::int64_t>(load_u64_be(p)));
        pos += 8;
        break;
      case BlockType::Unsigned:
        out.unsigneds.push_back(load_u64_be(p));
        pos += 8;
        break;
      case BlockType::Boolean:
        // §11.3: 1 is true, any other byte false (influxd reads it so).
        out.booleans.push_back(*p == 1 ? 1 : 0);
        pos += 1;
        break;
      case BlockType::String: {
        const std::uint32_t len = load_u32_be(p);
        pos += 4;
        if (len > data.size() - pos) {
          return corrupt("write record: string value #{} declares {} bytes at byte {} but {} remain", j, len, pos,
                         data.size() - pos);
        }
        out.strings.emplace_back(reinterpret_cast<const char*>(data.data() + pos), len);
        pos += len;
        break;
      }
    }
  }
  return {};
}

// §11.3: records of (value type, u16 key length, key, u32 N, N values) until the end of the data.
Result<void> decode_write(std::span<const std::uint8_t> data, std::vector<WalKeyValues>& writes) {
  std::size_t used = 0;
  std::size_t pos = 0;
  while (pos < data.size()) {
    const std::size_t record = pos;
    if (data.size() - pos < 3) {
      return corrupt("write record at byte {} is cut short: its value type and key length need 3 bytes, {} remain",
                     record, data.size() - pos);
    }
    const auto type = block_type_of_wal_value_byte(data[pos]);
    if (!type) {
      return corrupt(
          "write record at byte {} has unknown value type {} (1 float, 2 integer, 3 boolean, 4 string, "
          "5 unsigned)",
          record, data[pos]);
    }
    const std::size_t key_len = load_u16_be(data.data() + pos + 1);
    pos += 3;
    if (key_len > data.size() - pos) {
      return corrupt("write record at byte {}: its key of {} bytes runs past the end of the data ({} remain)", record,
                     key_len, data.size() - pos);
    }
    const std::string_view key(reinterpret_cast<const char*>(data.data() + pos), key_len);
    pos += key_len;
    if (data.size() - pos < 4) {
      return corrupt("write record at byte {} (key {}): its value count is cut short", record, key);
    }
    const std::uint32_t n = load_u32_be(data.data() + pos);
    pos += 4;
    if (n == 0) return corrupt("write record at byte {} (key {}) holds no value (N = 0)", record, key);
    if (n > (data.size() - pos) / (8 + min_value_bytes(*type))) {
      return corrupt("write record at byte {} (key {}): {} {} values cannot fit in the {} bytes that remain", record,
                     key, n, tsm::block_type_name(*type), data.size() - pos);
    }
    if (used == writes.size()) writes.emplace_back();
    WalKeyValues& kv = writes[used++];
    kv.key.assign(key);
    kv.values.clear();
    kv.values.type = *type;
    if (auto r = decode_values(data, pos, n, kv.values); !r) {
      r.error().message = fmt::format("{} (record at byte {}, key {})", r.error().message, record, key);
      return r;
    }
  }
  writes.resize(used);
  return {};
}

// §11.4: keys joined by '\n'.
void decode_delete(std::string_view data, std::vector<std::string>& keys) {
  keys.clear();
  if (data.empty()) return;
  for (std::size_t begin = 0;;) {
    const std::size_t end = data.find('\n', begin);
    keys.emplace_back(data.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin));
    if (end == std::string_view::npos) return;
    begin = end + 1;
  }
}

// §11.5: min, max, then (u32 length, key) until the end of the data.
Result<void> decode_delete_range(std::span<const std::uint8_t> data, WalEntry& out) {
  out.keys.clear();
  if (data.size() < 16) {
    return corrupt("delete-range entry holds {} bytes; its time range alone takes 16", data.size());
  }
  out.min = static_cast<std::int64_t>(load_u64_be(data.data()));
  out.max = static_cast<std::int64_t>(load_u64_be(data.data() + 8));
  std::size_t pos = 16;
  while (pos < data.size()) {
    if (data.size() - pos < 4) {
      return corrupt("delete-range entry: the key length at byte {} is cut short ({} bytes remain)", pos,
                     data.size() - pos);
    }
    const std::uint32_t len = load_u32_be(data.data() + pos);
    pos += 4;
    if (len > data.size() - pos) {
      return corrupt("delete-range entry: the key at byte {} declares {} bytes but {} remain", pos - 4, len,
                     data.size() - pos);
    }
    out.keys.emplace_back(reinterpret_cast<const char*>(data.data() + pos), len);
    pos += len;
  }
  return {};
}

}  // namespace

Result<void> decode_entry_data(std::span<const std::uint8_t> data, WalEntry& out) {
  switch (out.type) {
    case WalEntryType::Write:
      out.keys.clear();
      out.min = out.max = 0;
      return decode_write(data, out.writes);
    case WalEntryType::Delete:
      out.writes.clear();
      decode_delete({reinterpret_cast<const char*>(data.data()), data.size()}, out.keys);
      out.min = std::numeric_limits<std::int64_t>::min();
      out.max = std::numeric_limits<std::int64_t>::max();
      return {};
    case WalEntryType::DeleteRange:
      out.writes.clear();
      return decode_delete_range(data, out);
  }
  return corrupt("unknown entry type {}", static_cast<int>(out.type));
}

}  // namespace ifx::wal::detail
