// Line protocol output (docs/FORMATS.md §8): a point built from the fuzz bytes (measurement, tags,
// fields of every type, timestamp) is written with libformat's writer and read back:
//  * the series key through parse_series_key (make_series_key's inverse, §6.4, §8.2);
//  * the fields section by a reader of the §8.2 escaping written here (libformat has no line
//    parser): keys, values and the separators must come back exactly;
//  * floats through strtod (format_go_float is shortest round-trip, §8.3), InfluxQL identifiers
//    and durations (§8.4) through their own inverse.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "fuzz_support.hpp"
#include "ifx/format/text/go_float.hpp"
#include "ifx/format/text/go_json.hpp"
#include "ifx/format/text/influxql.hpp"
#include "ifx/format/text/line_protocol.hpp"

using namespace ifx;
using namespace ifx::lp;
using namespace ifx::text;

namespace {

// A component ending in a backslash cannot be told apart from an escaped separator (InfluxDB
// has the same ambiguity), so exact round trips are only asserted without one.
bool ends_in_backslash(std::string_view s) { return !s.empty() && s.back() == '\\'; }

double parse_double(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  fuzz::check(end == text.c_str() + text.size(), "float text does not parse", text);
  return v;
}

void check_float_text(double v) {
  const std::string go = format_go_float(v);
  const std::string json = format_go_json_float(v);
  for (const std::string& text : {go, json}) {
    const double back = parse_double(text);
    if (std::isnan(v)) {
      fuzz::check(std::isnan(back), "NaN does not read back as NaN", text);
    } else {
      fuzz::check(std::bit_cast<std::uint64_t>(back) == std::bit_cast<std::uint64_t>(v),
                  "float text does not read back to the same double", text);
    }
  }
}

// The fields section `k1=v1,k2=v2` as §8.2 escapes it; returns false when it is malformed.
struct ReadField {
  std::string key;
  std::string value;  // as written; strings unescaped, without quotes
  bool quoted = false;
};
bool read_fields(std::string_view s, std::vector<ReadField>& out) {
  std::size_t i = 0;
  while (i < s.size()) {
    ReadField f;
    while (i < s.size() && s[i] != '=') {
      if (s[i] == '\\' && i + 1 < s.size() && std::string_view(", =\"").find(s[i + 1]) != std::string_view::npos) {
        f.key.push_back(s[i + 1]);
        i += 2;
        continue;
      }
      if (s[i] == ',' || s[i] == ' ' || s[i] == '"') return false;  // must have been escaped
      f.key.push_back(s[i++]);
    }
    if (i == s.size()) return false;
    ++i;  // '='
    if (i < s.size() && s[i] == '"') {
      f.quoted = true;
      ++i;
      for (;;) {
        if (i == s.size()) return false;
        if (s[i] == '"') break;
        if (s[i] == '\\') {
          if (i + 1 == s.size() || (s[i + 1] != '\\' && s[i + 1] != '"')) return false;
          ++i;
        }
        f.value.push_back(s[i++]);
      }
      ++i;  // closing quote
    } else {
      while (i < s.size() && s[i] != ',') {
        if (s[i] == ' ' || s[i] == '"' || s[i] == '=') return false;
        f.value.push_back(s[i++]);
      }
    }
    out.push_back(std::move(f));
    if (i < s.size()) {
      if (s[i] != ',') return false;
      if (++i == s.size()) return false;  // trailing comma
    }
  }
  return true;
}

void check_value_text(const FieldValue& value, const ReadField& f) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          fuzz::check(f.quoted && f.value == v, "string field value differs", f.value);
        } else if constexpr (std::is_same_v<T, bool>) {
          fuzz::check(!f.quoted && f.value == (v ? "true" : "false"), "boolean field value differs", f.value);
        } else if constexpr (std::is_same_v<T, double>) {
          fuzz::check(!f.quoted, "float written quoted");
          const double back = parse_double(f.value);
          fuzz::check(
              std::isnan(v) ? std::isnan(back) : std::bit_cast<std::uint64_t>(back) == std::bit_cast<std::uint64_t>(v),
              "float field value differs", f.value);
        } else {
          const char suffix = std::is_same_v<T, std::int64_t> ? 'i' : 'u';
          T back{};
          const char* first = f.value.data();
          const char* last = f.value.data() + f.value.size() - 1;
          const auto [end, ec] = std::from_chars(first, last, back);
          fuzz::check(!f.value.empty() && f.value.back() == suffix && ec == std::errc() && end == last && back == v,
                      "integer field value differs", f.value);
        }
      },
      value);
}

std::string unquote_ident(std::string_view q) {
  std::string out;
  for (std::size_t i = 1; i + 1 < q.size(); ++i) {
    if (q[i] == '\\') {
      ++i;
      out.push_back(q[i] == 'n' ? '\n' : q[i]);
    } else {
      out.push_back(q[i]);
    }
  }
  return out;
}

void check_ident(const std::string& ident) {
  const std::string q = quote_influxql_ident(ident);
  if (q.empty() || q.front() != '"') {
    fuzz::check(q == ident && !ident.empty() && (std::isalpha(static_cast<unsigned char>(ident[0])) || ident[0] == '_'),
                "bare identifier is not an identifier", q);
    for (char c : ident) {
      fuzz::check(std::isalnum(static_cast<unsigned char>(c)) || c == '_', "bare identifier with a special byte", q);
    }
    return;
  }
  fuzz::check(q.size() >= 2 && q.back() == '"' && unquote_ident(q) == ident, "quoted identifier does not read back", q);
}

void check_duration(std::int64_t ns) {
  const std::string text = format_influxql_duration(ns);
  static constexpr std::pair<std::string_view, __int128> kUnits[] = {{"ns", 1},
                                                                     {"ms", 1'000'000},
                                                                     {"w", 7LL * 24 * 3600 * 1'000'000'000},
                                                                     {"d", 24LL * 3600 * 1'000'000'000},
                                                                     {"h", 3600LL * 1'000'000'000},
                                                                     {"m", 60LL * 1'000'000'000},
                                                                     {"s", 1'000'000'000},
                                                                     {"u", 1'000}};
  for (const auto& [suffix, unit] : kUnits) {
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      std::int64_t n = 0;
      const char* last = text.data() + text.size() - suffix.size();
      const auto [end, ec] = std::from_chars(text.data(), last, n);
      fuzz::check(ec == std::errc() && end == last && static_cast<__int128>(n) * unit == ns,
                  "duration does not read back", text);
      return;
    }
  }
  fuzz::invariant_failed("duration without a unit", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  SeriesKey key;
  key.measurement = in.ConsumeRandomLengthString(64);
  const int tag_count = in.ConsumeIntegralInRange(0, 4);
  for (int i = 0; i < tag_count; ++i) {
    std::string k = in.ConsumeRandomLengthString(32);
    std::string v = in.ConsumeRandomLengthString(32);
    key.tags.emplace_back(std::move(k), std::move(v));
  }
  std::vector<std::string> names;
  std::vector<std::string> strings;
  std::vector<FieldValue> values;
  const int field_count = in.ConsumeIntegralInRange(1, 4);
  names.reserve(field_count);
  strings.reserve(field_count);
  for (int i = 0; i < field_count; ++i) {
    names.push_back(in.ConsumeRandomLengthString(32));
    switch (in.ConsumeIntegralInRange(0, 4)) {
      case 0:
        values.emplace_back(in.ConsumeFloatingPoint<double>());
        break;
      case 1:
        values.emplace_back(in.ConsumeIntegral<std::int64_t>());
        break;
      case 2:
        values.emplace_back(in.ConsumeIntegral<std::uint64_t>());
        break;
      case 3:
        values.emplace_back(in.ConsumeBool());
        break;
      default:
        strings.push_back(in.ConsumeRandomLengthString(64));
        values.emplace_back(std::string_view(strings.back()));
        break;
    }
  }
  const auto t = in.ConsumeIntegral<std::int64_t>();
  double raw_double = 0;
  if (in.remaining_bytes() >= sizeof raw_double) {
    const auto bits = in.ConsumeBytes<std::uint8_t>(sizeof raw_double);
    std::memcpy(&raw_double, bits.data(), sizeof raw_double);
  }

  // ---- series key: make → parse gives the canonical key back.
  const std::string series = make_series_key(key);
  auto parsed = parse_series_key(series);
  bool ambiguous = ends_in_backslash(key.measurement);
  bool empty_tag_key = false;
  SeriesKey expected{key.measurement, {}};
  for (const auto& [k, v] : key.tags) {
    if (v.empty()) continue;
    ambiguous = ambiguous || ends_in_backslash(k) || ends_in_backslash(v);
    empty_tag_key = empty_tag_key || k.empty();
    expected.tags.emplace_back(k, v);
  }
  std::stable_sort(expected.tags.begin(), expected.tags.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  if ((key.measurement.empty() || empty_tag_key) && !ambiguous) {
    fuzz::check(!parsed, "parse_series_key accepts an empty measurement or tag key", series);
    fuzz::check_error(parsed.error(), {"invalid-argument"}, series.size());
  } else if (!ambiguous && !key.measurement.empty()) {
    fuzz::check(parsed.has_value(), "parse_series_key refuses make_series_key's output",
                series + (parsed ? "" : ": " + parsed.error().message));
    fuzz::check(*parsed == expected, "parse_series_key(make_series_key(k)) != k", series);
    fuzz::check(make_series_key(*parsed) == series, "make_series_key is not canonical", series);
  } else if (!parsed) {
    fuzz::check_error(parsed.error(), {"invalid-argument"}, series.size());
  }

  // ---- one line with every field, then one line per field.
  std::vector<Field> fields;
  for (int i = 0; i < field_count; ++i) fields.push_back(Field{names[i], values[i]});
  std::string out;
  LineWriter writer(out);
  writer.write_point(series, fields, t);
  const std::string head = series + " ";
  const std::string tail = " " + std::to_string(t) + "\n";
  fuzz::check(out.size() >= head.size() + tail.size() && out.starts_with(head) && out.ends_with(tail),
              "line does not start with the series key and end with the timestamp", out);
  const std::string_view section = std::string_view(out).substr(head.size(), out.size() - head.size() - tail.size());
  // A field key ending in a backslash makes its `=` look escaped: such sections are not read.
  if (std::none_of(names.begin(), names.end(), [](const std::string& n) { return ends_in_backslash(n); })) {
    std::vector<ReadField> read;
    fuzz::check(read_fields(section, read), "fields section is not well escaped", out);
    fuzz::check(read.size() == fields.size(), "field count differs", out);
    for (std::size_t i = 0; i < read.size(); ++i) {
      fuzz::check(read[i].key == names[i], "field key differs", out);
      check_value_text(values[i], read[i]);
    }
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::string single;
    LineWriter per_field(single);
    per_field.select_field(series, fields[i].name);
    per_field.write_value(fields[i].value, t);
    std::string expected_line;
    LineWriter one(expected_line);
    one.write_point(series, std::span<const Field>(&fields[i], 1), t);
    fuzz::check(single == expected_line, "per-field line differs from a one-field point", single);
  }

  // ---- numbers and InfluxQL text.
  check_float_text(raw_double);
  for (const auto& v : values) {
    if (const double* d = std::get_if<double>(&v)) check_float_text(*d);
  }
  check_ident(key.measurement);
  check_duration(t);
  std::string header;
  append_export_header(header, t, t ^ 0x5555);
  fuzz::check(header.starts_with("# INFLUXDB EXPORT: ") && header.ends_with("Z\n"), "export header", header);
  return 0;
}
