#include "ifx/net/snapshot/request.hpp"

#include <fmt/format.h>

#include <chrono>
#include <limits>

namespace ifx::net {

namespace {

constexpr std::int64_t kNsPerSecond = 1'000'000'000;

// Floor division / modulo so instants before 1970 land on the right day and second.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at `pos`.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_digit(s[pos + i])) return std::nullopt;
    v = v * 10 + (s[pos + i] - '0');
  }
  return v;
}

// Length of the UTF-8 sequence starting at s[i] when it is well-formed (Go's utf8.DecodeRune
// rules: shortest form, no surrogates, max U+10FFFF), else 0.
std::size_t valid_utf8_length(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(1) >= 0x90) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;
}

const char* type_json_number(RequestType t) {
  static const char* names[] = {"0", "1", "2", "3", "4", "5", "6", "7"};
  auto i = static_cast<unsigned>(t);
  return i < 8 ? names[i] : "0";
}

}  // namespace

std::string format_rfc3339(const WireTime& t) {
  if (t.is_zero()) return "0001-01-01T00:00:00Z";
  using namespace std::chrono;
  // The wall clock of the zone the user typed: shift by the offset, then print as if UTC.
  const __int128 local_ns =
      static_cast<__int128>(*t.unix_ns) + static_cast<__int128>(t.utc_offset_seconds) * kNsPerSecond;
  __int128 secs128 = local_ns / kNsPerSecond;
  if (local_ns % kNsPerSecond < 0) --secs128;  // floor, so the fraction is never negative
  const std::int64_t secs = static_cast<std::int64_t>(secs128);
  const std::int64_t frac = static_cast<std::int64_t>(local_ns - secs128 * kNsPerSecond);
  const std::int64_t days_since_epoch = floor_div(secs, 86400);
  const std::int64_t sod = secs - days_since_epoch * 86400;
  const year_month_day ymd{sys_days{days{days_since_epoch}}};

  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                                sod / 3600, (sod / 60) % 60, sod % 60);
  if (frac != 0) {
    std::string f = fmt::format("{:09}", frac);
    while (!f.empty() && f.back() == '0') f.pop_back();  // Go's RFC3339Nano trims zeros
    out += '.';
    out += f;
  }
  if (t.utc_offset_seconds == 0) {
    out += 'Z';
  } else {
    const int off_min = t.utc_offset_seconds / 60;  // Go's Z07:00 prints whole minutes
    const int a = off_min < 0 ? -off_min : off_min;
    out += fmt::format("{}{:02}:{:02}", off_min < 0 ? '-' : '+', a / 60, a % 60);
  }
  return out;
}

Result<WireTime> parse_rfc3339(std::string_view text) {
  auto bad = [&](std::string_view what) {
    return fail("invalid-argument",
                fmt::format("time \"{}\" is not RFC 3339 ({}); expected e.g. "
                            "2024-01-31T12:00:00Z or 2024-01-31T13:00:00.5+01:00",
                            text, what));
  };
  auto year = digits(text, 0, 4);
  auto month = digits(text, 5, 2);
  auto day = digits(text, 8, 2);
  auto hour = digits(text, 11, 2);
  auto minute = digits(text, 14, 2);
  auto second = digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' ||
      text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':')
    return bad("the date and time must read YYYY-MM-DDTHH:MM:SS");
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                           std::chrono::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok()) return bad("no such date");
  if (*hour > 23 || *minute > 59 || *second > 59) return bad("hour, minute or second out of range");

  std::size_t pos = 19;
  std::int64_t frac_ns = 0;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    std::size_t n = 0;
    std::int64_t scale = 100'000'000;
    while (pos < text.size() && is_digit(text[pos])) {
      if (n == 9) return bad("more than 9 fraction digits");
      frac_ns += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++n;
    }
    if (n == 0) return bad("a '.' must be followed by digits");
  }
  std::int32_t offset = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    auto oh = digits(text, pos + 1, 2);
    auto om = digits(text, pos + 4, 2);
    if (!oh || !om || text[pos + 3] != ':' || *oh > 23 || *om > 59)
      return bad("the zone offset must read ±hh:mm");
    offset = (*oh * 3600 + *om * 60) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad("missing zone: end with Z or ±hh:mm");
  }
  if (pos != text.size()) return bad("unexpected text after the zone");

  const std::int64_t days_since_epoch = sys_days{ymd}.time_since_epoch().count();
  const __int128 secs = static_cast<__int128>(days_since_epoch) * 86400 + *hour * 3600 +
                        *minute * 60 + *second - offset;
  const __int128 ns = secs * kNsPerSecond + frac_ns;
  if (ns < std::numeric_limits<std::int64_t>::min() || ns > std::numeric_limits<std::int64_t>::max())
    return fail("invalid-argument",
                fmt::format("time \"{}\" is outside the range InfluxDB can store "
                            "(1677-09-21T00:12:44Z to 2262-04-11T23:47:16Z)",
                            text));
  return WireTime{static_cast<std::int64_t>(ns), offset};
}

std::string go_json_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const std::size_t n = valid_utf8_length(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    // U+2028 / U+2029 (E2 80 A8 / E2 80 A9) are escaped by Go for JSONP safety.
    if (n == 3 && c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
      out += (static_cast<unsigned char>(s[i + 2]) == 0xA8) ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string encode_request_json(const Request& r) {
  // FORMATS.md §1.4: Go field order, all ten keys, no spaces.
  return fmt::format(
      "{{\"Type\":{},\"BackupDatabase\":\"{}\",\"RestoreDatabase\":\"{}\","
      "\"BackupRetentionPolicy\":\"{}\",\"RestoreRetentionPolicy\":\"{}\",\"ShardID\":{},"
      "\"Since\":\"{}\",\"ExportStart\":\"{}\",\"ExportEnd\":\"{}\",\"UploadSize\":{}}}",
      type_json_number(r.type), go_json_escape(r.backup_database),
      go_json_escape(r.restore_database), go_json_escape(r.backup_retention_policy),
      go_json_escape(r.restore_retention_policy), r.shard_id, format_rfc3339(r.since),
      format_rfc3339(r.export_start), format_rfc3339(r.export_end),
      r.type == RequestType::MetaStoreUpdate ? r.payload.size() : 0);
}

std::string encode_request_head(const Request& r) {
  std::string out;
  out += static_cast<char>(r.type);
  if (r.type == RequestType::ShardUpdate) {
    // §1.2: no JSON, the new shard ID as u64 big-endian.
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((r.shard_id >> shift) & 0xFF);
    return out;
  }
  out += encode_request_json(r);
  out += '\n';  // §1.5: exactly one separator byte before any payload
  return out;
}

std::string encode_request(const Request& r) {
  std::string out = encode_request_head(r);
  if (r.type == RequestType::MetaStoreUpdate) out.append(r.payload);
  return out;
}

}  // namespace ifx::net
