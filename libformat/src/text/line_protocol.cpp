// Line protocol output as influx_inspect export writes it. docs/FORMATS.md §8 (lines, escaping,
// values, framing) and §6.4 (stored series keys).
#include "ifx/format/text/line_protocol.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "ifx/format/text/go_float.hpp"
#include "ifx/format/text/influxql.hpp"
#include "ifx/format/text/rfc3339.hpp"

namespace ifx::lp {
namespace {

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
  return fail(ErrorCode::invalid_argument,
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
std::size_t read_element(std::string_view key, std::size_t i, std::string_view escapable, std::string_view stops,
                         std::string& element) {
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

}  // namespace

// ---- Escaping (§8.2) -------------------------------------------------------------------------

void append_escaped_measurement(std::string& out, std::string_view name) {
  append_escaped(out, name, [](char c) { return c == ',' || c == ' '; });
}

void append_escaped_tag(std::string& out, std::string_view key_or_value) {
  append_escaped(out, key_or_value, [](char c) { return c == ',' || c == ' ' || c == '='; });
}

void append_escaped_field_key(std::string& out, std::string_view key) {
  append_escaped(out, key, [](char c) { return c == ',' || c == ' ' || c == '=' || c == '"'; });
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
  std::stable_sort(tags.begin(), tags.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
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
    void operator()(double v) const { text::append_go_float(out, v); }
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
  text::append_go_float(*out_, v);
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

void LineWriter::write_point(std::string_view series_key, std::span<const Field> fields, std::int64_t t) {
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

void append_export_header(std::string& out, std::int64_t start_ns, std::int64_t end_ns) {
  // export: time.Unix(0, ns).Format(time.RFC3339).
  out.append("# INFLUXDB EXPORT: ");
  text::append_rfc3339(out, start_ns);
  out.append(" - ");
  text::append_rfc3339(out, end_ns);
  out.push_back('\n');
}

void append_ddl_marker(std::string& out) { out.append("# DDL\n"); }

void append_create_database(std::string& out, std::string_view db, std::string_view rp,
                            const RetentionClauses& clauses) {
  // influxql parseCreateDatabaseStatement reads DURATION, REPLICATION, SHARD DURATION, NAME in
  // this order only.
  out.append("CREATE DATABASE ");
  out.append(text::quote_influxql_ident(db));
  out.append(" WITH");
  if (clauses.duration_ns) {
    out.append(" DURATION ");
    out.append(*clauses.duration_ns == 0 ? std::string("INF") : text::format_influxql_duration(*clauses.duration_ns));
  }
  if (clauses.replication) {
    out.append(" REPLICATION ");
    append_decimal(out, *clauses.replication);
  }
  if (clauses.shard_duration_ns) {
    out.append(" SHARD DURATION ");
    out.append(text::format_influxql_duration(*clauses.shard_duration_ns));
  }
  out.append(" NAME ");
  out.append(text::quote_influxql_ident(rp));
  out.push_back('\n');
}

void append_create_retention_policy(std::string& out, std::string_view db, std::string_view rp,
                                    const RetentionClauses& clauses) {
  // influxql parseCreateRetentionPolicyStatement: DURATION and REPLICATION mandatory, in this
  // order, then the optional SHARD DURATION.
  out.append("CREATE RETENTION POLICY ");
  out.append(text::quote_influxql_ident(rp));
  out.append(" ON ");
  out.append(text::quote_influxql_ident(db));
  out.append(" DURATION ");
  const std::int64_t duration = clauses.duration_ns.value_or(0);
  out.append(duration == 0 ? std::string("INF") : text::format_influxql_duration(duration));
  out.append(" REPLICATION ");
  append_decimal(out, clauses.replication.value_or(1));
  if (clauses.shard_duration_ns) {
    out.append(" SHARD DURATION ");
    out.append(text::format_influxql_duration(*clauses.shard_duration_ns));
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
