// What influxd's online restore never brings back (docs/FORMATS.md §5.3: CQs, users and grants are
// not imported; influxdb issues #9723, #24682, #21494): --cqs and --users over the HTTP API.
#include <cctype>
#include <set>

#include <fmt/format.h>

#include "ifx-restore/steps.hpp"
#include "ifx/format/meta/meta_store.hpp"
#include "ifx/format/text/influxql.hpp"

namespace ifx::restore {
namespace {

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// One identifier at `i` (bare or double-quoted); its unquoted value and where it ends.
struct Ident {
  std::string value;
  std::size_t end = 0;
};
std::optional<Ident> read_ident(std::string_view q, std::size_t i) {
  if (i >= q.size()) return std::nullopt;
  if (q[i] == '"') {
    Ident id;
    for (std::size_t j = i + 1; j < q.size(); ++j) {
      if (q[j] == '\\' && j + 1 < q.size()) {
        id.value += q[++j];
        continue;
      }
      if (q[j] == '"') {
        id.end = j + 1;
        return id;
      }
      id.value += q[j];
    }
    return std::nullopt;  // unterminated: leave the text alone
  }
  if (!ident_start(q[i])) return std::nullopt;
  std::size_t j = i;
  while (j < q.size() && ident_char(q[j])) ++j;
  return Ident{std::string(q.substr(i, j - i)), j};
}

std::size_t skip_quoted(std::string_view q, std::size_t i, char close) {
  for (std::size_t j = i + 1; j < q.size(); ++j) {
    if (q[j] == '\\') {
      ++j;
      continue;
    }
    if (q[j] == close) return j + 1;
  }
  return q.size();
}

}  // namespace

std::string rename_in_query(std::string_view q, std::string_view from_db, std::string_view to_db,
                            const std::vector<std::pair<std::string, std::string>>& rp_renames) {
  auto rp_target = [&](const std::string& rp) -> std::optional<std::string> {
    for (const auto& [from, to] : rp_renames)
      if (from == rp && from != to) return to;
    return std::nullopt;
  };
  std::string out;
  std::string prev_word;  // the previous bare word, for "ON db" and regex detection
  char prev_sig = 0;      // the previous non-space character
  std::size_t i = 0;
  while (i < q.size()) {
    const char c = q[i];
    if (c == '\'') {  // string literal
      std::size_t e = skip_quoted(q, i, '\'');
      out.append(q.substr(i, e - i));
      i = e;
      prev_sig = '\'';
      prev_word.clear();
      continue;
    }
    if (c == '/' && (iequals(prev_word, "FROM") || prev_sig == '~' || prev_sig == ',' || prev_sig == '(')) {
      std::size_t e = skip_quoted(q, i, '/');  // regex literal
      out.append(q.substr(i, e - i));
      i = e;
      prev_sig = '/';
      prev_word.clear();
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {  // number or duration literal
      std::size_t e = i;
      while (e < q.size() && (ident_char(q[e]) || q[e] == '.')) ++e;
      out.append(q.substr(i, e - i));
      i = e;
      prev_sig = '0';
      prev_word.clear();
      continue;
    }
    if (c == '"' || ident_start(c)) {
      // A dotted name: ident ('.' ident?)*
      std::vector<std::pair<std::string, std::string>> parts;  // (value, original text)
      std::size_t j = i;
      bool ok = true;
      for (;;) {
        auto id = read_ident(q, j);
        if (!id) {
          ok = parts.empty() ? false : ok;
          if (parts.empty()) break;
          parts.push_back({"", ""});  // db..m: empty RP part
        } else {
          parts.push_back({id->value, std::string(q.substr(j, id->end - j))});
          j = id->end;
        }
        if (j < q.size() && q[j] == '.') {
          ++j;
          continue;
        }
        break;
      }
      if (!ok || parts.empty()) {
        out += c;
        ++i;
        continue;
      }
      const bool bare_word = parts.size() == 1 && q[i] != '"';
      std::vector<std::string> text;
      for (const auto& p : parts) text.push_back(p.second);
      if (parts.size() == 1 && iequals(prev_word, "ON") && parts[0].first == from_db && from_db != to_db)
        text[0] = ifx::text::quote_influxql_ident(to_db);
      if (parts.size() == 3 && parts[0].first == from_db) {
        if (from_db != to_db) text[0] = ifx::text::quote_influxql_ident(to_db);
        if (auto rp = rp_target(parts[1].first)) text[1] = ifx::text::quote_influxql_ident(*rp);
      }
      if (parts.size() == 2)
        if (auto rp = rp_target(parts[0].first)) text[0] = ifx::text::quote_influxql_ident(*rp);
      for (std::size_t k = 0; k < text.size(); ++k) out += (k ? "." : "") + text[k];
      prev_word = bare_word ? parts[0].first : "";
      prev_sig = 'a';
      i = j;
      continue;
    }
    out += c;
    if (!std::isspace(static_cast<unsigned char>(c))) {
      prev_sig = c;
      prev_word.clear();
    }
    ++i;
  }
  return out;
}

Result<void> restore_continuous_queries(const Options& o, const RestorePlan& plan, const InfluxHttp& http,
                                        Report& report) {
  for (const auto& dp : plan.databases) {
    const meta::DatabaseInfo* db = meta::find_database(plan.set.meta, dp.source);
    if (!db) continue;
    std::vector<std::pair<std::string, std::string>> rps;
    for (const auto& r : dp.retention_policies) rps.push_back({r.source, r.target});
    for (const auto& cq : db->continuous_queries) {
      const std::string text = rename_in_query(cq.query, dp.source, dp.target, rps);
      say(o, fmt::format("creating continuous query \"{}\" on \"{}\"", cq.name, dp.target));
      if (o.dry_run) {
        report.continuous_queries.push_back(text);
        continue;
      }
      if (auto r = http.query(text, dp.target); !r)
        return fail(r.error().code,
                    fmt::format("continuous query \"{}\" of \"{}\": {}", cq.name, dp.source, r.error().message));
      report.continuous_queries.push_back(text);
    }
  }
  return {};
}

Result<void> restore_user_grants(const Options& o, const RestorePlan& plan, const InfluxHttp& http, Report& report) {
  auto users = http.series("SHOW USERS");
  if (!users) return std::unexpected(users.error());
  std::set<std::string> present;
  for (const auto& s : *users)
    for (const auto& row : s.value("values", nlohmann::json::array()))
      if (!row.empty() && row[0].is_string()) present.insert(row[0].get<std::string>());
  for (const auto& u : plan.set.meta.users) {
    for (const auto& p : u.privileges) {
      const DatabasePlan* dp = find_database_plan(plan, p.database);
      if (!dp || p.privilege == meta::Privilege::None) continue;
      if (!present.count(u.name)) {
        report.notes.push_back(
            fmt::format("user \"{}\" ({} on \"{}\") is not on the server and the HTTP API cannot "
                        "set its password hash: create it, then run again with --users (or "
                        "restore offline, which brings users back)",
                        u.name, meta::privilege_name(p.privilege), dp->target));
        continue;
      }
      const std::string q = fmt::format("GRANT {} ON {} TO {}", meta::privilege_name(p.privilege),
                                        text::quote_influxql_ident(dp->target), text::quote_influxql_ident(u.name));
      say(o, q);
      if (!o.dry_run)
        if (auto r = http.query(q); !r) return std::unexpected(r.error());
      report.users.push_back(fmt::format("{}: {} on {}", u.name, meta::privilege_name(p.privilege), dp->target));
    }
  }
  return {};
}

}  // namespace ifx::restore
