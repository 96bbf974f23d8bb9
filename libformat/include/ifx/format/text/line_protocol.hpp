// Line protocol output, byte for byte as `influx_inspect export` writes it (docs/FORMATS.md §8), the
// escaping rules of §8.2, series keys as stored in TSM (§6.4) and the framing of an export
// file (§8.4). Everything appends to a caller-owned std::string so a writer streams through
// one buffer that the caller flushes; nothing here allocates per line once the buffer has grown.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ifx/format/error.hpp"

namespace ifx::lp {

// ---- Escaping (§8.2) ---------------------------------------------------------------------

// `,` and space.
void append_escaped_measurement(std::string& out, std::string_view name);
// `,`, space and `=` (tag keys and tag values alike).
void append_escaped_tag(std::string& out, std::string_view key_or_value);
// `,`, space, `=` and `"`; a backslash is left alone (export's escape.Bytes).
void append_escaped_field_key(std::string& out, std::string_view key);
// `"` and `\` (the text between the double quotes of a string field).
void append_escaped_string_value(std::string& out, std::string_view value);

// ---- Series keys (§6.4) ------------------------------------------------------------------

struct SeriesKey {
  std::string measurement;                                // unescaped
  std::vector<std::pair<std::string, std::string>> tags;  // unescaped, in key order

  bool operator==(const SeriesKey&) const = default;
};

// Splits a stored (escaped) series key into measurement and tags, unescaping `\,` `\ ` (and
// `\=` in tags); a backslash before any other byte is a literal backslash, as InfluxDB reads it.
// Tags with an empty value are skipped (InfluxDB omits them). Errors (code invalid-argument,
// offset = byte inside the key): empty key or measurement, an unescaped space, a tag without
// `=`, an empty tag key.
Result<SeriesKey> parse_series_key(std::string_view key);

// The canonical stored form: escaped measurement, then tags sorted bytewise by key, empty
// values omitted (§6.4). parse_series_key(make_series_key(k)) gives back k for such keys.
std::string make_series_key(const SeriesKey& key);

// ---- Lines (§8.1, §8.3) ------------------------------------------------------------------

// A field value as decoded from a TSM block; the alternative is the block type.
using FieldValue = std::variant<double, std::int64_t, std::uint64_t, bool, std::string_view>;

struct Field {
  std::string_view name;  // raw (unescaped) field key
  FieldValue value;
};

// float → text::append_go_float (FormatFloat 'g', text/go_float.hpp), integer → "-7i",
// unsigned → "7u", boolean → true/false, string → "..." escaped.
void append_field_value(std::string& out, const FieldValue& value);

// Streams lines into `out` (which the caller owns and flushes, e.g. when it passes 1 MiB).
class LineWriter {
 public:
  explicit LineWriter(std::string& out) : out_(&out) {}

  // Per-field lines, as influx_inspect export: select a composite key once, then one line per
  // value: `<seriesKey> <escapedField>=<value> <t>\n`. The series key is copied verbatim (it is
  // stored escaped); the field name is escaped here.
  void select_field(std::string_view series_key, std::string_view field_name);
  void write_float(double v, std::int64_t t);
  void write_integer(std::int64_t v, std::int64_t t);
  void write_unsigned(std::uint64_t v, std::int64_t t);
  void write_boolean(bool v, std::int64_t t);
  void write_string(std::string_view v, std::int64_t t);
  void write_value(const FieldValue& v, std::int64_t t);

  // One line with several fields, in the order given (callers sort by field key bytewise):
  // `<seriesKey> f1=v1,f2=v2 <t>\n`. An empty `fields` writes nothing (not valid LP).
  void write_point(std::string_view series_key, std::span<const Field> fields, std::int64_t t);

  std::string& buffer() { return *out_; }

 private:
  void finish_line(std::int64_t t);

  std::string* out_;
  std::string prefix_;  // "<seriesKey> <escapedField>=" of the selected composite key
};

// ---- Export framing (§8.4) ---------------------------------------------------------------

// Optional retention clauses of `CREATE DATABASE … WITH …`. A retention duration of 0 (keep
// forever, as meta stores it) is written `INF`, others as influxql duration literals
// (text/influxql.hpp, which also quotes the names).
struct RetentionClauses {
  std::optional<std::int64_t> duration_ns;
  std::optional<std::uint32_t> replication;
  std::optional<std::int64_t> shard_duration_ns;
};

// `# INFLUXDB EXPORT: <start> - <end>\n`, times in Go's time.RFC3339 layout in UTC
// (text/rfc3339.hpp: the fraction dropped; export prints local time, we print UTC so output does
// not depend on $TZ).
void append_export_header(std::string& out, std::int64_t start_ns, std::int64_t end_ns);
// `# DDL\n`
void append_ddl_marker(std::string& out);
// `CREATE DATABASE <db> WITH [DURATION d] [REPLICATION n] [SHARD DURATION s] NAME <rp>\n`, in the
// clause order InfluxQL's parser requires (NAME last).
void append_create_database(std::string& out, std::string_view db, std::string_view rp,
                            const RetentionClauses& clauses = {});
// `CREATE RETENTION POLICY <rp> ON <db> DURATION d REPLICATION n [SHARD DURATION s]\n`, for a
// database's further RPs (CREATE DATABASE … NAME makes its RP the default, so only the default
// RP goes there). DURATION and REPLICATION are required by InfluxQL: absent ones are written as
// INF and 1.
void append_create_retention_policy(std::string& out, std::string_view db, std::string_view rp,
                                    const RetentionClauses& clauses = {});
// `# DML\n`
void append_dml_marker(std::string& out);
// `# CONTEXT-DATABASE:<db>\n# CONTEXT-RETENTION-POLICY:<rp>\n` (names raw, as export writes).
void append_context(std::string& out, std::string_view db, std::string_view rp);
// `# writing tsm data\n` / `# writing wal data\n`
void append_tsm_marker(std::string& out);
void append_wal_marker(std::string& out);

}  // namespace ifx::lp
