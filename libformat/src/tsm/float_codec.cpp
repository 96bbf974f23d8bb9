// Float value sections (docs/FORMATS.md §7.4): Gorilla XOR compression, a bit stream read most
// significant bit first, ended by the NaN pattern 0x7FF8000000000001.
#include <bit>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "ifx/format/tsm/encoding.hpp"
#include "tsm/block_decode_error.hpp"
#include "tsm/varint.hpp"

namespace ifx::tsm {
namespace {

using detail::block_decode_error;

constexpr std::uint8_t kGorillaHeader = 0x10;
constexpr std::uint64_t kTerminator = 0x7FF8000000000001;  // §7.4: ends every float section

// Reads an MSB-first bit stream through a 64-bit buffer: `bits_` holds the next unread bits
// left-aligned; `count_` of them are valid (bits below may already hold later stream bits,
// which a refill ORs in again identically).
class BitReader {
 public:
  BitReader(const std::uint8_t* begin, const std::uint8_t* end) : begin_(begin), p_(begin), end_(end) {}

  // Makes at least 56 bits available unless the input ends first.
  void refill() {
    if (end_ - p_ >= 8) {
      bits_ |= detail::load_be64(p_) >> count_;
      const unsigned whole_bytes = (63 - count_) >> 3;
      p_ += whole_bytes;
      count_ += whole_bytes * 8;
    } else {
      while (count_ < 56 && p_ < end_) {  // at most 63 bits buffered, so take() never shifts by 64
        bits_ |= std::uint64_t{*p_++} << (56 - count_);
        count_ += 8;
      }
    }
  }

  unsigned available() const { return count_; }

  // 1 <= k <= 63 and k <= available().
  std::uint64_t take(unsigned k) {
    const std::uint64_t v = bits_ >> (64 - k);
    bits_ <<= k;
    count_ -= k;
    return v;
  }

  bool take_bit() { return take(1) != 0; }

  // Byte (inside the stream) holding the next unread bit.
  std::size_t byte_position() const { return static_cast<std::size_t>(p_ - begin_) - count_ / 8; }

 private:
  const std::uint8_t* begin_;
  const std::uint8_t* p_;
  const std::uint8_t* end_;
  std::uint64_t bits_ = 0;
  unsigned count_ = 0;
};

// MSB-first bit writer for the encoder.
class BitWriter {
 public:
  explicit BitWriter(std::vector<std::uint8_t>& out) : out_(out) {}

  // Appends the low `k` bits of v (0 <= k <= 64).
  void put(std::uint64_t v, unsigned k) {
    if (k > 32) {
      put_small(v >> 32, k - 32);
      k = 32;
    }
    put_small(v, k);
  }
  void put_bit(bool b) { put_small(b ? 1 : 0, 1); }

  // Pads the last byte with zero bits (§7.4 step 3).
  void finish() {
    if (pending_ > 0) out_.push_back(static_cast<std::uint8_t>(acc_ << (8 - pending_)));
    pending_ = 0;
  }

 private:
  void put_small(std::uint64_t v, unsigned k) {  // k <= 32
    if (k == 0) return;
    acc_ = (acc_ << k) | (v & ((std::uint64_t{1} << k) - 1));
    pending_ += k;
    while (pending_ >= 8) {
      pending_ -= 8;
      out_.push_back(static_cast<std::uint8_t>(acc_ >> pending_));
    }
  }

  std::vector<std::uint8_t>& out_;
  std::uint64_t acc_ = 0;
  unsigned pending_ = 0;  // bits of acc_ not yet written (< 8 between calls)
};

// Gorilla encoder state (§7.4 step 2), including the reference encoder's `lz & 0x1F` quirk so
// our bytes match influxd's.
class GorillaEncoder {
 public:
  GorillaEncoder(BitWriter& w, std::uint64_t first) : w_(w), prev_(first) { w_.put(first, 64); }

  void add(std::uint64_t x) {
    const std::uint64_t delta = x ^ prev_;
    prev_ = x;
    if (delta == 0) {
      w_.put_bit(false);
      return;
    }
    w_.put_bit(true);
    const unsigned leading = static_cast<unsigned>(std::countl_zero(delta)) & 0x1F;
    const unsigned trailing = static_cast<unsigned>(std::countr_zero(delta));
    if (window_set_ && leading >= leading_ && trailing >= trailing_) {
      w_.put_bit(false);
      w_.put(delta >> trailing_, 64 - leading_ - trailing_);
      return;
    }
    window_set_ = true;
    leading_ = leading;
    trailing_ = trailing;
    const unsigned significant = 64 - leading - trailing;
    w_.put_bit(true);
    w_.put(leading, 5);
    w_.put(significant, 6);  // 64 is written as 0 (only its low 6 bits fit)
    w_.put(delta >> trailing, significant);
  }

 private:
  BitWriter& w_;
  std::uint64_t prev_;
  bool window_set_ = false;
  unsigned leading_ = 0;
  unsigned trailing_ = 0;
};

}  // namespace

Result<void> decode_floats(std::span<const std::uint8_t> section, std::vector<double>& out) {
  out.clear();
  if (section.empty()) return {};
  if (section[0] >> 4 != kGorillaHeader >> 4) {
    return block_decode_error(0, "float section header 0x{:02x} names encoding {}; expected 1 (Gorilla XOR)",
                              section[0], section[0] >> 4);
  }
  if (section.size() < 9) {
    return block_decode_error(
        section.size(), "float section is {} bytes long; it needs at least 9 (header and first value)", section.size());
  }
  std::uint64_t value = detail::load_be64(section.data() + 1);
  if (value == kTerminator) return {};
  out.push_back(std::bit_cast<double>(value));

  BitReader r(section.data() + 9, section.data() + section.size());
  const auto ran_out = [&](const char* what) {
    return block_decode_error(section.size(),
                              "float section ends inside {} after {} values, before the terminator "
                              "0x7FF8000000000001 (docs/FORMATS.md §7.4)",
                              what, out.size());
  };
  // Before any window is read the reference decoder uses L = 0, T = 0 (64 significant bits).
  unsigned trailing = 0;
  unsigned significant = 64;
  for (;;) {
    r.refill();
    if (r.available() == 0) return ran_out("the stream");
    if (!r.take_bit()) {  // '0': same value as before
      if (out.size() >= kMaxBlockValues) {
        return block_decode_error(9 + r.byte_position(), "float section holds more than the {} values a block may hold",
                                  kMaxBlockValues);
      }
      out.push_back(std::bit_cast<double>(value));
      continue;
    }
    if (r.available() == 0) return ran_out("a control bit");
    if (r.take_bit()) {  // '1': a new window follows
      if (r.available() < 11) return ran_out("a window header");
      const auto leading = static_cast<unsigned>(r.take(5));
      significant = static_cast<unsigned>(r.take(6));
      if (significant == 0) significant = 64;
      if (leading + significant > 64) {
        return block_decode_error(9 + r.byte_position(),
                                  "float section holds a window of {} leading and {} significant bits, more "
                                  "than 64",
                                  leading, significant);
      }
      trailing = 64 - leading - significant;
    }
    if (r.available() < significant) r.refill();
    std::uint64_t delta;
    if (significant <= r.available()) {  // at most 63 bits are buffered, so take() is valid
      delta = r.take(significant);
    } else {  // 57..64 bits straddle a refill: read them in two parts
      if (significant <= 32 || r.available() < significant - 32) return ran_out("a value");
      delta = r.take(significant - 32) << 32;
      r.refill();
      if (r.available() < 32) return ran_out("a value");
      delta |= r.take(32);
    }
    value ^= delta << trailing;
    if (value == kTerminator) return {};
    if (out.size() >= kMaxBlockValues) {
      return block_decode_error(9 + r.byte_position(), "float section holds more than the {} values a block may hold",
                                kMaxBlockValues);
    }
    out.push_back(std::bit_cast<double>(value));
  }
}

Result<void> encode_floats(std::span<const double> values, std::vector<std::uint8_t>& out) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) {
      return std::unexpected(fail(ErrorCode::invalid_argument,
                                  fmt::format("float value #{} is NaN; TSM float blocks cannot hold NaN "
                                              "(docs/FORMATS.md §7.4: influxd refuses \"unsupported value: NaN\")",
                                              i))
                                 .error());
    }
  }
  out.push_back(kGorillaHeader);
  BitWriter w(out);
  if (values.empty()) {  // §7.4: the terminator written raw as the first value
    w.put(kTerminator, 64);
    w.finish();
    return {};
  }
  GorillaEncoder encoder(w, std::bit_cast<std::uint64_t>(values[0]));
  for (std::size_t i = 1; i < values.size(); ++i) encoder.add(std::bit_cast<std::uint64_t>(values[i]));
  encoder.add(kTerminator);
  w.finish();
  return {};
}

}  // namespace ifx::tsm
