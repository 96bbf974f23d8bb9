// strconv.FormatFloat(v, 'g', -1, 64). docs/FORMATS.md §8.3.
#include "ifx/format/text/go_float.hpp"

#include "text/shortest_decimal.hpp"

namespace ifx::text {

void append_go_float(std::string& out, double v) {
  if (detail::append_special(v, out)) return;
  const detail::ShortestDecimal d = detail::shortest_decimal(v);
  // 'g' with precision -1 switches to 'e' at exponent < -4 or >= 6 (eprec = 6 when shortest),
  // not 21 as fmt's %v does.
  if (d.exponent < -4 || d.exponent >= 6) {
    out.append(d.scientific, d.scientific_size);
  } else {
    detail::append_plain(d, out);
  }
}

std::string format_go_float(double v) {
  std::string s;
  append_go_float(s, v);
  return s;
}

}  // namespace ifx::text
