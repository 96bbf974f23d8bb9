// meta.Data decode/encode (docs/FORMATS.md §5). Blobs are built by hand from the §5.2 field tables
// with the tiny writer below, independent of the protobuf library used by the code under test.
#include "ifx/format/meta/meta_store.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace {

using namespace ifx::meta;

// Protobuf wire writer for tests: each call appends one field.
struct Pb {
  std::string b;
  static std::string uvarint(std::uint64_t v) {
    std::string s;
    while (v >= 0x80) {
      s.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    s.push_back(static_cast<char>(v));
    return s;
  }
  Pb& u(int field, std::uint64_t v) {
    b += uvarint(static_cast<std::uint64_t>(field) << 3) + uvarint(v);
    return *this;
  }
  Pb& i(int field, std::int64_t v) { return u(field, static_cast<std::uint64_t>(v)); }
  Pb& s(int field, const std::string& v) {
    b += uvarint((static_cast<std::uint64_t>(field) << 3) | 2) + uvarint(v.size()) + v;
    return *this;
  }
  Pb& m(int field, const Pb& sub) { return s(field, sub.b); }
};

constexpr std::int64_t kDay = 86400LL * 1000000000LL;
constexpr std::int64_t kWeek = 7 * kDay;

// A meta.Data as gogo would write it (§5.1): field-number order, required always, TruncatedAt
// only when set, repeated only when non-empty.
std::string reference_blob() {
  Pb shard1, shard2, shard3;
  shard1.u(1, 1);
  shard2.u(1, 2);
  shard3.u(1, 3).m(3, Pb().u(1, 1)).m(3, Pb().u(1, 4));  // Owners (Enterprise-style)

  Pb sg1;  // live group holding shards 1 and 2
  sg1.u(1, 1).i(2, 1700000000000000000).i(3, 1700000000000000000 + kWeek).i(4, 0).m(5, shard1).m(5, shard2);
  Pb sg2;  // deleted and truncated group with a negative start (before 1970)
  sg2.u(1, 23).i(2, -kDay).i(3, 0).i(4, 1700000001000000000).m(5, shard3).i(6, 1700000000500000000);

  Pb autogen;
  autogen.s(1, "autogen")
      .i(2, 0)
      .i(3, kWeek)
      .u(4, 1)
      .m(5, sg1)
      .m(6, Pb().s(1, "kapacitor").s(2, "ANY").s(3, "udp://h1:9092").s(3, "udp://h2:9092"));
  Pb one_year;
  one_year.s(1, "one_year").i(2, 31449600000000000).i(3, kDay).u(4, 1).m(5, sg2);

  Pb telegraf;
  telegraf.s(1, "telegraf")
      .s(2, "autogen")
      .m(3, autogen)
      .m(3, one_year)
      .m(4, Pb().s(1, "cq_mean")
                .s(2,
                   "CREATE CONTINUOUS QUERY cq_mean ON telegraf BEGIN "
                   "SELECT mean(v) INTO m1 FROM m GROUP BY time(1h) END"));
  Pb app_db;
  app_db.s(1, "app db").s(2, "");  // no RP, empty default: required string still written

  Pb admin;
  admin.s(1, "admin").s(2, "$2a$10$abcdefghijklmnopqrstuv").u(3, 1);
  Pb reader;
  reader.s(1, "reader")
      .s(2, "$2a$10$zyx")
      .u(3, 0)
      .m(4, Pb().s(1, "telegraf").i(2, 1))
      .m(4, Pb().s(1, "app db").i(2, 3))
      .m(4, Pb().s(1, "other").i(2, 2));

  Pb data;
  data.u(1, 0)
      .u(2, 28)
      .u(3, 0x1c2b3a4958677685ULL)
      .m(5, telegraf)
      .m(5, app_db)
      .m(6, admin)
      .m(6, reader)
      .u(7, 0)
      .u(8, 23)
      .u(9, 23);
  return data.b;
}

TEST(MetaData, DecodesEveryFieldOfAHandBuiltBlob) {
  const std::string blob = reference_blob();
  auto d = decode_meta_data(blob);
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(d->term, 0u);
  EXPECT_EQ(d->index, 28u);
  EXPECT_EQ(d->cluster_id, 0x1c2b3a4958677685ULL);
  EXPECT_EQ(d->max_node_id, 0u);
  EXPECT_EQ(d->max_shard_group_id, 23u);
  EXPECT_EQ(d->max_shard_id, 23u);
  ASSERT_EQ(d->databases.size(), 2u);

  const auto& tg = d->databases[0];
  EXPECT_EQ(tg.name, "telegraf");
  EXPECT_EQ(tg.default_retention_policy, "autogen");
  ASSERT_EQ(tg.retention_policies.size(), 2u);
  const auto& ag = tg.retention_policies[0];
  EXPECT_EQ(ag.name, "autogen");
  EXPECT_EQ(ag.duration_ns, 0);
  EXPECT_EQ(ag.shard_group_duration_ns, kWeek);
  EXPECT_EQ(ag.replica_n, 1u);
  ASSERT_EQ(ag.subscriptions.size(), 1u);
  EXPECT_EQ(ag.subscriptions[0].name, "kapacitor");
  EXPECT_EQ(ag.subscriptions[0].mode, "ANY");
  EXPECT_EQ(ag.subscriptions[0].destinations, (std::vector<std::string>{"udp://h1:9092", "udp://h2:9092"}));
  ASSERT_EQ(ag.shard_groups.size(), 1u);
  EXPECT_EQ(ag.shard_groups[0].end_ns - ag.shard_groups[0].start_ns, kWeek);
  EXPECT_FALSE(ag.shard_groups[0].deleted());
  EXPECT_EQ(ag.shard_groups[0].truncated_at_ns, 0);
  ASSERT_EQ(ag.shard_groups[0].shards.size(), 2u);
  EXPECT_EQ(ag.shard_groups[0].shards[1].id, 2u);
  EXPECT_TRUE(ag.shard_groups[0].shards[1].owners.empty());

  const auto& oy = tg.retention_policies[1];
  EXPECT_EQ(oy.duration_ns, 31449600000000000);
  ASSERT_EQ(oy.shard_groups.size(), 1u);
  const auto& g = oy.shard_groups[0];
  EXPECT_EQ(g.id, 23u);
  EXPECT_EQ(g.start_ns, -kDay);
  EXPECT_EQ(g.end_ns, 0);
  EXPECT_TRUE(g.deleted());
  EXPECT_EQ(g.truncated_at_ns, 1700000000500000000);
  EXPECT_EQ(g.shards[0].owners, (std::vector<std::uint64_t>{1, 4}));

  ASSERT_EQ(tg.continuous_queries.size(), 1u);
  EXPECT_EQ(tg.continuous_queries[0].name, "cq_mean");
  EXPECT_EQ(d->databases[1].name, "app db");
  EXPECT_EQ(d->databases[1].default_retention_policy, "");

  ASSERT_EQ(d->users.size(), 2u);
  EXPECT_TRUE(d->users[0].admin);
  EXPECT_EQ(d->users[0].hash, "$2a$10$abcdefghijklmnopqrstuv");
  EXPECT_FALSE(d->users[1].admin);
  ASSERT_EQ(d->users[1].privileges.size(), 3u);
  EXPECT_EQ(d->users[1].privileges[0].privilege, Privilege::Read);
  EXPECT_EQ(d->users[1].privileges[1].database, "app db");
  EXPECT_EQ(d->users[1].privileges[1].privilege, Privilege::All);
  EXPECT_EQ(d->users[1].privileges[2].privilege, Privilege::Write);
}

TEST(MetaData, DecodeThenEncodeIsByteIdentical) {
  const std::string blob = reference_blob();
  auto d = decode_meta_data(blob);
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(encode_meta_data(*d), blob);
}

TEST(MetaData, EncodesTheMinimalMessageWithEveryRequiredScalar) {
  MetaData d;
  // Term, Index, ClusterID, MaxNodeID, MaxShardGroupID, MaxShardID, all 0: six 2-byte fields.
  EXPECT_EQ(encode_meta_data(d), std::string("\x08\x00\x10\x00\x18\x00\x38\x00\x40\x00\x48\x00", 12));
  d.databases.push_back({"db", "", {}, {}});
  // Database with its two required strings, no repeated fields.
  EXPECT_EQ(encode_meta_data(d), std::string("\x08\x00\x10\x00\x18\x00\x2a\x06\x0a\x02"
                                             "db"
                                             "\x12\x00"
                                             "\x38\x00\x40\x00\x48\x00",
                                             20));
}

TEST(MetaData, UnknownFieldsAndOssIgnoredNodesAreSkipped) {
  const std::string blob = reference_blob();
  // Nodes (4), DataNodes (10), a future varint field 99, a future 64-bit field 100 and an
  // unknown group (field 101) appended at top level; a future string inside a database.
  Pb extra;
  extra.m(4, Pb().u(1, 1).s(2, "host:8088")).m(10, Pb().u(1, 2).s(2, "h2")).u(99, 7);
  std::string tail = extra.b + Pb::uvarint((100 << 3) | 1) + std::string(8, '\x11') + Pb::uvarint((101 << 3) | 3) +
                     Pb::uvarint(1 << 3) + "\x05" + Pb::uvarint((101 << 3) | 4);
  auto d = decode_meta_data(blob + tail);
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(encode_meta_data(*d), blob);

  Pb db;
  db.s(1, "x").s(2, "").s(17, "enterprise-only");
  Pb data;
  data.u(1, 0).u(2, 1).u(3, 2).m(5, db).u(7, 0).u(8, 0).u(9, 0);
  auto d2 = decode_meta_data(data.b);
  ASSERT_TRUE(d2) << d2.error().describe();
  EXPECT_EQ(d2->databases[0].name, "x");
}

TEST(MetaData, DeprecatedOwnerIdsWinOverOwnersAndAreWrittenBackAsOwners) {
  Pb shard;
  shard.u(1, 9).u(2, 5).u(2, 6).m(3, Pb().u(1, 7));  // Go converts OwnerIDs and drops Owners
  Pb sg;
  sg.u(1, 1).i(2, 0).i(3, 10).i(4, 0).m(5, shard);
  Pb rp;
  rp.s(1, "rp").i(2, 0).i(3, 10).u(4, 1).m(5, sg);
  Pb data;
  data.u(1, 0).u(2, 1).u(3, 2).m(5, Pb().s(1, "db").s(2, "rp").m(3, rp)).u(7, 0).u(8, 1).u(9, 9);
  auto d = decode_meta_data(data.b);
  ASSERT_TRUE(d) << d.error().describe();
  const auto& s = d->databases[0].retention_policies[0].shard_groups[0].shards[0];
  EXPECT_EQ(s.owners, (std::vector<std::uint64_t>{5, 6}));

  auto again = decode_meta_data(encode_meta_data(*d));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->databases[0].retention_policies[0].shard_groups[0].shards[0].owners,
            (std::vector<std::uint64_t>{5, 6}));
  // Written as Owners (field 3): `1a 02 08 05`, never as OwnerIDs (`10 05`).
  const std::string enc = encode_meta_data(*d);
  EXPECT_NE(enc.find(std::string("\x1a\x02\x08\x05", 4)), std::string::npos);
  EXPECT_EQ(enc.find(std::string("\x08\x09\x10\x05", 4)), std::string::npos);
}

TEST(MetaData, ExplicitZeroTruncatedAtIsDroppedOnEncode) {
  Pb sg;
  sg.u(1, 1).i(2, 0).i(3, 10).i(4, 0).i(6, 0);
  Pb rp;
  rp.s(1, "rp").i(2, 0).i(3, 10).u(4, 1).m(5, sg);
  Pb data;
  data.u(1, 0).u(2, 1).u(3, 2).m(5, Pb().s(1, "db").s(2, "rp").m(3, rp)).u(7, 0).u(8, 1).u(9, 0);
  auto d = decode_meta_data(data.b);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->databases[0].retention_policies[0].shard_groups[0].truncated_at_ns, 0);
  const std::string enc = encode_meta_data(*d);
  EXPECT_EQ(enc.size(), data.b.size() - 2);  // the `30 00` pair is gone
}

TEST(MetaData, LookupHelpers) {
  auto d = decode_meta_data(reference_blob());
  ASSERT_TRUE(d);
  ASSERT_NE(find_database(*d, "app db"), nullptr);
  EXPECT_EQ(find_database(*d, "nope"), nullptr);
  const auto* rp = find_retention_policy(*d, "telegraf", "one_year");
  ASSERT_NE(rp, nullptr);
  EXPECT_EQ(rp->shard_group_duration_ns, kDay);
  EXPECT_EQ(find_retention_policy(*d, "telegraf", "autogenx"), nullptr);
  EXPECT_EQ(find_retention_policy(*d, "nope", "autogen"), nullptr);

  auto loc = find_shard(*d, 3);  // in a deleted group: still found
  ASSERT_TRUE(loc);
  EXPECT_EQ(loc->database->name, "telegraf");
  EXPECT_EQ(loc->retention_policy->name, "one_year");
  EXPECT_EQ(loc->shard_group->id, 23u);
  EXPECT_EQ(loc->shard->id, 3u);
  auto loc2 = find_shard(*d, 2);
  ASSERT_TRUE(loc2);
  EXPECT_EQ(loc2->retention_policy->name, "autogen");
  EXPECT_FALSE(find_shard(*d, 4));

  EXPECT_EQ(privilege_name(Privilege::None), "NO PRIVILEGES");
  EXPECT_EQ(privilege_name(Privilege::Read), "READ");
  EXPECT_EQ(privilege_name(Privilege::Write), "WRITE");
  EXPECT_EQ(privilege_name(Privilege::All), "ALL");
  EXPECT_EQ(privilege_name(static_cast<Privilege>(7)), "UNKNOWN(7)");
}

TEST(MetaData, UnknownPrivilegeValueSurvivesRoundTrip) {
  Pb data;
  data.u(1, 0)
      .u(2, 1)
      .u(3, 2)
      .m(6, Pb().s(1, "u").s(2, "h").u(3, 0).m(4, Pb().s(1, "db").i(2, -1)))
      .u(7, 0)
      .u(8, 0)
      .u(9, 0);
  auto d = decode_meta_data(data.b);
  ASSERT_TRUE(d);
  EXPECT_EQ(static_cast<int>(d->users[0].privileges[0].privilege), -1);
  EXPECT_EQ(encode_meta_data(*d), data.b);  // int32 -1 as a 10-byte varint, like Go
}

// --- damaged blobs ---------------------------------------------------------------------------

TEST(MetaData, MissingRequiredFieldIsRejectedLikeGo) {
  Pb db;
  db.s(2, "autogen");  // Name (1) missing
  Pb data;
  data.u(1, 0).u(2, 1).u(3, 2).m(5, Pb().s(1, "ok").s(2, "")).m(5, db).u(7, 0).u(8, 0).u(9, 0);
  auto d = decode_meta_data(data.b);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ifx::ErrorCode::meta_invalid);
  EXPECT_NE(d.error().message.find("Databases[1].Name"), std::string::npos) << d.error().message;

  auto empty = decode_meta_data(std::string());
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("Term"), std::string::npos) << empty.error().message;
}

TEST(MetaData, TruncatedTopLevelFieldGivesOffsetOfItsLength) {
  // 08 00 10 01 18 02 | 2a 05 | 0a 03 'a'  -> Databases declares 5 bytes, 3 remain.
  const std::string blob(
      "\x08\x00\x10\x01\x18\x02\x2a\x05\x0a\x03"
      "a",
      11);
  auto d = decode_meta_data(blob);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ifx::ErrorCode::meta_invalid);
  ASSERT_TRUE(d.error().offset);
  EXPECT_EQ(*d.error().offset, 7u);
  EXPECT_NE(d.error().message.find("declares 5 bytes but only 3 remain"), std::string::npos) << d.error().message;
}

TEST(MetaData, TruncatedNestedFieldIsLocatedInsideItsMessage) {
  // Databases[0] is 4 bytes: 0a 05 'a' 'b' -> Name declares 5, 2 remain inside the database.
  const std::string blob(
      "\x08\x00\x10\x01\x18\x02\x2a\x04\x0a\x05"
      "ab",
      12);
  auto d = decode_meta_data(blob);
  ASSERT_FALSE(d);
  ASSERT_TRUE(d.error().offset);
  EXPECT_EQ(*d.error().offset, 9u);
  EXPECT_NE(d.error().message.find("Databases[0]"), std::string::npos) << d.error().message;
}

TEST(MetaData, EveryTruncationOfAValidBlobIsRejected) {
  const std::string blob = reference_blob();
  for (std::size_t n = 0; n < blob.size(); ++n) {
    auto d = decode_meta_data(std::string_view(blob).substr(0, n));
    EXPECT_FALSE(d) << "prefix of " << n << " bytes accepted";
    if (!d) {
      EXPECT_EQ(d.error().code, ifx::ErrorCode::meta_invalid);
    }
  }
}

TEST(MetaData, WrongWireTypeOnARequiredFieldIsNamed) {
  // Term (field 1) sent length-delimited: protobuf treats it as unknown, so Term is missing.
  const std::string blob("\x0a\x01\x00\x10\x01\x18\x02\x38\x00\x40\x00\x48\x00", 13);
  auto d = decode_meta_data(blob);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ifx::ErrorCode::meta_invalid);
  ASSERT_TRUE(d.error().offset);
  EXPECT_EQ(*d.error().offset, 0u);
  EXPECT_NE(d.error().message.find("Term"), std::string::npos) << d.error().message;
  EXPECT_NE(d.error().message.find("wire type 2"), std::string::npos) << d.error().message;
}

TEST(MetaData, InvalidWireTypeAndOverlongVarint) {
  auto d = decode_meta_data(std::string("\x08\x00\x0f\x01", 4));  // field 1, wire type 7
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ifx::ErrorCode::meta_invalid);
  ASSERT_TRUE(d.error().offset);
  EXPECT_EQ(*d.error().offset, 2u);
  EXPECT_NE(d.error().message.find("invalid wire type 7"), std::string::npos) << d.error().message;

  std::string overlong("\x08", 1);
  overlong += std::string(10, '\xff') + '\x01';
  auto e = decode_meta_data(overlong);
  ASSERT_FALSE(e);
  ASSERT_TRUE(e.error().offset);
  EXPECT_EQ(*e.error().offset, 1u);
  EXPECT_NE(e.error().message.find("longer than 10 bytes"), std::string::npos) << e.error().message;
}

}  // namespace
