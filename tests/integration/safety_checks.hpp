// What "complete" means for a file a tool left behind, checked with libformat's own readers (the
// tools' verdict on their own output is not the judge): a shard archive reads to its
// end-of-archive marker with every gzip/zstd frame intact, a portable meta decodes, a manifest
// parses, a legacy meta.NN decodes, a TSM file passes ifx-verify's TSM check, meta.db decodes.
// A path with a component ending in ".pending" is a declared leftover and exempt.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ifx/format/check/tsm_check.hpp"
#include "ifx/format/backup/manifest.hpp"
#include "ifx/format/meta/meta_store.hpp"
#include "ifx/format/meta/meta_envelope.hpp"
#include "ifx/format/archive/shard_archive.hpp"
#include "support/child_process.hpp"
#include "support/paths.hpp"

namespace ifx::test {

inline bool is_pending_path(const std::filesystem::path& relative) {
  for (const auto& part : relative)
    if (part.string().ends_with(".pending")) return true;
  return false;
}

// Why `path` is not a complete file of its kind, or nullopt when it is (or is of no kind we know).
inline std::optional<std::string> incomplete_because(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  auto archive_problem = [&]() -> std::optional<std::string> {
    auto reader = ShardArchiveReader::open(path);
    if (!reader) return reader.error().describe();
    ArchiveEntry entry;
    for (;;) {  // next() skips the unread data of the previous entry, through the decompressor
      auto more = reader->next(entry);
      if (!more) return more.error().describe();
      if (!*more) return std::nullopt;
    }
  };
  if (name.ends_with(".tar.gz") || name.ends_with(".tar.zst") || name.ends_with(".tar")) return archive_problem();
  if (name.ends_with(".manifest")) {
    auto m = read_manifest_file(path);
    return m ? std::nullopt : std::optional(m.error().describe());
  }
  if (name.ends_with(".meta")) {
    auto blob = meta::parse_portable_meta(read_file(path));
    if (!blob) return blob.error().describe();
    auto data = meta::decode_meta_data(*blob);
    return data ? std::nullopt : std::optional(data.error().describe());
  }
  if (name == "meta.db") {
    auto data = meta::decode_meta_data(read_file(path));
    return data ? std::nullopt : std::optional(data.error().describe());
  }
  if (name.ends_with(".tsm")) {
    check::DefectSink sink(10);
    check::TsmTally tally;
    check::check_tsm_file(path, {path.string(), ""}, true, tally, sink);
    return sink.count() == 0 ? std::nullopt : std::optional(sink.defects().front().describe());
  }
  // Legacy backup names: meta.NN and <db>.<rp>.<id>.<NN> (raw tars).
  if (name.starts_with("meta.") && name.size() == 7) {
    auto m = meta::parse_legacy_meta(read_file(path));
    return m ? std::nullopt : std::optional(m.error().describe());
  }
  return std::nullopt;
}

// Every file below `dir` (outside .pending paths) that is not complete, with the reason.
inline std::vector<std::string> incomplete_files(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const std::string& rel : tree_of(dir)) {  // empty when `dir` does not exist
    std::error_code ec;
    if (is_pending_path(rel) || !std::filesystem::is_regular_file(dir / rel, ec)) continue;
    if (auto why = incomplete_because(dir / rel)) out.push_back(fmt::format("{}: {}", rel, *why));
  }
  return out;
}

// Paths below `dir` with a ".pending" component.
inline std::vector<std::string> pending_leftovers(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const std::string& rel : tree_of(dir))
    if (std::filesystem::path(rel).filename().string().ends_with(".pending")) out.push_back(rel);
  return out;
}

}  // namespace ifx::test
