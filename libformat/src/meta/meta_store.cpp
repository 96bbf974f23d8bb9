// meta.Data <-> protobuf (docs/FORMATS.md §5). Parsing and serialisation are done by the code
// generated from proto/meta.proto; this file maps it to the plain model and, when a blob is
// rejected, walks the wire bytes itself to say where and why.
#include "ifx/format/meta/meta_store.hpp"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <limits>

#include "meta.pb.h"

namespace ifx::meta {
namespace {

namespace gp = google::protobuf;

// ---------------------------------------------------------------------------------------------
// Wire walker: only used to explain a rejection (offset + reason). docs/FORMATS.md §5.1.

struct WireIssue {
  std::uint64_t offset = 0;
  std::string message;
};

const char* wire_type_name(unsigned wt) {
  switch (wt) {
    case 0:
      return "varint";
    case 1:
      return "64-bit";
    case 2:
      return "length-delimited";
    case 3:
      return "start-group";
    case 4:
      return "end-group";
    case 5:
      return "32-bit";
    default:
      return "invalid";
  }
}

unsigned expected_wire_type(const gp::FieldDescriptor* f) {
  switch (f->type()) {
    case gp::FieldDescriptor::TYPE_STRING:
    case gp::FieldDescriptor::TYPE_BYTES:
    case gp::FieldDescriptor::TYPE_MESSAGE:
      return 2;
    case gp::FieldDescriptor::TYPE_DOUBLE:
    case gp::FieldDescriptor::TYPE_FIXED64:
    case gp::FieldDescriptor::TYPE_SFIXED64:
      return 1;
    case gp::FieldDescriptor::TYPE_FLOAT:
    case gp::FieldDescriptor::TYPE_FIXED32:
    case gp::FieldDescriptor::TYPE_SFIXED32:
      return 5;
    case gp::FieldDescriptor::TYPE_GROUP:
      return 3;
    default:
      return 0;
  }
}

class WireWalker {
 public:
  explicit WireWalker(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  // First structural defect (truncation, bad varint, bad length, bad wire type), if any.
  std::optional<WireIssue> fatal;
  // First known field whose wire type differs from the schema (protobuf treats it as unknown).
  std::optional<WireIssue> mismatch;

  void walk(const gp::Descriptor* d, std::size_t pos, std::size_t end, const std::string& path, int depth) {
    std::vector<int> seen(64, 0);  // repeated-field counters for paths like Databases[2]
    while (pos < end && !fatal) {
      const std::size_t tag_at = pos;
      auto tag = varint(pos, end, path, "field tag");
      if (!tag) return;
      const unsigned wt = static_cast<unsigned>(*tag & 7);
      const std::uint64_t number = *tag >> 3;
      if (number == 0 || number > 536870911) {
        return set_fatal(tag_at,
                         fmt::format("{}field tag 0x{:x} has invalid field number {}", where(path), *tag, number));
      }
      const gp::FieldDescriptor* f = d ? d->FindFieldByNumber(static_cast<int>(number)) : nullptr;
      std::string sub_path;
      if (f) {
        sub_path = path.empty() ? f->name() : path + "." + f->name();
        if (f->is_repeated()) {
          const auto n = static_cast<std::size_t>(number);
          if (n >= seen.size()) seen.resize(n + 1, 0);
          sub_path += fmt::format("[{}]", seen[n]++);
        }
        const unsigned want = expected_wire_type(f);
        const bool packed_ok = f->is_repeated() && want != 2 && wt == 2;
        if (wt != want && !packed_ok && !mismatch) {
          mismatch = WireIssue{tag_at,
                               fmt::format("field {} ({}) has wire type {} ({}), expected "
                                           "{} ({})",
                                           number, sub_path, wt, wire_type_name(wt), want, wire_type_name(want))};
        }
      }
      switch (wt) {
        case 0:
          if (!varint(pos, end, sub_path.empty() ? path : sub_path, "varint value")) return;
          break;
        case 1:
        case 5: {
          const std::size_t width = wt == 1 ? 8 : 4;
          if (end - pos < width) {
            return set_fatal(pos, fmt::format("{}{}-byte value of field {} is truncated ({} bytes "
                                              "left)",
                                              where(path), width, number, end - pos));
          }
          pos += width;
          break;
        }
        case 2: {
          const std::size_t len_at = pos;
          auto len = varint(pos, end, path, "length");
          if (!len) return;
          if (*len > end - pos) {
            return set_fatal(len_at, fmt::format("{}field {}{} declares {} bytes but only {} "
                                                 "remain",
                                                 f ? "" : where(path), number, f ? fmt::format(" ({})", sub_path) : "",
                                                 *len, end - pos));
          }
          const std::size_t sub_end = pos + static_cast<std::size_t>(*len);
          if (f && f->type() == gp::FieldDescriptor::TYPE_MESSAGE && depth < 64) {
            walk(f->message_type(), pos, sub_end, sub_path, depth + 1);
          }
          pos = sub_end;
          break;
        }
        case 3:
          if (depth >= 64) return set_fatal(tag_at, "groups nested too deeply");
          if (!skip_group(pos, end, number, path, depth + 1)) return;
          break;
        case 4:
          return set_fatal(tag_at, fmt::format("{}unexpected end-group tag for field {}", where(path), number));
        default:
          return set_fatal(tag_at, fmt::format("{}field {} has invalid wire type {}", where(path), number, wt));
      }
    }
  }

 private:
  static std::string where(const std::string& path) { return path.empty() ? "" : path + ": "; }

  void set_fatal(std::size_t at, std::string msg) {
    if (!fatal) fatal = WireIssue{at, std::move(msg)};
  }

  std::optional<std::uint64_t> varint(std::size_t& pos, std::size_t end, const std::string& path, const char* what) {
    const std::size_t start = pos;
    std::uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
      if (pos >= end) {
        set_fatal(start, fmt::format("{}{} is truncated", where(path), what));
        return std::nullopt;
      }
      const std::uint8_t b = bytes_[pos++];
      if (shift < 64) v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    set_fatal(start, fmt::format("{}{} is longer than 10 bytes", where(path), what));
    return std::nullopt;
  }

  // An unknown group: skip to its matching end-group tag.
  bool skip_group(std::size_t& pos, std::size_t end, std::uint64_t number, const std::string& path, int depth) {
    while (pos < end) {
      const std::size_t tag_at = pos;
      auto tag = varint(pos, end, path, "field tag");
      if (!tag) return false;
      const unsigned wt = static_cast<unsigned>(*tag & 7);
      if (wt == 4) {
        if ((*tag >> 3) == number) return true;
        set_fatal(tag_at, fmt::format("{}end-group tag for field {} closes group {}", where(path), *tag >> 3, number));
        return false;
      }
      std::size_t len = 0;
      if (wt == 0) {
        if (!varint(pos, end, path, "varint value")) return false;
      } else if (wt == 1 || wt == 5) {
        len = wt == 1 ? 8 : 4;
      } else if (wt == 2) {
        auto l = varint(pos, end, path, "length");
        if (!l) return false;
        if (*l > end - pos) {
          set_fatal(tag_at, fmt::format("{}length {} runs past the end", where(path), *l));
          return false;
        }
        len = static_cast<std::size_t>(*l);
      } else if (wt == 3) {
        if (depth >= 64 || !skip_group(pos, end, *tag >> 3, path, depth + 1)) {
          set_fatal(tag_at, "groups nested too deeply");
          return false;
        }
      } else {
        set_fatal(tag_at, fmt::format("{}invalid wire type {}", where(path), wt));
        return false;
      }
      if (len > end - pos) {
        set_fatal(pos, fmt::format("{}value is truncated", where(path)));
        return false;
      }
      pos += len;
    }
    set_fatal(end, fmt::format("{}group {} is not closed before the end", where(path), number));
    return false;
  }

  std::span<const std::uint8_t> bytes_;
};

// ---------------------------------------------------------------------------------------------
// protobuf -> model

ShardInfo from_pb(const pb::ShardInfo& p) {
  ShardInfo s;
  s.id = p.id();
  // Go: deprecated OwnerIDs, when present, win over Owners (services/meta/data.go).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  if (p.ownerids_size() > 0) {
    s.owners.assign(p.ownerids().begin(), p.ownerids().end());
#pragma GCC diagnostic pop
  } else {
    for (const auto& o : p.owners()) s.owners.push_back(o.nodeid());
  }
  return s;
}

ShardGroupInfo from_pb(const pb::ShardGroupInfo& p) {
  ShardGroupInfo g;
  g.id = p.id();
  g.start_ns = p.starttime();
  g.end_ns = p.endtime();
  g.deleted_at_ns = p.deletedat();
  g.truncated_at_ns = p.has_truncatedat() ? p.truncatedat() : 0;
  for (const auto& s : p.shards()) g.shards.push_back(from_pb(s));
  return g;
}

RetentionPolicyInfo from_pb(const pb::RetentionPolicyInfo& p) {
  RetentionPolicyInfo r;
  r.name = p.name();
  r.duration_ns = p.duration();
  r.shard_group_duration_ns = p.shardgroupduration();
  r.replica_n = p.replican();
  for (const auto& g : p.shardgroups()) r.shard_groups.push_back(from_pb(g));
  for (const auto& s : p.subscriptions()) {
    r.subscriptions.push_back({s.name(), s.mode(), {s.destinations().begin(), s.destinations().end()}});
  }
  return r;
}

DatabaseInfo from_pb(const pb::DatabaseInfo& p) {
  DatabaseInfo d;
  d.name = p.name();
  d.default_retention_policy = p.defaultretentionpolicy();
  for (const auto& r : p.retentionpolicies()) d.retention_policies.push_back(from_pb(r));
  for (const auto& c : p.continuousqueries()) d.continuous_queries.push_back({c.name(), c.query()});
  return d;
}

UserInfo from_pb(const pb::UserInfo& p) {
  UserInfo u;
  u.name = p.name();
  u.hash = p.hash();
  u.admin = p.admin();
  for (const auto& pr : p.privileges()) {
    u.privileges.push_back({pr.database(), static_cast<Privilege>(pr.privilege())});
  }
  return u;
}

// ---------------------------------------------------------------------------------------------
// model -> protobuf. Setting every required field makes protobuf emit it even when zero, which
// is what gogo does (§5.1); optional TruncatedAt is set only when non-zero.

void to_pb(const ShardGroupInfo& g, pb::ShardGroupInfo* p) {
  p->set_id(g.id);
  p->set_starttime(g.start_ns);
  p->set_endtime(g.end_ns);
  p->set_deletedat(g.deleted_at_ns);
  for (const auto& s : g.shards) {
    auto* ps = p->add_shards();
    ps->set_id(s.id);
    for (auto owner : s.owners) ps->add_owners()->set_nodeid(owner);
  }
  if (g.truncated_at_ns != 0) p->set_truncatedat(g.truncated_at_ns);
}

void to_pb(const RetentionPolicyInfo& r, pb::RetentionPolicyInfo* p) {
  p->set_name(r.name);
  p->set_duration(r.duration_ns);
  p->set_shardgroupduration(r.shard_group_duration_ns);
  p->set_replican(r.replica_n);
  for (const auto& g : r.shard_groups) to_pb(g, p->add_shardgroups());
  for (const auto& s : r.subscriptions) {
    auto* ps = p->add_subscriptions();
    ps->set_name(s.name);
    ps->set_mode(s.mode);
    for (const auto& dst : s.destinations) ps->add_destinations(dst);
  }
}

void to_pb(const DatabaseInfo& d, pb::DatabaseInfo* p) {
  p->set_name(d.name);
  p->set_defaultretentionpolicy(d.default_retention_policy);
  for (const auto& r : d.retention_policies) to_pb(r, p->add_retentionpolicies());
  for (const auto& c : d.continuous_queries) {
    auto* pc = p->add_continuousqueries();
    pc->set_name(c.name);
    pc->set_query(c.query);
  }
}

void to_pb(const UserInfo& u, pb::UserInfo* p) {
  p->set_name(u.name);
  p->set_hash(u.hash);
  p->set_admin(u.admin);
  for (const auto& pr : u.privileges) {
    auto* pp = p->add_privileges();
    pp->set_database(pr.database);
    pp->set_privilege(static_cast<std::int32_t>(pr.privilege));
  }
}

}  // namespace

Result<MetaData> decode_meta_data(std::span<const std::uint8_t> blob) {
  if (blob.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return fail(ErrorCode::meta_invalid,
                fmt::format("meta.Data blob of {} bytes is larger than protobuf can parse (2 GiB)", blob.size()));
  }
  pb::Data p;
  const bool parsed = p.ParsePartialFromArray(blob.data(), static_cast<int>(blob.size()));
  if (!parsed || !p.IsInitialized()) {
    WireWalker walker(blob);
    walker.walk(pb::Data::descriptor(), 0, blob.size(), "", 0);
    if (!parsed) {
      if (walker.fatal) {
        return fail(ErrorCode::meta_invalid,
                    fmt::format("meta.Data blob of {} bytes is damaged: {}", blob.size(), walker.fatal->message),
                    walker.fatal->offset);
      }
      return fail(ErrorCode::meta_invalid, fmt::format("meta.Data blob of {} bytes is not a valid protobuf message "
                                                       "(nested too deeply or malformed)",
                                                       blob.size()));
    }
    // Go's gogo/protobuf decoder (table_unmarshal.go) also rejects a missing required field.
    std::string msg = fmt::format("meta.Data blob lacks required field(s): {}", p.InitializationErrorString());
    std::optional<std::uint64_t> offset;
    if (walker.mismatch) {
      msg += fmt::format(" (probably because {})", walker.mismatch->message);
      offset = walker.mismatch->offset;
    }
    return fail(ErrorCode::meta_invalid, msg, offset);
  }

  MetaData d;
  d.term = p.term();
  d.index = p.index();
  d.cluster_id = p.clusterid();
  d.max_node_id = p.maxnodeid();
  d.max_shard_group_id = p.maxshardgroupid();
  d.max_shard_id = p.maxshardid();
  for (const auto& db : p.databases()) d.databases.push_back(from_pb(db));
  for (const auto& u : p.users()) d.users.push_back(from_pb(u));
  return d;
}

Result<MetaData> decode_meta_data(std::string_view blob) {
  return decode_meta_data(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(blob.data()), blob.size()));
}

std::string encode_meta_data(const MetaData& d) {
  pb::Data p;
  p.set_term(d.term);
  p.set_index(d.index);
  p.set_clusterid(d.cluster_id);
  for (const auto& db : d.databases) to_pb(db, p.add_databases());
  for (const auto& u : d.users) to_pb(u, p.add_users());
  p.set_maxnodeid(d.max_node_id);
  p.set_maxshardgroupid(d.max_shard_group_id);
  p.set_maxshardid(d.max_shard_id);
  std::string out;
  // Every required field is set above, so this cannot fail; SerializePartial avoids protobuf's
  // own logging path just in case.
  p.SerializePartialToString(&out);
  return out;
}

const DatabaseInfo* find_database(const MetaData& data, std::string_view name) {
  for (const auto& db : data.databases) {
    if (db.name == name) return &db;
  }
  return nullptr;
}

const RetentionPolicyInfo* find_retention_policy(const DatabaseInfo& db, std::string_view name) {
  for (const auto& rp : db.retention_policies) {
    if (rp.name == name) return &rp;
  }
  return nullptr;
}

const RetentionPolicyInfo* find_retention_policy(const MetaData& data, std::string_view db, std::string_view rp) {
  const DatabaseInfo* d = find_database(data, db);
  return d ? find_retention_policy(*d, rp) : nullptr;
}

std::optional<ShardLocation> find_shard(const MetaData& data, std::uint64_t shard_id) {
  for (const auto& db : data.databases) {
    for (const auto& rp : db.retention_policies) {
      for (const auto& g : rp.shard_groups) {
        for (const auto& s : g.shards) {
          if (s.id == shard_id) return ShardLocation{&db, &rp, &g, &s};
        }
      }
    }
  }
  return std::nullopt;
}

std::string privilege_name(Privilege p) {
  switch (p) {
    case Privilege::None:
      return "NO PRIVILEGES";
    case Privilege::Read:
      return "READ";
    case Privilege::Write:
      return "WRITE";
    case Privilege::All:
      return "ALL";
  }
  return fmt::format("UNKNOWN({})", static_cast<std::int32_t>(p));
}

}  // namespace ifx::meta
