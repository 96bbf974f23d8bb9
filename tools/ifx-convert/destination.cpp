#include "ifx-convert/destination.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "ifx/format/io/atomic_file.hpp"

namespace ifx::convert::detail {
namespace fs = std::filesystem;

namespace {

// "out/" and "out" are the same destination; "out/.pending" would not be its pending sibling.
fs::path without_trailing_slash(const fs::path& p) {
  fs::path n = p.lexically_normal();
  if (n.filename().empty() && n.has_parent_path()) n = n.parent_path();
  return n;
}

std::unexpected<Error> usage(std::string message, const fs::path& file) {
  auto e = fail(ErrorCode::usage, std::move(message));
  e.error().file = file.string();
  return e;
}

std::unexpected<Error> io(std::string message, const fs::path& file) {
  auto e = fail(ErrorCode::io, std::move(message));
  e.error().file = file.string();
  return e;
}

// `inner` is `outer` or lies below it (both made absolute and free of symlinks where they exist).
bool is_within(const fs::path& inner, const fs::path& outer) {
  std::error_code ec;
  const fs::path a = fs::weakly_canonical(fs::absolute(inner, ec), ec);
  const fs::path b = fs::weakly_canonical(fs::absolute(outer, ec), ec);
  auto [end_b, end_a] = std::mismatch(b.begin(), b.end(), a.begin(), a.end());
  return end_b == b.end();
}

}  // namespace

Result<Destination> Destination::check(const fs::path& source, const fs::path& dest, bool force) {
  Destination d;
  d.dest_ = without_trailing_slash(dest);
  d.pending_ = pending_path_of(d.dest_);
  d.force_ = force;
  if (d.dest_.empty() || d.dest_ == "." || d.dest_ == "..")
    return usage(fmt::format("{} cannot be the destination: name a new directory", dest.string()), dest);
  if (is_within(d.dest_, source))
    return usage(fmt::format("the destination {} lies inside the source {}: name a directory outside it",
                             d.dest_.string(), source.string()),
                 d.dest_);
  if (is_within(source, d.dest_))
    return usage(fmt::format("the source {} lies inside the destination {}: replacing the destination would "
                             "delete the source",
                             source.string(), d.dest_.string()),
                 d.dest_);
  std::error_code ec;
  const auto st = fs::symlink_status(d.dest_, ec);
  if (fs::exists(st)) {
    if (!fs::is_directory(st))
      return usage(fmt::format("{} exists and is not a directory: name a new directory", d.dest_.string()), d.dest_);
    if (!fs::is_empty(d.dest_, ec) && !force)
      return usage(fmt::format("{} is not empty: name a new or empty directory, or pass --force to replace it "
                               "once the conversion is complete",
                               d.dest_.string()),
                   d.dest_);
  }
  if (fs::exists(fs::symlink_status(d.pending_, ec)) && !force)
    return usage(fmt::format("{} exists: another conversion is writing there, or one was interrupted; remove "
                             "it or pass --force",
                             d.pending_.string()),
                 d.pending_);
  return d;
}

Destination::Destination(Destination&& o) noexcept
    : dest_(std::move(o.dest_)),
      pending_(std::move(o.pending_)),
      force_(o.force_),
      created_(std::exchange(o.created_, false)),
      committed_(o.committed_) {}

Destination::~Destination() {
  if (created_ && !committed_) {
    std::error_code ec;
    fs::remove_all(pending_, ec);
  }
}

Result<void> Destination::create_pending() {
  std::error_code ec;
  if (force_) fs::remove_all(pending_, ec);
  if (!dest_.parent_path().empty()) fs::create_directories(dest_.parent_path(), ec);
  if (::mkdir(pending_.c_str(), 0700) != 0)
    return io(fmt::format("cannot create {}: {}", pending_.string(), std::strerror(errno)), pending_);
  created_ = true;
  return {};
}

Result<void> Destination::commit() {
  if (auto r = fsync_dir(pending_); !r) return r;
  std::error_code ec;
  fs::path aside;
  if (fs::exists(dest_, ec) && !fs::is_empty(dest_, ec)) {  // only reachable with force
    aside = fs::path(fmt::format("{}.replaced-{}", dest_.string(), ::getpid()));
    fs::remove_all(aside, ec);
    if (::rename(dest_.c_str(), aside.c_str()) != 0)
      return io(fmt::format("cannot move {} aside to replace it: {}", dest_.string(), std::strerror(errno)), dest_);
  }
  // rename(2) replaces an empty directory atomically.
  if (::rename(pending_.c_str(), dest_.c_str()) != 0) {
    auto e = io(fmt::format("cannot rename {} to {}: {}", pending_.string(), dest_.string(), std::strerror(errno)),
                dest_);
    if (!aside.empty()) ::rename(aside.c_str(), dest_.c_str());  // put the old one back
    return e;
  }
  committed_ = true;
  const fs::path parent = dest_.parent_path().empty() ? fs::path(".") : dest_.parent_path();
  if (auto r = fsync_dir(parent); !r) return r;
  if (!aside.empty()) fs::remove_all(aside, ec);
  return {};
}

}  // namespace ifx::convert::detail
