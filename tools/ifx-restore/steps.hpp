// The pieces run() strings together, one file each: online.cpp (import, upload, wait, rollback),
// merge.cpp (--merge over HTTP), metadata.cpp (--users, --cqs), offline.cpp (-metadir/-datadir).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "ifx-restore/plan.hpp"
#include "ifx-restore/restore.hpp"
#include "ifx/net/http/influx_http.hpp"

namespace ifx::restore {

// The restore speaks to InfluxDB's HTTP API through libnet's client.
using net::HttpEndpoint;
using net::InfluxHttp;
using net::kDefaultHttpPort;

void say(const Options& o, const std::string& line);

// The HTTP API the options point at (--http, else -host's address with port 8086), with
// INFLUX_USERNAME / INFLUX_PASSWORD.
Result<InfluxHttp> connect_http(const Options& o);

// `http` may be null: the HTTP API was not found at the default address and nothing asked for it
// (see restore.cpp); the target is then checked over the RPC and nothing waited for or rolled back.
Result<void> run_online(const Options& o, RestorePlan& plan, const InfluxHttp* http, Report& report);
Result<void> run_merge(const Options& o, RestorePlan& plan, InfluxHttp& http, Report& report);
Result<void> run_offline(const Options& o, RestorePlan& plan, Report& report);

// Waits until every target RP that received TSM data answers a count over the restored shard
// groups' ranges, then records per-measurement value counts in the report.
Result<void> wait_until_queryable(const Options& o, const RestorePlan& plan, const InfluxHttp& http, Report& report,
                                  bool expect_data);

// --cqs: the backup's continuous queries of the restored databases, renames applied inside the
// query text, created over HTTP.
Result<void> restore_continuous_queries(const Options& o, const RestorePlan& plan, const InfluxHttp& http,
                                        Report& report);
// --users online: grants for users the server has; the others are named in a note (the HTTP API
// cannot set a password hash).
Result<void> restore_user_grants(const Options& o, const RestorePlan& plan, const InfluxHttp& http, Report& report);

// The text of a CREATE CONTINUOUS QUERY with database and RP identifiers renamed: `ON db`, and
// the db / rp parts of dotted names `db.rp.m`, `db..m`, `rp.m` (InfluxQL identifiers, quoted or
// bare; strings and regexes untouched).
std::string rename_in_query(std::string_view query, std::string_view from_db, std::string_view to_db,
                            const std::vector<std::pair<std::string, std::string>>& rp_renames);

}  // namespace ifx::restore
