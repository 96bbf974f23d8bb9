// ifx-verify's operation: open the backup, check the directory as a whole, then every selected
// shard in parallel (one shard per job, spooled to scratch one entry at a time), then what CI
// expects (--max-age, --expect-db). Defects come out in a stable order: directory first, then
// shards in meta order, then the expectations.
#include "ifx-verify/verify.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

#include <fmt/format.h>

#include "ifx-verify/checks.hpp"
#include "ifx/format/backup/manifest.hpp"

namespace ifx::verify {

Checked& Checked::operator+=(const Checked& o) {
  files += o.files;
  archives += o.archives;
  tsm_files += o.tsm_files;
  blocks += o.blocks;
  points += o.points;
  bytes += o.bytes;
  return *this;
}

int Report::exit_code() const {
  if (std::any_of(defects.begin(), defects.end(), [](const Error& e) { return e.code == "io"; })) return 2;
  return defects.empty() ? 0 : 1;
}

namespace detail {

void DefectSink::add(Error e) {
  std::size_t& n = per_entry_[{e.file, e.entry}];
  if (++n > cap_) return;
  defects_.push_back(std::move(e));
}

void DefectSink::finish() {
  for (const auto& [where, n] : per_entry_)
    if (n > cap_)
      note(fmt::format("{}{}{}: {} more defects not listed (only the first {} of one file or entry are)",
                       where.first, where.second.empty() ? "" : ": ", where.second, n - cap_, cap_));
}

Error defect(std::string code, std::string file, std::string entry, std::optional<std::uint64_t> offset,
             std::string message) {
  return Error{std::move(code), std::move(message), std::move(file), std::move(entry), offset};
}

Error relocated(Error e, const EntryOrigin& origin) {
  e.file = origin.file;
  e.entry = origin.entry;
  return e;
}

std::string printable(std::string_view text) {
  constexpr std::size_t kMax = 200;
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  if (text.size() > kMax) out += fmt::format("... ({} bytes)", text.size());
  return out;
}

bool selected(const Options& o, const std::string& db, const std::string& rp, std::uint64_t shard) {
  return (!o.database || *o.database == db) && (!o.retention_policy || *o.retention_policy == rp) &&
         (!o.shard || *o.shard == shard);
}

}  // namespace detail

namespace {

// open_backup_set names the directory itself for directory-wide failures; a defect's `file` is a
// name inside the backup directory, so such paths are shortened to that name (or left empty).
Error inside_backup(Error e, const std::filesystem::path& dir) {
  std::filesystem::path f(e.file);
  if (f == dir || f == dir / "") e.file.clear();
  else if (f.parent_path() == dir) e.file = f.filename().string();
  return e;
}

// When no manifest could be read, open_backup_set says only that; each broken manifest's own
// error (with its JSON offset) says more, so those are the defects.
std::vector<Error> manifest_errors(const std::filesystem::path& dir) {
  std::vector<Error> out;
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().filename().string().ends_with(".manifest")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  for (const auto& name : names)
    if (auto m = read_manifest_file(dir / name); !m) {
      Error e = std::move(m.error());
      e.file = name;
      out.push_back(std::move(e));
    }
  return out;
}

}  // namespace

Result<Report> run(const Options& options) {
  for (const auto& name : options.expect_databases)
    if (options.database && *options.database != name)
      return fail("usage", fmt::format("--expect-db {} lies outside the -db {} filter: that database would not "
                                       "be checked",
                                       name, *options.database));
  std::error_code ec;
  if (!std::filesystem::is_directory(options.backup_dir, ec)) {
    auto e = fail("io", fmt::format("{} is not a directory (expected a backup directory)",
                                    options.backup_dir.string()));
    e.error().file = options.backup_dir.string();
    return e;
  }

  Report report{options, {}, {}, {}};
  auto set = open_backup_set(options.backup_dir);
  if (!set) {  // no usable meta: nothing else can be placed, which is itself the defect
    if (set.error().code == "manifest-invalid") report.defects = manifest_errors(options.backup_dir);
    if (report.defects.empty()) report.defects.push_back(inside_backup(std::move(set.error()), options.backup_dir));
    return report;
  }

  detail::DefectSink backup_sink(options.max_defects_per_entry);
  detail::check_backup_level(*set, options, backup_sink, report.checked);
  backup_sink.finish();

  std::vector<const ShardInBackup*> todo;
  for (const auto& s : set->shards)
    if (detail::selected(options, s.database, s.retention_policy, s.shard_id)) todo.push_back(&s);
  std::vector<detail::ShardOutcome> outcomes(todo.size());
  unsigned jobs = options.jobs ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, static_cast<unsigned>(std::max<std::size_t>(1, todo.size())));
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < todo.size();) outcomes[i] = detail::check_shard(*set, *todo[i], options);
  };
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < jobs; ++i) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();

  report.defects = std::move(backup_sink.defects());
  report.notes = std::move(backup_sink.notes());
  std::map<std::string, std::uint64_t> blocks_per_database;
  for (std::size_t i = 0; i < todo.size(); ++i) {
    auto& out = outcomes[i];
    report.checked += out.checked;
    blocks_per_database[todo[i]->database] += out.data_blocks;
    std::move(out.defects.begin(), out.defects.end(), std::back_inserter(report.defects));
    std::move(out.notes.begin(), out.notes.end(), std::back_inserter(report.notes));
  }

  detail::DefectSink expectations(options.max_defects_per_entry);
  detail::check_expected_databases(*set, options, blocks_per_database, expectations);
  detail::check_freshness(*set, options, expectations);
  std::move(expectations.defects().begin(), expectations.defects().end(), std::back_inserter(report.defects));
  return report;
}

}  // namespace ifx::verify
