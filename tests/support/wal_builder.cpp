#include "support/wal_builder.hpp"

#include <bit>

#include <snappy.h>

namespace ifx::test {

std::string be_bytes(std::uint64_t n, int width) {
  std::string out;
  for (int shift = 8 * (width - 1); shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
  return out;
}

std::string snappy_block(std::string_view data) {
  std::string out;
  snappy::Compress(data.data(), data.size(), &out);
  return out;
}

std::string wal_raw_entry(std::uint8_t type, std::string_view compressed) {
  return static_cast<char>(type) + be_bytes(compressed.size(), 4) + std::string(compressed);
}

std::string wal_entry(std::uint8_t type, std::string_view data) { return wal_raw_entry(type, snappy_block(data)); }

std::string wal_write_data(const std::vector<wal::WalKeyValues>& records) {
  std::string out;
  for (const auto& [key, values] : records) {
    out += static_cast<char>(wal::wal_value_type_byte(values.type));
    out += be_bytes(key.size(), 2) + key;
    out += be_bytes(values.size(), 4);
    for (std::size_t i = 0; i < values.size(); ++i) {
      out += be_bytes(static_cast<std::uint64_t>(values.times[i]), 8);
      switch (values.type) {
        case tsm::BlockType::Float:
          out += be_bytes(std::bit_cast<std::uint64_t>(values.floats[i]), 8);
          break;
        case tsm::BlockType::Integer:
          out += be_bytes(static_cast<std::uint64_t>(values.integers[i]), 8);
          break;
        case tsm::BlockType::Unsigned:
          out += be_bytes(values.unsigneds[i], 8);
          break;
        case tsm::BlockType::Boolean:
          out += static_cast<char>(values.booleans[i]);
          break;
        case tsm::BlockType::String:
          out += be_bytes(values.strings[i].size(), 4) + values.strings[i];
          break;
      }
    }
  }
  return out;
}

std::string wal_delete_data(const std::vector<std::string>& keys) {
  std::string out;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) out += '\n';
    out += keys[i];
  }
  return out;
}

std::string wal_delete_range_data(std::int64_t min, std::int64_t max, const std::vector<std::string>& keys) {
  std::string out = be_bytes(static_cast<std::uint64_t>(min), 8) + be_bytes(static_cast<std::uint64_t>(max), 8);
  for (const auto& k : keys) out += be_bytes(k.size(), 4) + k;
  return out;
}

std::string wal_write_entry(const std::vector<wal::WalKeyValues>& records) {
  return wal_entry(1, wal_write_data(records));
}
std::string wal_delete_entry(const std::vector<std::string>& keys) { return wal_entry(2, wal_delete_data(keys)); }
std::string wal_delete_range_entry(std::int64_t min, std::int64_t max, const std::vector<std::string>& keys) {
  return wal_entry(3, wal_delete_range_data(min, max, keys));
}

}  // namespace ifx::test
