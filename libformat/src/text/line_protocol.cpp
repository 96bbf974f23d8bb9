// Line protocol output as influx_inspect export writes it. FORMATS.md §8 (lines, escaping,
// values, framing) and §6.4 (stored series keys).
#include "ifx/format/text/line_protocol.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>

namespace ifx::lp {
namespace {

// ---- Floats ------------------------------------------------------------------------------------

// A finite non-zero double as its shortest round-trip digits and decimal exponent:
// value = d1.d2…dn × 10^exponent. `scientific` keeps std::to_chars' own text, which already is
// Go's 'e' layout (sign, at least two exponent digits).
struct ShortestDecimal {
  bool negative = false;
  char digits[20];
  int count = 0;
  int exponent = 0;
  char scientific[32];
  std::size_t scientific_size = 0;
};

ShortestDecimal shortest_decimal(double v) {
  ShortestDecimal d;
  // Without a precision, to_chars gives the shortest digits that round-trip (C++17 [charconv]).
  auto res = std::to_chars(d.scientific, d.scientific + sizeof d.scientific, v,
                           std::chars_format::scientific);
  d.scientific_size = static_cast<std::size_t>(res.ptr - d.scientific);
  const char* p = d.scientific;
  const char* end = res.ptr;
  if (*p == '-') {
    d.negative = true;
    ++p;
  }
  for (; p != end && *p != 'e'; ++p) {
    if (*p != '.') d.digits[d.count++] = *p;
  }
  ++p;  // 'e'
  std::from_chars(*p == '+' ? p + 1 : p, end, d.exponent);
  return d;
}

// Go's 'f' layout of shortest digits: no exponent, no trailing zeros after the point.
void append_plain(const ShortestDecimal& d, std::string& out) {
  if (d.negative) out.push_back('-');
  if (d.exponent < 0) {
    out.append("0.");
    out.append(static_cast<std::size_t>(-d.exponent - 1), '0');
    out.append(d.digits, static_cast<std::size_t>(d.count));
    return;
  }
  const int integer_digits = d.exponent + 1;
  if (d.count <= integer_digits) {
    out.append(d.digits, static_cast<std::size_t>(d.count));
    out.append(static_cast<std::size_t>(integer_digits - d.count), '0');
    return;
  }
  out.append(d.digits, static_cast<std::size_t>(integer_digits));
  out.push_back('.');
  out.append(d.digits + integer_digits, static_cast<std::size_t>(d.count - integer_digits));
}

// Returns true when `v` was NaN, an infinity or a zero and has been written.
bool append_special(double v, std::string& out) {
  if (std::isnan(v)) {
    out.append("NaN");
  } else if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
  } else if (v == 0) {
    out.append(std::signbit(v) ? "-0" : "0");
  } else {
    return false;
  }
  return true;
}

template <class Int>
void append_decimal(std::string& out, Int v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

// ---- Escaping ----------------------------------------------------------------------------------

// Copies `s`, putting a backslash before each byte for which special(byte) holds; copies runs
// between specials in one append.
template <class IsSpecial>
void append_escaped(std::string& out, std::string_view s, IsSpecial special) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (special(s[i])) {
      out.append(s.data() + run, i - run);
      out.push_back('\\');
      run = i;  // the special byte itself starts the next run
    }
  }
  out.append(s.data() + run, s.size() - run);
}

// ---- Series key parsing ------------------------------------------------------------------------

Error key_error(std::string_view key, std::size_t offset, std::string what) {
  // Keys may be 64 KiB long; the first bytes are enough to recognise one.
  constexpr std::size_t kShown = 160;
  const std::string_view shown = key.substr(0, kShown);
  return fail("invalid-argument",
              fmt::format("series key \"{}{}\" {} at byte {}; a stored series key is "
                          "<measurement>[,<tag>=<value>…] with `,`, space (and `=` in tags) "
                          "escaped by a backslash",
                          shown, key.size() > kShown ? "…" : "", what, offset),
              offset)
      .error();
}

// Reads one escaped element starting at `i` up to (not including) an unescaped byte of `stops`,
// unescaping `\x` for x in `escapable`; a backslash before anything else stays literal, which is
// how InfluxDB's key scanner and bytes.Replace unescaping read it. Returns the stop position.
std::size_t read_element(std::string_view key, std::size_t i, std::string_view escapable,
                         std::string_view stops, std::string& element) {
  element.clear();
  while (i < key.size()) {
    const char c = key[i];
    if (c == '\\' && i + 1 < key.size() && escapable.find(key[i + 1]) != std::string_view::npos) {
      element.push_back(key[i + 1]);
      i += 2;
      continue;
    }
    if (stops.find(c) != std::string_view::npos) break;
    element.push_back(c);
    ++i;
  }
  return i;
}

// ---- InfluxQL ----------------------------------------------------------------------------------

// influxql token.go: every keyword between keywordBeg and keywordEnd, plus and/or/true/false;
// lookup is case-insensitive. Quoting one identifier too many is harmless, so this follows the
// influxql revision 1.8.10 pins (which includes IN).
constexpr std::string_view kInfluxqlKeywords[] = {
    "all",          "alter",        "analyze",     "any",        "as",          "asc",
    "begin",        "by",           "cardinality", "create",     "continuous",  "database",
    "databases",    "default",      "delete",      "desc",       "destinations", "diagnostics",
    "distinct",     "drop",         "duration",    "end",        "every",       "exact",
    "explain",      "field",        "for",         "from",       "grant",       "grants",
    "group",        "groups",       "in",          "inf",        "insert",      "into",
    "key",          "keys",         "kill",        "limit",      "measurement", "measurements",
    "name",         "offset",       "on",          "order",      "password",    "policy",
    "policies",     "privileges",   "queries",     "query",      "read",        "replication",
    "resample",     "retention",    "revoke",      "select",     "series",      "set",
    "show",         "shard",        "shards",      "slimit",     "soffset",     "stats",
    "subscription", "subscriptions", "tag",        "to",         "user",        "users",
    "values",       "where",        "with",        "write",      "and",         "or",
    "true",         "false",
};

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

bool is_influxql_keyword(std::string_view ident) {
  if (ident.size() > 13) return false;  // "subscriptions" is the longest
  char lower[13];
  for (std::size_t i = 0; i < ident.size(); ++i) {
    const char c = ident[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const std::string_view folded(lower, ident.size());
  return std::ranges::find(kInfluxqlKeywords, folded) != std::end(kInfluxqlKeywords);
}

bool influxql_ident_needs_quotes(std::string_view ident) {
  if (ident.empty() || is_influxql_keyword(ident)) return true;
  if (!is_ascii_letter(ident[0]) && ident[0] != '_') return true;
  return !std::all_of(ident.begin() + 1, ident.end(), [](char c) {
    return is_ascii_letter(c) || is_ascii_digit(c) || c == '_';
  });
}

}  // namespace

// ---- Numbers (§8.3) --------------------------------------------------------------------------

void format_go_float(double v, std::string& out) {
  if (append_special(v, out)) return;
  const ShortestDecimal d = shortest_decimal(v);
  // Go strconv 'g' with precision -1 switches to %e at exponent < -4 or >= 6 (eprec = 6 when
  // shortest), not 21 as fmt's %v does.
  if (d.exponent < -4 || d.exponent >= 6) {
    out.append(d.scientific, d.scientific_size);
  } else {
    append_plain(d, out);
  }
}

std::string format_go_float(double v) {
  std::string s;
  format_go_float(v, s);
  return s;
}

void format_go_float_json(double v, std::string& out) {
  if (append_special(v, out)) return;
  const double magnitude = std::fabs(v);
  if (magnitude >= 1e-6 && magnitude < 1e21) {
    append_plain(shortest_decimal(v), out);
    return;
  }
  const ShortestDecimal d = shortest_decimal(v);
  std::string_view sci(d.scientific, d.scientific_size);
  // encoding/json rewrites a two-digit negative exponent "e-07" as "e-7".
  const std::size_t n = sci.size();
  if (n >= 4 && sci[n - 4] == 'e' && sci[n - 3] == '-' && sci[n - 2] == '0') {
    out.append(sci.substr(0, n - 2));
    out.push_back(sci[n - 1]);
  } else {
    out.append(sci);
  }
}

std::string format_go_float_json(double v) {
  std::string s;
  format_go_float_json(v, s);
  return s;
}

// ---- Escaping (§8.2) -------------------------------------------------------------------------

void append_escaped_measurement(std::string& out, std::string_view name) {
  append_escaped(out, name, [](char c) { return c == ',' || c == ' '; });
}

void append_escaped_tag(std::string& out, std::string_view key_or_value) {
  append_escaped(out, key_or_value, [](char c) { return c == ',' || c == ' ' || c == '='; });
}

void append_escaped_field_key(std::string& out, std::string_view key) {
  append_escaped(out, key,
                 [](char c) { return c == ',' || c == ' ' || c == '=' || c == '"'; });
}

void append_escaped_string_value(std::string& out, std::string_view value) {
  append_escaped(out, value, [](char c) { return c == '"' || c == '\\'; });
}

// ---- Series keys (§6.4) ----------------------------------------------------------------------

Result<SeriesKey> parse_series_key(std::string_view key) {
  if (key.empty()) return std::unexpected(key_error(key, 0, "is empty"));
  SeriesKey out;
  std::size_t i = read_element(key, 0, ", ", ", ", out.measurement);
  if (i < key.size() && key[i] == ' ') {
    return std::unexpected(key_error(key, i, "has an unescaped space"));
  }
  if (out.measurement.empty()) {
    return std::unexpected(key_error(key, 0, "has an empty measurement"));
  }
  std::string tag_key, tag_value;
  while (i < key.size()) {  // key[i] == ','
    const std::size_t tag_start = ++i;
    i = read_element(key, i, ", =", ", =", tag_key);
    if (i == key.size() || key[i] != '=') {
      if (i < key.size() && key[i] == ' ') {
        return std::unexpected(key_error(key, i, "has an unescaped space"));
      }
      return std::unexpected(key_error(key, tag_start, "has a tag without `=`"));
    }
    if (tag_key.empty()) {
      return std::unexpected(key_error(key, tag_start, "has a tag with an empty key"));
    }
    // An unescaped `=` inside a value is accepted, as InfluxDB's scanTagValue does.
    i = read_element(key, i + 1, ", =", ", ", tag_value);
    if (i < key.size() && key[i] == ' ') {
      return std::unexpected(key_error(key, i, "has an unescaped space"));
    }
    if (!tag_value.empty()) out.tags.emplace_back(tag_key, tag_value);
  }
  return out;
}

std::string make_series_key(const SeriesKey& key) {
  std::vector<const std::pair<std::string, std::string>*> tags;
  tags.reserve(key.tags.size());
  for (const auto& tag : key.tags) {
    if (!tag.second.empty()) tags.push_back(&tag);
  }
  std::stable_sort(tags.begin(), tags.end(),
                   [](const auto* a, const auto* b) { return a->first < b->first; });
  std::string out;
  append_escaped_measurement(out, key.measurement);
  for (const auto* tag : tags) {
    out.push_back(',');
    append_escaped_tag(out, tag->first);
    out.push_back('=');
    append_escaped_tag(out, tag->second);
  }
  return out;
}

// ---- Lines (§8.1, §8.3) ----------------------------------------------------------------------

void append_field_value(std::string& out, const FieldValue& value) {
  struct Visitor {
    std::string& out;
    void operator()(double v) const { format_go_float(v, out); }
    void operator()(std::int64_t v) const {
      append_decimal(out, v);
      out.push_back('i');
    }
    void operator()(std::uint64_t v) const {
      append_decimal(out, v);
      out.push_back('u');
    }
    void operator()(bool v) const { out.append(v ? "true" : "false"); }
    void operator()(std::string_view v) const {
      out.push_back('"');
      append_escaped_string_value(out, v);
      out.push_back('"');
    }
  };
  std::visit(Visitor{out}, value);
}

void LineWriter::select_field(std::string_view series_key, std::string_view field_name) {
  prefix_.assign(series_key);
  prefix_.push_back(' ');
  append_escaped_field_key(prefix_, field_name);
  prefix_.push_back('=');
}

void LineWriter::finish_line(std::int64_t t) {
  out_->push_back(' ');
  append_decimal(*out_, t);
  out_->push_back('\n');
}

void LineWriter::write_float(double v, std::int64_t t) {
  out_->append(prefix_);
  format_go_float(v, *out_);
  finish_line(t);
}

void LineWriter::write_integer(std::int64_t v, std::int64_t t) {
  out_->append(prefix_);
  append_decimal(*out_, v);
  out_->push_back('i');
  finish_line(t);
}

void LineWriter::write_unsigned(std::uint64_t v, std::int64_t t) {
  out_->append(prefix_);
  append_decimal(*out_, v);
  out_->push_back('u');
  finish_line(t);
}

void LineWriter::write_boolean(bool v, std::int64_t t) {
  out_->append(prefix_);
  out_->append(v ? "true" : "false");
  finish_line(t);
}

void LineWriter::write_string(std::string_view v, std::int64_t t) {
  out_->append(prefix_);
  out_->push_back('"');
  append_escaped_string_value(*out_, v);
  out_->push_back('"');
  finish_line(t);
}

void LineWriter::write_value(const FieldValue& v, std::int64_t t) {
  out_->append(prefix_);
  append_field_value(*out_, v);
  finish_line(t);
}

void LineWriter::write_point(std::string_view series_key, std::span<const Field> fields,
                             std::int64_t t) {
  if (fields.empty()) return;
  out_->append(series_key);
  out_->push_back(' ');
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out_->push_back(',');
    append_escaped_field_key(*out_, fields[i].name);
    out_->push_back('=');
    append_field_value(*out_, fields[i].value);
  }
  finish_line(t);
}

// ---- Export framing (§8.4) -------------------------------------------------------------------

std::string quote_influxql_ident(std::string_view ident) {
  if (!influxql_ident_needs_quotes(ident)) return std::string(ident);
  std::string out;
  out.reserve(ident.size() + 2);
  out.push_back('"');
  for (const char c : ident) {
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    if (c == '\\' || c == '"') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string quote_influxql_string(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('\'');
  for (const char c : s) {
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string format_influxql_duration(std::int64_t ns) {
  struct Unit {
    std::int64_t ns;
    const char* suffix;
  };
  static constexpr Unit kUnits[] = {
      {7LL * 24 * 3600 * 1'000'000'000, "w"}, {24LL * 3600 * 1'000'000'000, "d"},
      {3600LL * 1'000'000'000, "h"},          {60LL * 1'000'000'000, "m"},
      {1'000'000'000, "s"},                   {1'000'000, "ms"},
      {1'000, "u"},
  };
  if (ns == 0) return "0s";
  for (const Unit& unit : kUnits) {
    if (ns % unit.ns == 0) return fmt::format("{}{}", ns / unit.ns, unit.suffix);
  }
  return fmt::format("{}ns", ns);
}

namespace {

// RFC 3339 without fraction, UTC: Go's time.Unix(0, ns) floors to whole seconds.
void append_rfc3339_seconds(std::string& out, std::int64_t ns) {
  using namespace std::chrono;
  const sys_seconds secs = floor<seconds>(sys_time<nanoseconds>(nanoseconds(ns)));
  const sys_days day = floor<days>(secs);
  const year_month_day ymd(day);
  const hh_mm_ss<seconds> hms(secs - day);
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                 static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                 static_cast<unsigned>(ymd.day()), hms.hours().count(), hms.minutes().count(),
                 hms.seconds().count());
}

}  // namespace

void append_export_header(std::string& out, std::int64_t start_ns, std::int64_t end_ns) {
  out.append("# INFLUXDB EXPORT: ");
  append_rfc3339_seconds(out, start_ns);
  out.append(" - ");
  append_rfc3339_seconds(out, end_ns);
  out.push_back('\n');
}

void append_ddl_marker(std::string& out) { out.append("# DDL\n"); }

void append_create_database(std::string& out, std::string_view db, std::string_view rp,
                            const RetentionClauses& clauses) {
  // influxql parseCreateDatabaseStatement reads DURATION, REPLICATION, SHARD DURATION, NAME in
  // this order only.
  out.append("CREATE DATABASE ");
  out.append(quote_influxql_ident(db));
  out.append(" WITH");
  if (clauses.duration_ns) {
    out.append(" DURATION ");
    out.append(*clauses.duration_ns == 0 ? std::string("INF")
                                         : format_influxql_duration(*clauses.duration_ns));
  }
  if (clauses.replication) {
    out.append(" REPLICATION ");
    append_decimal(out, *clauses.replication);
  }
  if (clauses.shard_duration_ns) {
    out.append(" SHARD DURATION ");
    out.append(format_influxql_duration(*clauses.shard_duration_ns));
  }
  out.append(" NAME ");
  out.append(quote_influxql_ident(rp));
  out.push_back('\n');
}

void append_create_retention_policy(std::string& out, std::string_view db, std::string_view rp,
                                    const RetentionClauses& clauses) {
  // influxql parseCreateRetentionPolicyStatement: DURATION and REPLICATION mandatory, in this
  // order, then the optional SHARD DURATION.
  out.append("CREATE RETENTION POLICY ");
  out.append(quote_influxql_ident(rp));
  out.append(" ON ");
  out.append(quote_influxql_ident(db));
  out.append(" DURATION ");
  const std::int64_t duration = clauses.duration_ns.value_or(0);
  out.append(duration == 0 ? std::string("INF") : format_influxql_duration(duration));
  out.append(" REPLICATION ");
  append_decimal(out, clauses.replication.value_or(1));
  if (clauses.shard_duration_ns) {
    out.append(" SHARD DURATION ");
    out.append(format_influxql_duration(*clauses.shard_duration_ns));
  }
  out.push_back('\n');
}

void append_dml_marker(std::string& out) { out.append("# DML\n"); }

void append_context(std::string& out, std::string_view db, std::string_view rp) {
  out.append("# CONTEXT-DATABASE:");
  out.append(db);
  out.append("\n# CONTEXT-RETENTION-POLICY:");
  out.append(rp);
  out.push_back('\n');
}

void append_tsm_marker(std::string& out) { out.append("# writing tsm data\n"); }
void append_wal_marker(std::string& out) { out.append("# writing wal data\n"); }

}  // namespace ifx::lp
