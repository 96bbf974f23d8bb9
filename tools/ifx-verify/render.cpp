// ifx-verify's two outputs: the JSON of its documented schema, and lines for people.
#include <fmt/format.h>

#include "common/human.hpp"
#include "common/json_output.hpp"
#include "ifx-verify/verify.hpp"

namespace ifx::verify {

int exit_code(const check::BackupCheckReport& r) {
  if (r.incomplete()) return 2;
  return r.valid() ? 0 : 1;
}

nlohmann::ordered_json to_json(const check::BackupCheckReport& r) {
  using json = nlohmann::ordered_json;
  json defects = json::array();
  for (const auto& d : r.defects) defects.push_back(cli::error_json(d));
  const check::Checked& c = r.checked;
  return json{{"valid", r.valid()},
              {"backup", r.options.backup_dir.string()},
              {"checked",
               {{"files", c.files},
                {"archives", c.archives},
                {"tsm_files", c.tsm_files},
                {"blocks", c.blocks},
                {"points", c.points},
                {"bytes", c.bytes}}},
              {"defects", defects}};
}

std::string to_text(const check::BackupCheckReport& r) {
  std::string out = fmt::format("Backup {}{}\n", r.options.backup_dir.string(), r.options.quick ? " (--quick)" : "");
  for (const auto& d : r.defects) {
    std::string where = d.file.empty() ? std::string("(backup)") : d.file;
    if (!d.entry.empty()) where += ": " + d.entry;
    if (d.offset) where += fmt::format(" @ {}", *d.offset);
    out += fmt::format("  DEFECT {:<18} {}: {}\n", d.code, where, d.message);
  }
  for (const auto& n : r.notes) out += fmt::format("  note: {}\n", n);
  const check::Checked& c = r.checked;
  out += fmt::format("Checked {} files, {} archives, {} TSM files, {} blocks, {} points, {}\n", c.files, c.archives,
                     c.tsm_files, c.blocks, r.options.quick ? std::string("(not decoded)") : std::to_string(c.points),
                     cli::format_bytes(c.bytes));
  if (r.valid()) out += "VALID: every byte read, no defect found\n";
  else out += fmt::format("INVALID: {} defect{} found\n", r.defects.size(), r.defects.size() == 1 ? "" : "s");
  return out;
}

}  // namespace ifx::verify
