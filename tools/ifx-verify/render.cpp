// ifx-verify's two outputs: the JSON of its documented schema, and lines for people.
#include <fmt/format.h>

#include "common/human.hpp"
#include "common/json_output.hpp"
#include "ifx-verify/verify.hpp"

namespace ifx::verify {

namespace {

using json = nlohmann::ordered_json;

json checked_json(const check::Checked& c) {
  return json{{"files", c.files},   {"archives", c.archives}, {"tsm_files", c.tsm_files},
              {"blocks", c.blocks}, {"points", c.points},     {"bytes", c.bytes}};
}

json defects_json(const std::vector<Error>& defects) {
  json out = json::array();
  for (const auto& d : defects) out.push_back(cli::error_json(d));
  return out;
}

std::string defect_lines(const std::vector<Error>& defects, const std::vector<std::string>& warnings,
                         const std::vector<std::string>& notes, std::string_view nameless) {
  std::string out;
  for (const auto& d : defects) {
    std::string where = d.file.empty() ? std::string(nameless) : d.file;
    if (!d.entry.empty()) where += ": " + d.entry;
    if (d.offset) where += fmt::format(" @ {}", *d.offset);
    out += fmt::format("  DEFECT {:<18} {}: {}\n", d.code, where, d.message);
  }
  for (const auto& w : warnings) out += fmt::format("  WARNING: {}\n", w);
  for (const auto& n : notes) out += fmt::format("  note: {}\n", n);
  return out;
}

std::string checked_line(const check::Checked& c, bool quick) {
  return fmt::format("Checked {} files, {} archives, {} TSM files, {} blocks, {} points, {}\n", c.files, c.archives,
                     c.tsm_files, c.blocks, quick ? std::string("(not decoded)") : std::to_string(c.points),
                     cli::format_bytes(c.bytes));
}

// An I/O failure (a file or the scratch space that could not be read or written) says nothing
// about the backup, so the verdict is the exit code's: could not check, not invalid.
std::string verdict(bool valid, bool incomplete, std::size_t defects) {
  if (incomplete)
    return fmt::format("COULD NOT CHECK: an I/O error kept part of the backup from being read ({} problem{} above)\n",
                       defects, defects == 1 ? "" : "s");
  if (valid) return "VALID: every byte read, no defect found\n";
  return fmt::format("INVALID: {} defect{} found\n", defects, defects == 1 ? "" : "s");
}

}  // namespace

int exit_code(const check::BackupCheckReport& r) {
  if (r.incomplete()) return 2;
  return r.valid() ? 0 : 1;
}

json to_json(const check::BackupCheckReport& r) {
  return json{{"valid", r.valid()},
              {"backup", r.options.backup_dir.string()},
              {"backup_path", r.options.backup_dir.string()},
              {"checked", checked_json(r.checked)},
              {"defects", defects_json(r.defects)},
              {"warnings", r.warnings}};
}

std::string to_text(const check::BackupCheckReport& r) {
  std::string out = fmt::format("Backup {}{}\n", r.options.backup_dir.string(), r.options.quick ? " (--quick)" : "");
  out += defect_lines(r.defects, r.warnings, r.notes, "(backup)");
  out += checked_line(r.checked, r.options.quick);
  return out + verdict(r.valid(), r.incomplete(), r.defects.size());
}

int exit_code(const check::RepositoryCheckReport& r) {
  if (r.incomplete()) return 2;
  return r.valid() ? 0 : 1;
}

json to_json(const check::RepositoryCheckReport& r) {
  json snapshots = json::array();
  for (const auto& s : r.snapshots) {
    json one{{"snapshot", s.snapshot.base}};
    one.update(to_json(s.report));
    if (!s.report.notes.empty()) one["notes"] = s.report.notes;
    snapshots.push_back(std::move(one));
  }
  return json{{"valid", r.valid()},
              {"repository", r.options.repository_dir.string()},
              {"backup_path", r.options.repository_dir.string()},
              {"checked", checked_json(r.checked())},
              {"reads_skipped", r.reads_skipped},
              {"bytes_skipped", r.bytes_skipped},
              {"defects", defects_json(r.defects)},
              {"notes", r.notes},
              {"snapshots", snapshots}};
}

std::string to_text(const check::RepositoryCheckReport& r) {
  std::string out = fmt::format("Repository {}{}{}\n", r.options.repository_dir.string(),
                                r.options.latest_only ? " (--latest)" : "", r.options.backup.quick ? " (--quick)" : "");
  out += defect_lines(r.defects, {}, r.notes, "(repository)");
  for (const auto& s : r.snapshots) {
    out += fmt::format("Snapshot {}: {}\n", s.snapshot.base,
                       s.report.valid() ? "valid"
                                        : fmt::format("{} defect{}", s.report.defects.size(),
                                                      s.report.defects.size() == 1 ? "" : "s"));
    out += defect_lines(s.report.defects, s.report.warnings, s.report.notes, "(backup)");
  }
  out += checked_line(r.checked(), r.options.backup.quick);
  if (r.reads_skipped)
    out += fmt::format("Files shared by hard link, read once: {} read{} ({}) skipped\n", r.reads_skipped,
                       r.reads_skipped == 1 ? "" : "s", cli::format_bytes(r.bytes_skipped));
  return out + verdict(r.valid(), r.incomplete(), r.defect_count());
}

}  // namespace ifx::verify
