// ifx-convert's report for people (tables, KiB/MiB) and for scripts (--json, schema in convert.hpp).
#include <fmt/format.h>

#include "common/human.hpp"
#include "common/json_output.hpp"
#include "ifx-convert/convert.hpp"

namespace ifx::convert {

nlohmann::ordered_json to_json(const Report& r) {
  using json = nlohmann::ordered_json;
  json shards = json::array();
  for (const auto& s : r.shards)
    shards.push_back({{"database", s.database},
                      {"retention_policy", s.retention_policy},
                      {"shard_id", s.shard_id},
                      {"file", s.file},
                      {"source_archives", s.source_archives},
                      {"entries", s.entries},
                      {"tsm_files", s.tsm_files},
                      {"tombstones", s.tombstones},
                      {"tar_bytes", s.tar_bytes},
                      {"file_bytes", s.file_bytes}});
  json skipped = json::array();
  for (const auto& s : r.skipped) {
    json defects = json::array();
    for (const auto& e : s.defects) defects.push_back(cli::error_json(e));
    skipped.push_back({{"database", s.database},
                       {"retention_policy", s.retention_policy},
                       {"shard_id", s.shard_id},
                       {"defects", defects}});
  }
  json tolerated = json::array();
  for (const auto& e : r.tolerated_defects) tolerated.push_back(cli::error_json(e));
  return {{"converted", true},
          {"source", r.source_dir.string()},
          {"backup_path", r.source_dir.string()},
          {"source_format", to_string(r.source_format)},
          {"destination", r.dest_dir.string()},
          {"format", to_string(r.target)},
          {"meta_file", r.meta_file},
          {"manifest_file", r.manifest_file.empty() ? json(nullptr) : json(r.manifest_file)},
          {"shards", shards},
          {"skipped", skipped},
          {"tolerated_defects", tolerated},
          {"warnings", r.warnings},
          {"checked",
           {{"files", r.checked.files},
            {"archives", r.checked.archives},
            {"tsm_files", r.checked.tsm_files},
            {"blocks", r.checked.blocks},
            {"points", r.checked.points},
            {"bytes", r.checked.bytes}}},
          {"bytes_written", r.bytes_written},
          {"seconds", r.seconds},
          {"elapsed_ms", static_cast<std::int64_t>(r.seconds * 1000)},
          {"exit_code", r.exit_code()}};
}

std::string to_text(const Report& r) {
  std::string out = fmt::format("{} backup {} -> {} backup {}\n", to_string(r.source_format), r.source_dir.string(),
                                to_string(r.target), r.dest_dir.string());
  out += fmt::format("meta: {}{}\n", r.meta_file, r.manifest_file.empty() ? "" : ", manifest: " + r.manifest_file);
  if (!r.shards.empty()) {
    cli::Table t({"database", "rp", "shard", "archives", "files", "tar", "written", "file"},
                 {false, false, true, true, true, true, true, false});
    for (const auto& s : r.shards)
      t.add_row({s.database, s.retention_policy, std::to_string(s.shard_id), std::to_string(s.source_archives),
                 std::to_string(s.entries), cli::format_bytes(s.tar_bytes), cli::format_bytes(s.file_bytes), s.file});
    out += t.render("  ");
  }
  for (const auto& s : r.skipped) {
    out += fmt::format("SKIPPED shard {} ({}/{}): {} defect{}\n", s.shard_id, s.database, s.retention_policy,
                       s.defects.size(), s.defects.size() == 1 ? "" : "s");
    for (const auto& e : s.defects) out += fmt::format("  {} [{}]\n", e.describe(), e.code);
  }
  for (const auto& e : r.tolerated_defects)
    out += fmt::format("tolerated (--skip-errors): {} [{}]\n", e.describe(), e.code);
  for (const auto& w : r.warnings) out += fmt::format("warning: {}\n", w);
  out += fmt::format("checked {} archives, {} TSM files, {} blocks, {} values; read {}, wrote {} in {:.1f} s\n",
                     r.checked.archives, r.checked.tsm_files, r.checked.blocks, r.checked.points,
                     cli::format_bytes(r.checked.bytes), cli::format_bytes(r.bytes_written), r.seconds);
  out += r.exit_code() == 0
             ? "converted\n"
             : fmt::format("converted with {} shard{} skipped\n", r.skipped.size(), r.skipped.size() == 1 ? "" : "s");
  return out;
}

}  // namespace ifx::convert
