// ifx-prune's two outputs: JSON for scripts, lines for people.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/human.hpp"
#include "ifx-prune/prune.hpp"
#include "ifx/format/text/rfc3339.hpp"

namespace ifx::prune {

nlohmann::ordered_json to_json(const Report& r) {
  using json = nlohmann::ordered_json;
  json snapshots = json::array();
  for (const auto& s : r.snapshots)
    snapshots.push_back({{"base", s.base},
                         {"time", text::format_rfc3339_nano(s.time_ns)},
                         {"keep", s.keep},
                         {"reasons", s.reasons},
                         {"freed_bytes", s.freed_bytes}});
  return json{{"repository", r.options.repo.string()},
              {"backup_path", r.options.repo.string()},
              {"dry_run", r.options.dry_run},
              {"snapshots", snapshots},
              {"kept", r.snapshots.size() - r.removed()},
              {"removed", r.removed()},
              {"freed_bytes", r.freed_bytes},
              {"notes", r.notes}};
}

std::string to_text(const Report& r) {
  std::string out;
  cli::Table t({"snapshot", "", "kept by", "frees"}, {false, false, false, true});
  for (const auto& s : r.snapshots)
    t.add_row({s.base, s.keep ? "keep" : (r.options.dry_run ? "would remove" : "removed"),
               fmt::format("{}", fmt::join(s.reasons, ", ")), s.keep ? "" : cli::format_bytes(s.freed_bytes)});
  if (!t.empty()) out += t.render();
  for (const auto& n : r.notes) out += "note: " + n + "\n";
  out += fmt::format("{} snapshot{} {}, {} kept, {} {}\n", r.removed(), r.removed() == 1 ? "" : "s",
                     r.options.dry_run ? "would be removed" : "removed", r.snapshots.size() - r.removed(),
                     cli::format_bytes(r.freed_bytes), r.options.dry_run ? "would be freed" : "freed");
  return out;
}

}  // namespace ifx::prune
