#include "ifx/net/snapshot/request.hpp"

#include <fmt/format.h>

#include <iterator>

#include "ifx/format/text/go_json.hpp"

namespace ifx::net {

std::string encode_request_json(const Request& r) {
  // docs/FORMATS.md §1.4: Go field order, all ten keys, no spaces; strings and times as
  // encoding/json writes them.
  std::string out;
  const auto key = [&](std::string_view name) {
    out.push_back(out.empty() ? '{' : ',');
    text::append_go_json_string(out, name);
    out.push_back(':');
  };
  const auto number = [&](std::string_view name, std::uint64_t v) {
    key(name);
    fmt::format_to(std::back_inserter(out), "{}", v);
  };
  const auto string = [&](std::string_view name, std::string_view v) {
    key(name);
    text::append_go_json_string(out, v);
  };
  const auto type = static_cast<unsigned>(r.type);
  number("Type", type <= static_cast<unsigned>(RequestType::ShardUpdate) ? type : 0);
  string("BackupDatabase", r.backup_database);
  string("RestoreDatabase", r.restore_database);
  string("BackupRetentionPolicy", r.backup_retention_policy);
  string("RestoreRetentionPolicy", r.restore_retention_policy);
  number("ShardID", r.shard_id);
  string("Since", r.since.rfc3339());
  string("ExportStart", r.export_start.rfc3339());
  string("ExportEnd", r.export_end.rfc3339());
  number("UploadSize", r.type == RequestType::MetaStoreUpdate ? r.payload.size() : 0);
  out.push_back('}');
  return out;
}

std::string encode_request_head(const Request& r) {
  std::string out;
  out += static_cast<char>(r.type);
  if (r.type == RequestType::ShardUpdate) {
    // §1.2: no JSON, the new shard ID as u64 big-endian.
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((r.shard_id >> shift) & 0xFF);
    return out;
  }
  out += encode_request_json(r);
  out += '\n';  // §1.5: exactly one separator byte before any payload
  return out;
}

std::string encode_request(const Request& r) {
  std::string out = encode_request_head(r);
  if (r.type == RequestType::MetaStoreUpdate) out.append(r.payload);
  return out;
}

}  // namespace ifx::net
