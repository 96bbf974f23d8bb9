// Offline legacy restore (docs/FORMATS.md §4.7, §5.4) without influxd's defects: shard directories
// named by the numeric ID (influxd trims '0' from both ends: shard 10 → directory "1"), nothing
// written while an influxd uses the directories, every file written atomically, and whatever is
// replaced moved aside instead of overwritten (shard directories out of the data directory).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/process_using.hpp"
#include "ifx-restore/steps.hpp"
#include "ifx/format/io/atomic_file.hpp"
#include "ifx/format/meta/meta_store.hpp"
#include "ifx/format/shard/shard_files.hpp"

namespace ifx::restore {
namespace fs = std::filesystem;
namespace {

std::string utc_stamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Result<void> fsync_path(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(ErrorCode::io, fmt::format("cannot open {}: {}", p.string(), std::strerror(errno)));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return fail(ErrorCode::io, fmt::format("cannot fsync {}: {}", p.string(), std::strerror(errno)));
  return {};
}

// Files get influxd's usual modes and, when we run as root, the owner of the directory they go
// into (so an influxd running as its own user can still compact and delete them).
void adopt_owner(const fs::path& p, const fs::path& owner_of, mode_t mode) {
  ::chmod(p.c_str(), mode);
  struct stat st {};
  if (::geteuid() == 0 && ::stat(owner_of.c_str(), &st) == 0) (void)::chown(p.c_str(), st.st_uid, st.st_gid);
}

// What this run changed in the directories, so that a failure can put everything back (nothing
// half-restored, e.g. a new meta.db without its shards when the disk fills or a hostile
// archive is met with --verify none). A crash cannot undo; it leaves only .pending leftovers and
// whole files, and the rerun completes.
struct Changes {
  std::vector<fs::path> created_dirs;                      // in creation order
  std::vector<std::pair<fs::path, fs::path>> moved_aside;  // original → aside
  std::vector<fs::path> placed;                            // files / shard directories put in place

  std::string undo() {
    std::error_code ec;
    std::vector<std::string> left;
    for (auto it = placed.rbegin(); it != placed.rend(); ++it)
      if (fs::remove_all(*it, ec) == static_cast<std::uintmax_t>(-1) || ec) left.push_back(it->string());
    for (auto it = moved_aside.rbegin(); it != moved_aside.rend(); ++it) {
      fs::rename(it->second, it->first, ec);
      if (ec) left.push_back(fmt::format("{} (still at {})", it->first.string(), it->second.string()));
    }
    for (auto it = created_dirs.rbegin(); it != created_dirs.rend(); ++it) fs::remove(*it, ec);  // only if empty
    if (placed.empty() && moved_aside.empty() && created_dirs.empty()) return "nothing had been changed";
    if (!left.empty()) return fmt::format("could not undo everything; check {}", fmt::join(left, ", "));
    return "what this run had written was removed and what it had moved aside was put back, so the directories "
           "are as before";
  }
};

Result<void> make_dirs(const fs::path& dir, const fs::path& owner_of, Changes& changes) {
  std::error_code ec;
  fs::path acc;
  for (const auto& part : dir) {
    acc /= part;
    if (fs::exists(acc, ec)) continue;
    if (!fs::create_directory(acc, ec) && ec)
      return fail(ErrorCode::io, fmt::format("cannot create {}: {}", acc.string(), ec.message()));
    changes.created_dirs.push_back(acc);
    adopt_owner(acc, owner_of, 0755);
  }
  return {};
}

// `<path>.ifx-replaced-<stamp>`, or with "-<n>" added when that exists: two restores within one
// second (a rerun after a crash) must not collide, as rename(2) would silently replace an earlier
// moved-aside file and fail on a non-empty directory.
fs::path unused_aside_name(const fs::path& path, const std::string& stamp) {
  fs::path dest = path.string() + ".ifx-replaced-" + stamp;
  std::error_code ec;
  for (int n = 1; fs::exists(fs::symlink_status(dest, ec)); ++n)
    dest = fmt::format("{}.ifx-replaced-{}-{}", path.string(), stamp, n);
  return dest;
}

// Where replaced shard directories go: `<datadir>.ifx-replaced-<stamp>`, beside the data directory
// and so outside what influxd loads, on the same file system (a rename, never a copy). Nothing
// when the data directory is a mount point of its own: then they stay beside the original.
std::optional<fs::path> shard_aside_root(const fs::path& data_dir, const std::string& stamp) {
  fs::path data = fs::absolute(data_dir).lexically_normal();
  if (!data.has_filename()) data = data.parent_path();  // "data/" names "data"
  struct stat here {};
  struct stat above {};
  if (::stat(data.c_str(), &here) != 0 || ::stat(data.parent_path().c_str(), &above) != 0 ||
      here.st_dev != above.st_dev)
    return std::nullopt;
  return unused_aside_name(data, stamp);
}

// Renames `path` to `dest` (which must not exist yet) and records it.
Result<void> move_to(const fs::path& path, const fs::path& dest, Report& report, Changes& changes) {
  std::error_code ec;
  fs::rename(path, dest, ec);
  if (ec)
    return fail(ErrorCode::io,
                fmt::format("cannot move {} aside to {}: {}", path.string(), dest.string(), ec.message()));
  report.moved_aside.push_back(fmt::format("{} → {}", path.string(), dest.string()));
  changes.moved_aside.emplace_back(path, dest);
  return {};
}

// Renames `path` to `<path>.ifx-replaced-<stamp>` beside it: meta.db is the only file of the meta
// directory influxd reads, and a name that is not a number is skipped by its shard loader.
Result<void> move_aside(const fs::path& path, const std::string& stamp, Report& report, Changes& changes) {
  return move_to(path, unused_aside_name(path, stamp), report, changes);
}

// Where this run moves the shard directories it replaces, and how many it moved (for the notes).
struct ShardsAside {
  std::optional<fs::path> root;  // outside the data directory; unset: beside each original
  std::size_t moved = 0;
};

Result<void> restore_meta(const Options& o, const RestorePlan& plan, const std::string& stamp, Report& report,
                          Changes& changes) {
  // §4.7 step 1: the whole meta store is replaced (users and CQs included, as influxd does);
  // the Index is bumped as SetData does (§9) so clients see a change.
  meta::MetaData m = plan.set.meta;
  m.index += 1;
  if (o.new_duration_ns)
    for (auto& db : m.databases)
      if (find_database_plan(plan, db.name))
        for (auto& rp : db.retention_policies) rp.duration_ns = *o.new_duration_ns;
  const std::string blob = meta::encode_meta_data(m);
  if (auto r = make_dirs(o.meta_dir, o.meta_dir.parent_path(), changes); !r) return r;
  ::chmod(o.meta_dir.c_str(), 0700);
  std::error_code ec;
  for (const char* name : {"meta.db", "raft.db", "node.json"})
    if (fs::exists(o.meta_dir / name, ec))
      if (auto r = move_aside(o.meta_dir / name, stamp, report, changes); !r) return r;
  // A meta.db.pending left by a restore that was killed is ours (no influxd uses the directory,
  // checked above): without removing it, AtomicFile's O_EXCL would refuse every rerun.
  fs::remove(o.meta_dir / "meta.db.pending", ec);
  AtomicFileOptions fo;
  fo.mode = 0644;
  fo.replace_existing = true;
  auto f = AtomicFile::create(o.meta_dir / "meta.db", fo);
  if (!f) return std::unexpected(f.error());
  if (auto r = f->write({reinterpret_cast<const std::uint8_t*>(blob.data()), blob.size()}); !r) return r;
  if (auto r = f->commit(); !r) return r;
  changes.placed.push_back(o.meta_dir / "meta.db");
  adopt_owner(o.meta_dir / "meta.db", o.meta_dir, 0644);
  say(o, fmt::format("wrote {} ({} databases, {} users)", (o.meta_dir / "meta.db").string(), m.databases.size(),
                     m.users.size()));
  return {};
}

Result<void> restore_shard(const Options& o, const RestorePlan& plan, const ShardPlan& sp, const std::string& stamp,
                           ShardsAside& aside, Report& report, Changes& changes) {
  const ShardInBackup& s = plan.set.shards[sp.index];
  const fs::path rp_dir = o.data_dir / sp.target_database / sp.target_retention_policy;
  const fs::path target = rp_dir / std::to_string(s.shard_id);  // the numeric ID (§4.7 bug avoided)
  if (auto r = make_dirs(rp_dir, o.data_dir, changes); !r) return r;
  // Unpacked next to its final place (same filesystem), then renamed in one step. The unpacking
  // happens inside `<id>.ifx-restore.pending`: a crash leaves half-written files only below a
  // .pending name (which influxd's shard loader skips: not a number), and the rerun clears it.
  const fs::path staging = rp_dir / (std::to_string(s.shard_id) + ".ifx-restore.pending");
  std::error_code ec;
  fs::remove_all(staging, ec);
  if (!fs::create_directory(staging, ec) && ec)
    return fail(ErrorCode::io, fmt::format("cannot create {}: {}", staging.string(), ec.message()));
  struct RemoveStaging {
    fs::path dir;
    ~RemoveStaging() {
      std::error_code e;
      fs::remove_all(dir, e);
    }
  } remove_staging{staging};
  auto unpacked = UnpackedShard::unpack(plan.set, s, staging);
  if (!unpacked) {
    // The reader names the archive and entry but not where it was writing (a full disk there).
    Error e = unpacked.error();
    if (e.code == ErrorCode::io)
      e.message = fmt::format("{} (unpacking shard {} into {})", e.message, s.shard_id, staging.string());
    return std::unexpected(std::move(e));
  }
  for (const auto& name : unpacked->scan().files) {
    if (auto r = fsync_path(unpacked->dir() / name); !r) return r;
    adopt_owner(unpacked->dir() / name, rp_dir, 0644);
  }
  adopt_owner(unpacked->dir(), rp_dir, 0755);
  if (auto r = fsync_path(unpacked->dir()); !r) return r;
  if (fs::exists(target, ec)) {
    if (aside.root) {
      const fs::path dir = *aside.root / sp.target_database / sp.target_retention_policy;
      if (auto r = make_dirs(dir, o.data_dir, changes); !r) return r;
      if (auto r = move_to(target, dir / std::to_string(s.shard_id), report, changes); !r) return r;
    } else if (auto r = move_aside(target, stamp, report, changes); !r) {
      return r;
    }
    ++aside.moved;
  }
  fs::rename(unpacked->dir(), target, ec);
  if (ec)
    return fail(ErrorCode::io,
                fmt::format("cannot move the restored shard into {}: {}", target.string(), ec.message()));
  changes.placed.push_back(target);
  if (auto r = fsync_dir(rp_dir); !r) return r;
  say(o, fmt::format("restored shard {} into {}", s.shard_id, target.string()));
  // Tombstones stay next to their TSM files here, so the server applies them (§4.7 step 3).
  report.shards.push_back({s.database, s.retention_policy, s.shard_id, sp.target_database, sp.target_retention_policy,
                           s.shard_id, s.archives.size(), unpacked->scan().tsm_files, unpacked->scan().tar_bytes,
                           unpacked->scan().tombstones > 0, unpacked->scan().tombstones > 0, "restored"});
  return {};
}

// The directories of the data directory that are not databases of `meta` (quoted, sorted).
std::vector<std::string> databases_not_in_meta(const fs::path& data_dir, const meta::MetaData& meta) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(data_dir, ec)) {
    std::error_code ec2;
    const std::string name = e.path().filename().string();
    if (e.is_directory(ec2) && !meta::find_database(meta, name)) out.push_back("\"" + name + "\"");
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<void> run_offline(const Options& o, RestorePlan& plan, Report& report) {
  if (auto user = cli::process_using({o.meta_dir, o.data_dir}))
    return fail(ErrorCode::server_running,
                fmt::format("{}: stop influxd before an offline restore (or restore into the "
                            "running server with -portable/-online). Nothing was changed.",
                            *user));
  for (const auto& d : plan.databases) report.databases.push_back(planned_database(plan, d, false));
  if (o.dry_run) {
    record_planned_shards(plan, true, report);
    return {};
  }
  const std::string stamp = utc_stamp();
  Changes changes;
  auto failed = [&](Error e) {
    e.message = fmt::format("{}; {}", e.message, changes.undo());
    report.moved_aside.clear();
    return std::unexpected(std::move(e));
  };
  if (!o.meta_dir.empty())
    if (auto r = restore_meta(o, plan, stamp, report, changes); !r) return failed(r.error());
  ShardsAside aside;
  if (!o.data_dir.empty()) {
    if (auto r = make_dirs(o.data_dir, o.data_dir.parent_path(), changes); !r) return failed(r.error());
    aside.root = shard_aside_root(o.data_dir, stamp);
    for (const auto& sp : plan.shards)
      if (auto r = restore_shard(o, plan, sp, stamp, aside, report, changes); !r) return failed(r.error());
  }
  if (!report.moved_aside.empty())
    report.notes.push_back(fmt::format(
        "what this restore replaced was moved aside (listed above){}; delete it once the restored server is checked",
        aside.moved == 0 ? ""
        : aside.root ? fmt::format(", the shard directories into {}, outside the data directory", aside.root->string())
                     : ", the shard directories beside the originals (the data directory is a mount point of "
                       "its own, so nothing outside it is on the same file system)"));
  if (aside.moved > 0)
    report.notes.push_back(
        "WAL segments of the replaced shards (if any) were not touched: influxd replays them on start");
  if (!o.meta_dir.empty() && !o.data_dir.empty())
    if (auto unknown = databases_not_in_meta(o.data_dir, plan.set.meta); !unknown.empty())
      report.notes.push_back(fmt::format(
          "the data directory holds database directories the restored meta store does not have: {}; they were "
          "left alone, and influxd does not serve them without their meta: restore them too, or remove them",
          fmt::join(unknown, ", ")));
  return {};
}

}  // namespace ifx::restore
