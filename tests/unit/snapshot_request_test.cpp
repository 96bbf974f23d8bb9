// libnet without a server: request bytes (docs/FORMATS.md §1.2–1.4) with their times and strings in
// Go's encoding (the text itself is tested in rfc3339_test and go_json_test), the parsers of the
// small answers (§1.6), host parsing and the retry loop (§1.8).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ifx/format/meta/meta_envelope.hpp"
#include "ifx/format/text/rfc3339.hpp"
#include "ifx/net/snapshot/request.hpp"
#include "ifx/net/snapshot/response.hpp"
#include "ifx/net/snapshot/snapshot_client.hpp"
#include "ifx/net/tcp_connection.hpp"

#include "support/bytes.hpp"

using namespace std::string_literals;  // "\x00..."s keeps an embedded NUL

namespace {

using ifx::test::bytes_of;

using namespace ifx::net;

std::string u64be(std::uint64_t v) {
  std::string s;
  for (int shift = 56; shift >= 0; shift -= 8) s += static_cast<char>((v >> shift) & 0xFF);
  return s;
}

WireTime at(std::string_view text) {
  auto t = ifx::text::parse_rfc3339(text);
  EXPECT_TRUE(t) << t.error().message;
  return t ? WireTime::from(*t) : WireTime{};
}

// ---- §1.4: the exact metastore request of the stock CLI ----------------------------------------

TEST(RequestEncoding, MetastoreRequestIsTheStockCliBytes) {
  const std::string json =
      "{\"Type\":1,\"BackupDatabase\":\"\",\"RestoreDatabase\":\"\",\"BackupRetentionPolicy\":\"\","
      "\"RestoreRetentionPolicy\":\"\",\"ShardID\":0,\"Since\":\"0001-01-01T00:00:00Z\","
      "\"ExportStart\":\"0001-01-01T00:00:00Z\",\"ExportEnd\":\"0001-01-01T00:00:00Z\","
      "\"UploadSize\":0}";
  ASSERT_EQ(json.size(), 236u);
  Request r;
  r.type = RequestType::MetastoreBackup;
  EXPECT_EQ(encode_request_json(r), json);
  EXPECT_EQ(encode_request(r), std::string("\x01", 1) + json + "\n");
  EXPECT_EQ(encode_request(r).size(), 238u);
}

TEST(RequestEncoding, ShardBackupCarriesIdAndSince) {
  Request r;
  r.type = RequestType::ShardBackup;
  r.shard_id = 18446744073709551615ull;  // u64 max prints as a plain decimal
  r.since = at("2026-11-20T00:00:00.5Z");
  EXPECT_EQ(encode_request(r),
            "\x00"
            "{\"Type\":0,\"BackupDatabase\":\"\",\"RestoreDatabase\":\"\","
            "\"BackupRetentionPolicy\":\"\",\"RestoreRetentionPolicy\":\"\","
            "\"ShardID\":18446744073709551615,\"Since\":\"2026-11-20T00:00:00.5Z\","
            "\"ExportStart\":\"0001-01-01T00:00:00Z\",\"ExportEnd\":\"0001-01-01T00:00:00Z\","
            "\"UploadSize\":0}\n"s);
}

TEST(RequestEncoding, ExportKeepsTheTypedOffset) {
  Request r;
  r.type = RequestType::ShardExport;
  r.shard_id = 37;
  r.export_start = at("2026-11-23T12:00:00+01:00");
  r.export_end = at("2026-11-24T00:00:00-05:30");
  const std::string wire = encode_request(r);
  EXPECT_EQ(wire[0], '\x05');
  EXPECT_NE(wire.find("\"ShardID\":37,"), std::string::npos);
  EXPECT_NE(wire.find("\"ExportStart\":\"2026-11-23T12:00:00+01:00\""), std::string::npos) << wire;
  EXPECT_NE(wire.find("\"ExportEnd\":\"2026-11-24T00:00:00-05:30\""), std::string::npos) << wire;
}

TEST(RequestEncoding, InfoRequestsNameDatabaseAndPolicy) {
  Request r;
  r.type = RequestType::RetentionPolicyInfo;
  r.backup_database = "db1";
  r.backup_retention_policy = "rp \"x\"";
  EXPECT_EQ(encode_request(r),
            "\x04"
            "{\"Type\":4,\"BackupDatabase\":\"db1\",\"RestoreDatabase\":\"\","
            "\"BackupRetentionPolicy\":\"rp \\\"x\\\"\",\"RestoreRetentionPolicy\":\"\","
            "\"ShardID\":0,\"Since\":\"0001-01-01T00:00:00Z\","
            "\"ExportStart\":\"0001-01-01T00:00:00Z\",\"ExportEnd\":\"0001-01-01T00:00:00Z\","
            "\"UploadSize\":0}\n"s);
}

TEST(RequestEncoding, MetaUpdateAppendsPayloadAfterExactlyOneNewline) {
  const std::string blob("\x08\x00\x10\x1c\x00\xff", 6);
  Request r;
  r.type = RequestType::MetaStoreUpdate;
  r.backup_database = "db1";
  r.restore_database = "db1x";
  r.backup_retention_policy = "rp2";
  r.restore_retention_policy = "rp2x";
  r.payload = blob;
  const std::string wire = encode_request(r);
  const std::string head =
      "\x06"
      "{\"Type\":6,\"BackupDatabase\":\"db1\",\"RestoreDatabase\":\"db1x\","
      "\"BackupRetentionPolicy\":\"rp2\",\"RestoreRetentionPolicy\":\"rp2x\",\"ShardID\":0,"
      "\"Since\":\"0001-01-01T00:00:00Z\",\"ExportStart\":\"0001-01-01T00:00:00Z\","
      "\"ExportEnd\":\"0001-01-01T00:00:00Z\",\"UploadSize\":6}\n"s;
  EXPECT_EQ(encode_request_head(r), head);
  EXPECT_EQ(wire, head + blob);
}

TEST(RequestEncoding, PayloadIsIgnoredOutsideMetaUpdate) {
  const std::string blob = "xyz";
  Request r;
  r.type = RequestType::DatabaseInfo;
  r.payload = blob;
  const std::string wire = encode_request(r);
  EXPECT_NE(wire.find("\"UploadSize\":0}"), std::string::npos);
  EXPECT_EQ(wire.back(), '\n');
}

TEST(RequestEncoding, ShardUpdateIsTypeAndBigEndianId) {
  Request r;
  r.type = RequestType::ShardUpdate;
  r.shard_id = 37;
  EXPECT_EQ(encode_request(r), std::string("\x07\x00\x00\x00\x00\x00\x00\x00\x25", 9));
  r.shard_id = 0x0102030405060708ull;
  EXPECT_EQ(encode_request(r), std::string("\x07\x01\x02\x03\x04\x05\x06\x07\x08", 9));
}

// ---- times in the request (§1.4) -------------------------------------------------------------

TEST(WireTimeText, ZeroTimeIsGosZeroTime) { EXPECT_EQ(WireTime::zero().rfc3339(), "0001-01-01T00:00:00Z"); }

TEST(WireTimeText, RFC3339NanoInTheTypedZone) {
  EXPECT_EQ(WireTime::from_unix_ns(0).rfc3339(), "1970-01-01T00:00:00Z");
  EXPECT_EQ(WireTime::from_unix_ns(-500'000'000).rfc3339(), "1969-12-31T23:59:59.5Z");
  EXPECT_EQ(WireTime::from_unix_ns(kExportMinUnixNs).rfc3339(), "1677-09-21T00:12:44Z");
  EXPECT_EQ(WireTime::from_unix_ns(kExportMaxUnixNs).rfc3339(), "2262-04-11T23:47:16Z");
  for (const char* s : {"2026-11-23T12:00:00+01:00", "2026-11-23T05:30:00.25-05:30"}) {
    EXPECT_EQ(at(s).rfc3339(), s);
  }
}

// ---- §1.6.1 meta stream ------------------------------------------------------------------------

TEST(MetaBackupResponse, ParsesTheLegacyLayout) {
  const std::string blob("\x08\x00\x10\x1c", 4);
  const std::string stream = ifx::meta::write_legacy_meta(blob);
  ASSERT_EQ(stream, std::string("\x00\x00\x00\x00\x59\x59\x01\x01", 8) + u64be(4) + blob + u64be(5) + "null\n");
  auto m = parse_meta_backup_response(bytes_of(stream));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->blob, blob);
  EXPECT_EQ(m->node_json, "null\n");
}

TEST(MetaBackupResponse, DamageIsMetaInvalidWithOffset) {
  const std::string good = ifx::meta::write_legacy_meta(std::string("\x08\x00", 2));
  std::string bad_magic = good;
  bad_magic[5] = 0x58;
  auto m = parse_meta_backup_response(bytes_of(bad_magic));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ifx::ErrorCode::meta_invalid);
  EXPECT_EQ(m.error().offset, 0u);

  auto shorter = parse_meta_backup_response(bytes_of(good.substr(0, good.size() - 1)));
  ASSERT_FALSE(shorter);
  EXPECT_EQ(shorter.error().code, ifx::ErrorCode::meta_invalid);

  std::string long_m = good;
  long_m.replace(8, 8, u64be(1000));  // M larger than the stream
  auto lm = parse_meta_backup_response(bytes_of(long_m));
  ASSERT_FALSE(lm);
  EXPECT_EQ(lm.error().code, ifx::ErrorCode::meta_invalid);
  EXPECT_EQ(lm.error().offset, 8u);

  auto empty = parse_meta_backup_response({});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ifx::ErrorCode::meta_invalid);
}

// ---- §1.6.2 info ---------------------------------------------------------------------------

TEST(InfoResponse, SplitsPaths) {
  auto p = parse_info_response("{\"Paths\":[\"db1/autogen/1\",\"db1/rp 2/18446744073709551615\"]}\n");
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0], (ShardPath{"db1", "autogen", 1}));
  EXPECT_EQ((*p)[1], (ShardPath{"db1", "rp 2", 18446744073709551615ull}));
  EXPECT_EQ((*p)[1].text(), "db1/rp 2/18446744073709551615");
}

TEST(InfoResponse, NullAndEmptyPathsAreEmpty) {
  auto n = parse_info_response("{\"Paths\":null}\n");
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_TRUE(n->empty());
  auto e = parse_info_response("{\"Paths\":[]}");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->empty());
}

TEST(InfoResponse, RejectsDamage) {
  for (const char* bad : {"", "{\"Paths\":[\"db/rp/1\"", "[1,2]", "{\"paths\":[]}", "{\"Paths\":5}", "{\"Paths\":[1]}",
                          "{\"Paths\":[\"db/rp\"]}", "{\"Paths\":[\"db/rp/1/x\"]}", "{\"Paths\":[\"db/rp/x1\"]}",
                          "{\"Paths\":[\"db//1\"]}", "{\"Paths\":[\"db/rp/\"]}", "{\"Paths\":[\"db/rp/-1\"]}",
                          "{\"Paths\":[\"db/rp/18446744073709551616\"]}"}) {
    auto p = parse_info_response(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().code, ifx::ErrorCode::net_protocol) << bad;
  }
  auto e = parse_shard_path("db/rp/12x");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("\"db/rp/12x\""), std::string::npos);
  EXPECT_NE(e.error().message.find("not a decimal number"), std::string::npos);
}

// ---- §1.6.4 meta update ------------------------------------------------------------------------

std::string update_answer(std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs) {
  std::string s = u64be(0x59590101) + u64be(pairs.size());
  for (auto [a, b] : pairs) s += u64be(a) + u64be(b);
  return s;
}

TEST(MetaUpdateResponse, ParsesPairs) {
  auto m = parse_meta_update_response(bytes_of(update_answer({{5, 18}, {4, 17}, {6, 19}})));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(*m, (ShardIdMap{{4, 17}, {5, 18}, {6, 19}}));
}

TEST(MetaUpdateResponse, ZeroPairsIsMetaNotChanged) {
  auto m = parse_meta_update_response(bytes_of(update_answer({})));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ifx::ErrorCode::meta_not_changed);
  EXPECT_NE(m.error().message.find("DB metadata not changed. database may already exist"), std::string::npos);
  EXPECT_NE(m.error().message.find("already exists"), std::string::npos);
}

TEST(MetaUpdateResponse, RejectsDamage) {
  const std::string good = update_answer({{1, 2}});
  auto shorter = parse_meta_update_response(bytes_of(good.substr(0, 15)));
  ASSERT_FALSE(shorter);
  EXPECT_EQ(shorter.error().code, ifx::ErrorCode::net_protocol);
  EXPECT_EQ(shorter.error().offset, 15u);

  std::string magic = good;
  magic[7] = 0x02;
  auto bm = parse_meta_update_response(bytes_of(magic));
  ASSERT_FALSE(bm);
  EXPECT_EQ(bm.error().code, ifx::ErrorCode::net_protocol);
  EXPECT_EQ(bm.error().offset, 0u);
  EXPECT_NE(bm.error().message.find("0x0000000059590102"), std::string::npos) << bm.error().message;

  auto cut = parse_meta_update_response(bytes_of(good.substr(0, good.size() - 1)));
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code, ifx::ErrorCode::net_protocol);
  EXPECT_EQ(cut.error().offset, 8u);

  auto extra = parse_meta_update_response(bytes_of(good + "x"));
  ASSERT_FALSE(extra);
  EXPECT_EQ(extra.error().code, ifx::ErrorCode::net_protocol);

  std::string huge = good;
  huge.replace(8, 8, u64be(0x1000000000000001ull));  // 16·P overflows 64 bits
  auto h = parse_meta_update_response(bytes_of(huge));
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, ifx::ErrorCode::net_protocol);

  auto dup = parse_meta_update_response(bytes_of(update_answer({{1, 2}, {1, 3}})));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ifx::ErrorCode::net_protocol);
  EXPECT_EQ(dup.error().offset, 32u);
}

// ---- host:port ---------------------------------------------------------------------------------

TEST(HostPortParsing, AcceptsInfluxdSpellings) {
  auto a = parse_host_port("localhost:8088");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->port, 8088);
  auto b = parse_host_port("10.0.0.5");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->port, kDefaultRpcPort);
  auto c = parse_host_port(":9000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "localhost");
  EXPECT_EQ(c->port, 9000);
  auto d = parse_host_port("[::1]:8089");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->host, "::1");
  EXPECT_EQ(d->text(), "[::1]:8089");
  for (const char* bad : {"", "h:", "h:0", "h:65536", "h:80x", "::1:8088", "[::1", "[::1]x"}) {
    auto r = parse_host_port(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ifx::ErrorCode::invalid_argument);
  }
}

TEST(Durations, DescribeForMessages) {
  EXPECT_EQ(describe_duration(std::chrono::milliseconds(150)), "150 ms");
  EXPECT_EQ(describe_duration(std::chrono::milliseconds(2000)), "2 s");
  EXPECT_EQ(describe_duration(std::chrono::milliseconds(1500)), "1.5 s");
}

// ---- §1.8 retries ------------------------------------------------------------------------------

TEST(Retries, BackoffDoublesUpToTheCap) {
  RetryPolicy p;
  EXPECT_EQ(p.wait_after(1).count(), 500);
  EXPECT_EQ(p.wait_after(2).count(), 1000);
  EXPECT_EQ(p.wait_after(3).count(), 2000);
  EXPECT_EQ(p.wait_after(5).count(), 8000);
  EXPECT_EQ(p.wait_after(9).count(), 8000);
}

TEST(Retries, ResetsTheOutputBetweenAttemptsAndSucceeds) {
  std::string output;  // what a file sink would hold
  std::vector<std::int64_t> waits;
  std::vector<int> reported;
  RetryPolicy p;
  p.sleep = [&](std::chrono::milliseconds d) { waits.push_back(d.count()); };
  p.on_retry = [&](int attempt, const ifx::Error&, std::chrono::milliseconds) { reported.push_back(attempt); };
  int calls = 0;
  auto r = with_retries<std::uint64_t>(
      p,
      [&]() -> ifx::Result<std::uint64_t> {
        ++calls;
        output += "partial-" + std::to_string(calls);
        if (calls < 3) return ifx::fail(ifx::ErrorCode::net_reset, "cut");
        output += "-complete";
        return 42;
      },
      [&]() -> ifx::Result<void> {
        output.clear();
        return {};
      });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, 42u);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(output, "partial-3-complete");  // nothing of attempts 1 and 2 is left
  EXPECT_EQ(waits, (std::vector<std::int64_t>{500, 1000}));
  EXPECT_EQ(reported, (std::vector<int>{1, 2}));
}

TEST(Retries, GivesUpAfterTheLastAttempt) {
  RetryPolicy p;
  p.attempts = 3;
  int sleeps = 0;
  p.sleep = [&](std::chrono::milliseconds) { ++sleeps; };
  int calls = 0;
  auto r = run_with_retries(p, [&]() -> ifx::Result<void> {
    ++calls;
    return ifx::fail(ifx::ErrorCode::net_no_data, "no data returned for shard 7");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(sleeps, 2);  // no pointless wait after the last failure (influxd sleeps, §1.8)
  EXPECT_EQ(r.error().code, ifx::ErrorCode::net_no_data);
  EXPECT_EQ(r.error().message, "no data returned for shard 7 (gave up after 3 attempts)");
}

TEST(Retries, StopsAtOnceOnErrorsThatCannotHeal) {
  for (ifx::ErrorCode code : {ifx::ErrorCode::net_http_port, ifx::ErrorCode::meta_not_changed, ifx::ErrorCode::io,
                              ifx::ErrorCode::invalid_argument}) {
    RetryPolicy p;
    p.sleep = [](std::chrono::milliseconds) { FAIL() << "must not wait"; };
    int calls = 0;
    auto r = run_with_retries(p, [&]() -> ifx::Result<void> {
      ++calls;
      return ifx::fail(code, "x");
    });
    ASSERT_FALSE(r);
    EXPECT_EQ(calls, 1) << code;
    EXPECT_EQ(r.error().code, code);
    EXPECT_EQ(r.error().message, "x");
  }
  EXPECT_TRUE(is_retryable(ifx::Error{ifx::ErrorCode::net_timeout, "t"}));
  EXPECT_TRUE(is_retryable(ifx::Error{ifx::ErrorCode::net_refused, "r"}));
  EXPECT_FALSE(is_retryable(ifx::Error{ifx::ErrorCode::net_http_port, "h"}));
}

TEST(Retries, AFailingResetEndsTheLoop) {
  RetryPolicy p;
  p.sleep = [](std::chrono::milliseconds) {};
  int calls = 0;
  auto r = run_with_retries(
      p,
      [&]() -> ifx::Result<void> {
        ++calls;
        return ifx::fail(ifx::ErrorCode::net_reset, "cut");
      },
      []() -> ifx::Result<void> { return ifx::fail(ifx::ErrorCode::io, "cannot truncate out.tar: disk full"); });
  ASSERT_FALSE(r);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::io);
}

}  // namespace
