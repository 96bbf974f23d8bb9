// encoding/json's string and float64 encoders (encodeState.string with escapeHTML, floatEncoder).
#include "ifx/format/text/go_json.hpp"

#include <array>

#include "ifx/format/text/utf8.hpp"
#include "text/shortest_decimal.hpp"

namespace ifx::text {
namespace {

// ASCII bytes copied as they are (Go's htmlSafeSet).
constexpr std::array<bool, 128> kCopied = [] {
  std::array<bool, 128> copied{};
  for (unsigned c = 0x20; c < 0x80; ++c) {
    copied[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&';
  }
  return copied;
}();

void append_escaped_ascii(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      out.append("\\\"");
      return;
    case '\\':
      out.append("\\\\");
      return;
    case '\n':
      out.append("\\n");
      return;
    case '\r':
      out.append("\\r");
      return;
    case '\t':
      out.append("\\t");
      return;
    default: {
      const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
      out.append(escaped, sizeof escaped);
    }
  }
}

}  // namespace

void append_go_json_string_body(std::string& out, std::string_view s) {
  std::size_t copied_to = 0;  // bytes before this index are in `out`
  const auto copy_pending = [&](std::size_t i) { out.append(s.data() + copied_to, i - copied_to); };
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (!kCopied[c]) {
        copy_pending(i);
        append_escaped_ascii(out, c);
        copied_to = i + 1;
      }
      ++i;
      continue;
    }
    const DecodedRune r = decode_rune(s, i);
    if (r.length == 0) {
      copy_pending(i);
      out.append("\\ufffd");
      copied_to = ++i;
      continue;
    }
    if (r.rune == 0x2028 || r.rune == 0x2029) {  // line/paragraph separators break JSONP
      copy_pending(i);
      out.append(r.rune == 0x2028 ? "\\u2028" : "\\u2029");
      copied_to = i + r.length;
    }
    i += r.length;
  }
  copy_pending(s.size());
}

void append_go_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  append_go_json_string_body(out, s);
  out.push_back('"');
}

void append_go_json_float(std::string& out, double v) {
  if (detail::append_special(v, out)) return;
  const double magnitude = std::fabs(v);
  const detail::ShortestDecimal d = detail::shortest_decimal(v);
  if (magnitude >= 1e-6 && magnitude < 1e21) {
    detail::append_plain(d, out);
    return;
  }
  const std::string_view sci(d.scientific, d.scientific_size);
  // encoding/json rewrites a two-digit negative exponent "e-07" as "e-7".
  const std::size_t n = sci.size();
  if (n >= 4 && sci[n - 4] == 'e' && sci[n - 3] == '-' && sci[n - 2] == '0') {
    out.append(sci.substr(0, n - 2));
    out.push_back(sci[n - 1]);
  } else {
    out.append(sci);
  }
}

std::string format_go_json_float(double v) {
  std::string s;
  append_go_json_float(s, v);
  return s;
}

}  // namespace ifx::text
