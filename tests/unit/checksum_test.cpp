#include "ifx/format/io/checksum.hpp"

#include <gtest/gtest.h>

#include <string_view>

#include "support/bytes.hpp"

namespace {

using ifx::test::bytes_of;

TEST(Crc32, MatchesTheStandardCheckValue) {
  // The CRC-32/ISO-HDLC check value of "123456789".
  EXPECT_EQ(ifx::crc32(bytes_of("123456789")), 0xCBF43926u);
}

TEST(Crc32, ContinuesARunningValue) {
  EXPECT_EQ(ifx::crc32(bytes_of("6789"), ifx::crc32(bytes_of("12345"))), 0xCBF43926u);
}

TEST(Crc32, MatchesTheTsmTestVectorBlock) {
  // docs/FORMATS.md §6.7: the 30-byte block of the single-point file has CRC 4e da 16 8a.
  const std::uint8_t block[] = {0x00, 0x09, 0x1c, 0x16, 0x34, 0x57, 0x85, 0xd8, 0xa0, 0x00,
                                0x00, 0x10, 0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                0xc3, 0xfc, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
  EXPECT_EQ(ifx::crc32(block), 0x4eda168au);
}

}  // namespace
