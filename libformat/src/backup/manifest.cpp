// Portable manifest JSON (docs/FORMATS.md §3.4) read and written with Go encoding/json semantics,
// and the multi-manifest loader (§3.6).
#include "ifx/format/backup/manifest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <sstream>

#include "ifx/format/text/go_json.hpp"
#include "ifx/format/text/utf8.hpp"

namespace ifx {
namespace {

using ojson = nlohmann::ordered_json;

// Go's decoder turns each invalid byte into U+FFFD; nlohmann would reject the text instead, so
// the replacement is done up front. `inserted_at` records where (to map offsets back).
std::string replace_invalid_utf8(std::string_view s, std::vector<std::size_t>& inserted_at) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = text::decode_rune(s, i).length;
    if (n == 0) {
      inserted_at.push_back(out.size());
      out += text::kReplacementCharacter;
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Go-compatible output (encoding/json, escapeHTML on, MarshalIndent with "  ").

void newline(std::string& out, int depth) {
  out += '\n';
  out.append(static_cast<std::size_t>(depth) * 2, ' ');
}

void append_go_value(std::string& out, const ojson& v, int depth) {
  switch (v.type()) {
    case ojson::value_t::null:
      out += "null";
      break;
    case ojson::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      break;
    case ojson::value_t::number_integer:
      out += fmt::format("{}", v.get<std::int64_t>());
      break;
    case ojson::value_t::number_unsigned:
      out += fmt::format("{}", v.get<std::uint64_t>());
      break;
    case ojson::value_t::number_float:
      text::append_go_json_float(out, v.get<double>());
      break;
    case ojson::value_t::string:
      text::append_go_json_string(out, v.get_ref<const std::string&>());
      break;
    case ojson::value_t::array: {
      if (v.empty()) {
        out += "[]";
        break;
      }
      out += '[';
      bool first = true;
      for (const auto& item : v) {
        if (!first) out += ',';
        first = false;
        newline(out, depth + 1);
        append_go_value(out, item, depth + 1);
      }
      newline(out, depth);
      out += ']';
      break;
    }
    case ojson::value_t::object: {
      if (v.empty()) {
        out += "{}";
        break;
      }
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.items()) {
        if (!first) out += ',';
        first = false;
        newline(out, depth + 1);
        text::append_go_json_string(out, key);
        out += ": ";
        append_go_value(out, item, depth + 1);
      }
      newline(out, depth);
      out += '}';
      break;
    }
    default:
      out += "null";
      break;  // binary/discarded never come from JSON text
  }
}

// Writes the members of one object: `fields` already rendered, then `extra`.
class ObjectWriter {
 public:
  ObjectWriter(std::string& out, int depth) : out_(out), depth_(depth) { out_ += '{'; }
  void key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    newline(out_, depth_ + 1);
    text::append_go_json_string(out_, k);
    out_ += ": ";
  }
  void field(std::string_view k, std::string_view rendered) {
    key(k);
    out_ += rendered;
  }
  void string_field(std::string_view k, std::string_view s) {
    key(k);
    text::append_go_json_string(out_, s);
  }
  void extras(const ojson& extra) {
    if (!extra.is_object()) return;
    for (const auto& [k, v] : extra.items()) {
      key(k);
      append_go_value(out_, v, depth_ + 1);
    }
  }
  void close() {
    if (first_) {
      out_ += '}';
      return;
    }
    newline(out_, depth_);
    out_ += '}';
  }

 private:
  std::string& out_;
  int depth_;
  bool first_ = true;
};

// ---------------------------------------------------------------------------------------------
// Go-compatible decoding into the model.

// Go's encoding/json matches an object key to a struct field with bytes.EqualFold-like folding;
// the only non-ASCII runes that fold onto ASCII letters are U+017F (ſ → s) and U+212A (K → k).
std::string fold_key(std::string_view k) {
  std::string out;
  for (std::size_t i = 0; i < k.size(); ++i) {
    const auto c = static_cast<unsigned char>(k[i]);
    if (c == 0xc5 && i + 1 < k.size() && static_cast<unsigned char>(k[i + 1]) == 0xbf) {
      out += 's';
      ++i;
    } else if (c == 0xe2 && i + 2 < k.size() && static_cast<unsigned char>(k[i + 1]) == 0x84 &&
               static_cast<unsigned char>(k[i + 2]) == 0xaa) {
      out += 'k';
      i += 2;
    } else {
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
  }
  return out;
}

std::string shown(const ojson& v) {
  std::string s = v.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

const char* kind(const ojson& v) {
  switch (v.type()) {
    case ojson::value_t::null:
      return "null";
    case ojson::value_t::boolean:
      return "a boolean";
    case ojson::value_t::string:
      return "a string";
    case ojson::value_t::array:
      return "an array";
    case ojson::value_t::object:
      return "an object";
    default:
      return "a number";
  }
}

std::unexpected<Error> type_error(const std::string& path, const char* expected, const ojson& v) {
  return fail(ErrorCode::manifest_invalid,
              fmt::format("{}: expected {}, found {}", path, expected,
                          v.is_number() || v.is_string() || v.is_boolean() ? shown(v) : kind(v)));
}

// Each `read_value` leaves the target unchanged on null, as Go does for non-pointer, non-slice
// types.
Result<void> read_value(const ojson& v, const std::string& path, std::string& dst) {
  if (v.is_null()) return {};
  if (!v.is_string()) return type_error(path, "a string", v);
  dst = v.get<std::string>();
  return {};
}

Result<void> read_value(const ojson& v, const std::string& path, bool& dst) {
  if (v.is_null()) return {};
  if (!v.is_boolean()) return type_error(path, "true or false", v);
  dst = v.get<bool>();
  return {};
}

Result<void> read_value(const ojson& v, const std::string& path, std::int64_t& dst) {
  if (v.is_null()) return {};
  if (v.is_number_unsigned()) {
    if (v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return type_error(path, "an integer that fits in int64", v);
    dst = static_cast<std::int64_t>(v.get<std::uint64_t>());
    return {};
  }
  if (v.is_number_integer()) {
    dst = v.get<std::int64_t>();
    return {};
  }
  // Go's strconv.ParseInt rejects "1.0" and "1e3" too.
  return type_error(path, "an integer", v);
}

Result<void> read_value(const ojson& v, const std::string& path, std::uint64_t& dst) {
  if (v.is_null()) return {};
  if (!v.is_number_unsigned()) return type_error(path, "an unsigned integer", v);
  dst = v.get<std::uint64_t>();
  return {};
}

// One field of a Go struct: its key as fold_key gives it, and how its value is read.
struct FieldReader {
  std::string_view folded_key;
  std::function<Result<void>(const ojson& value, const std::string& path)> read;
};

template <class T>
FieldReader field(std::string_view folded_key, T& dst) {
  return {folded_key, [&dst](const ojson& v, const std::string& path) { return read_value(v, path, dst); }};
}

// A JSON object decoded as encoding/json decodes it into a struct: keys matched by fold_key, a
// later duplicate winning, unknown keys kept in `extra` in file order. Paths in errors are
// `prefix.key` (or `key` at the top).
Result<void> read_fields(const ojson& object, const std::string& prefix, ojson& extra,
                         std::initializer_list<FieldReader> fields) {
  for (const auto& [key, val] : object.items()) {
    const std::string k = fold_key(key);
    auto f = std::find_if(fields.begin(), fields.end(), [&](const FieldReader& r) { return r.folded_key == k; });
    if (f == fields.end()) {
      extra[key] = val;
      continue;
    }
    if (auto r = f->read(val, prefix.empty() ? key : prefix + "." + key); !r) return r;
  }
  return {};
}

Result<void> read_meta(const ojson& v, const std::string& path, PortableManifest::MetaEntry& m) {
  if (v.is_null()) return {};
  if (!v.is_object()) return type_error(path, "an object", v);
  return read_fields(v, path, m.extra, {field("filename", m.file_name), field("size", m.size)});
}

Result<void> read_entry(const ojson& v, const std::string& path, PortableManifest::ShardFileEntry& e) {
  if (v.is_null()) return {};
  if (!v.is_object()) return type_error(path, "an object", v);
  return read_fields(v, path, e.extra,
                     {field("database", e.database), field("policy", e.policy), field("shardid", e.shard_id),
                      field("filename", e.file_name), field("size", e.size), field("lastmodified", e.last_modified)});
}

Result<void> read_files(const ojson& v, std::vector<PortableManifest::ShardFileEntry>& files) {
  files.clear();  // Go: null sets a slice to nil, an array replaces it
  if (v.is_null()) return {};
  if (!v.is_array()) return type_error("files", "an array or null", v);
  files.resize(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (auto r = read_entry(v[i], fmt::format("files[{}]", i), files[i]); !r) return r;
  }
  return {};
}

Result<PortableManifest> from_json(const ojson& root) {
  PortableManifest m;
  if (root.is_null()) return m;  // Go: decoding null into a struct is a no-op
  if (!root.is_object()) {
    return fail(ErrorCode::manifest_invalid, fmt::format("manifest must be a JSON object, found {}", kind(root)), 0);
  }
  auto r = read_fields(root, "", m.extra,
                       {{"meta", [&](const ojson& v, const std::string& path) { return read_meta(v, path, m.meta); }},
                        field("limited", m.limited),
                        {"files", [&](const ojson& v, const std::string&) { return read_files(v, m.files); }},
                        field("database", m.database),
                        field("policy", m.policy),
                        field("shard_id", m.shard_id)});
  if (!r) return std::unexpected(r.error());
  return m;
}

}  // namespace

Result<PortableManifest> parse_manifest(std::string_view text) {
  std::vector<std::size_t> inserted_at;
  const std::string clean = replace_invalid_utf8(text, inserted_at);
  ojson root;
  try {
    root = ojson::parse(clean);
  } catch (const ojson::parse_error& e) {
    // Map the position in `clean` back to the original text.
    std::uint64_t at = e.byte > 0 ? e.byte - 1 : 0;
    const auto before = static_cast<std::uint64_t>(std::lower_bound(inserted_at.begin(), inserted_at.end(), at) -
                                                   inserted_at.begin());
    at -= std::min(at, before * 2);
    std::string what = e.what();
    if (auto pos = what.find("] "); pos != std::string::npos) what.erase(0, pos + 2);
    return fail(ErrorCode::manifest_invalid, fmt::format("manifest is not valid JSON: {}", what), at);
  } catch (const std::exception& e) {
    return fail(ErrorCode::manifest_invalid, fmt::format("manifest is not valid JSON: {}", e.what()));
  }
  return from_json(root);
}

Result<PortableManifest> read_manifest_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(Error{ErrorCode::io, "cannot open manifest file for reading", path.string()});
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return std::unexpected(Error{ErrorCode::io, "cannot read manifest file", path.string()});
  }
  auto m = parse_manifest(text.str());
  if (!m) return std::unexpected(std::move(m.error()).in_file(path.string()));
  return m;
}

std::string write_manifest(const PortableManifest& m) {
  std::string out;
  ObjectWriter top(out, 0);

  top.key("meta");
  ObjectWriter meta(out, 1);
  meta.string_field("fileName", m.meta.file_name);
  meta.field("size", fmt::format("{}", m.meta.size));
  meta.extras(m.meta.extra);
  meta.close();

  top.field("limited", m.limited ? "true" : "false");

  top.key("files");
  if (m.files.empty()) {
    out += "null";
  } else {
    out += '[';
    bool first = true;
    for (const auto& f : m.files) {
      if (!first) out += ',';
      first = false;
      newline(out, 2);
      ObjectWriter entry(out, 2);
      entry.string_field("database", f.database);
      entry.string_field("policy", f.policy);
      entry.field("shardID", fmt::format("{}", f.shard_id));
      entry.string_field("fileName", f.file_name);
      entry.field("size", fmt::format("{}", f.size));
      entry.field("lastModified", fmt::format("{}", f.last_modified));
      entry.extras(f.extra);
      entry.close();
    }
    newline(out, 1);
    out += ']';
  }

  // Go's `omitempty` on the Enterprise keys.
  if (!m.database.empty()) top.string_field("database", m.database);
  if (!m.policy.empty()) top.string_field("policy", m.policy);
  if (m.shard_id != 0) top.field("shard_id", fmt::format("{}", m.shard_id));
  top.extras(m.extra);
  top.close();
  return out;
}

// ---------------------------------------------------------------------------------------------
// docs/FORMATS.md §3.6

ManifestChain merge_manifest_chain(std::vector<std::pair<std::string, PortableManifest>> manifests,
                                   const std::function<bool(const std::string&)>& exists) {
  // Oldest first: base names are UTC timestamps, so byte order is time order.
  std::stable_sort(manifests.begin(), manifests.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

  ManifestChain chain;
  for (auto it = manifests.rbegin(); it != manifests.rend(); ++it) {
    if (!it->second.meta.file_name.empty()) {
      chain.meta = it->second.meta;
      chain.meta_manifest = it->first;
      break;
    }
  }

  // Ask `exists` once per entry.
  std::vector<std::vector<bool>> present(manifests.size());
  for (std::size_t m = 0; m < manifests.size(); ++m) {
    const auto& [name, manifest] = manifests[m];
    for (const auto& entry : manifest.files) {
      const bool here = exists(entry.file_name);
      present[m].push_back(here);
      if (!here) {
        chain.missing.push_back({name, entry});
        continue;
      }
      auto& files = chain.shards[entry.shard_id].files;
      const bool listed = std::any_of(files.begin(), files.end(),
                                      [&](const auto& f) { return f.entry.file_name == entry.file_name; });
      if (!listed) files.push_back({name, entry});
    }
  }

  // What LoadIncremental keeps: walking manifests newest first and each manifest's entries in
  // order, the first existing entry wins unless a later one has a strictly greater lastModified.
  std::map<std::uint64_t, const PortableManifest::ShardFileEntry*> chosen;
  for (std::size_t m = manifests.size(); m-- > 0;) {
    const auto& files = manifests[m].second.files;
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (!present[m][i]) continue;
      auto [it, fresh] = chosen.try_emplace(files[i].shard_id, &files[i]);
      if (!fresh && files[i].last_modified > it->second->last_modified) it->second = &files[i];
    }
  }
  for (auto& [id, shard] : chain.shards) {
    const auto& name = chosen.at(id)->file_name;
    for (std::size_t i = 0; i < shard.files.size(); ++i) {
      if (shard.files[i].entry.file_name == name) {
        shard.influxd_choice = i;
        break;
      }
    }
  }
  return chain;
}

}  // namespace ifx
