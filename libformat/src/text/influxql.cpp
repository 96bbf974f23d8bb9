// influxql's QuoteIdent and FormatDuration (influxql parser.go, token.go).
#include "ifx/format/text/influxql.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace ifx::text {
namespace {

// influxql token.go: every keyword between keywordBeg and keywordEnd, plus and/or/true/false;
// lookup is case-insensitive. Quoting one identifier too many is harmless, so this follows the
// influxql revision 1.8.10 pins (which includes IN).
constexpr std::string_view kInfluxqlKeywords[] = {
    "all",          "alter",        "analyze",      "any",
    "as",           "asc",          "begin",        "by",
    "cardinality",  "create",       "continuous",   "database",
    "databases",    "default",      "delete",       "desc",
    "destinations", "diagnostics",  "distinct",     "drop",
    "duration",     "end",          "every",        "exact",
    "explain",      "field",        "for",          "from",
    "grant",        "grants",       "group",        "groups",
    "in",           "inf",          "insert",       "into",
    "key",          "keys",         "kill",         "limit",
    "measurement",  "measurements", "name",         "offset",
    "on",           "order",        "password",     "policy",
    "policies",     "privileges",   "queries",      "query",
    "read",         "replication",  "resample",     "retention",
    "revoke",       "select",       "series",       "set",
    "show",         "shard",        "shards",       "slimit",
    "soffset",      "stats",        "subscription", "subscriptions",
    "tag",          "to",           "user",         "users",
    "values",       "where",        "with",         "write",
    "and",          "or",           "true",         "false",
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
  return !std::all_of(ident.begin() + 1, ident.end(),
                      [](char c) { return is_ascii_letter(c) || is_ascii_digit(c) || c == '_'; });
}

}  // namespace

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

std::string format_influxql_duration(std::int64_t ns) {
  struct Unit {
    std::int64_t ns;
    const char* suffix;
  };
  static constexpr Unit kUnits[] = {
      {7LL * 24 * 3600 * 1'000'000'000, "w"},
      {24LL * 3600 * 1'000'000'000, "d"},
      {3600LL * 1'000'000'000, "h"},
      {60LL * 1'000'000'000, "m"},
      {1'000'000'000, "s"},
      {1'000'000, "ms"},
      {1'000, "u"},
  };
  if (ns == 0) return "0s";
  for (const Unit& unit : kUnits) {
    if (ns % unit.ns == 0) return fmt::format("{}{}", ns / unit.ns, unit.suffix);
  }
  return fmt::format("{}ns", ns);
}

}  // namespace ifx::text
