// Where a conversion writes: `DEST.pending`, renamed to DEST once every file in it is complete and
// fsynced (docs/ARCHITECTURE.md: NAME.pending, fsync, rename, fsync the directory). A crash or a
// refused source leaves DEST as it was.
#pragma once

#include <filesystem>

#include "ifx/format/error.hpp"

namespace ifx::convert::detail {

class Destination {
 public:
  // Checks only, creates nothing ("usage" errors): DEST must be empty or absent (or `force`),
  // must not be the source, lie inside it or contain it, and `DEST.pending` must not exist
  // (a leftover of an interrupted run, or a run in progress) unless `force`.
  static Result<Destination> check(const std::filesystem::path& source, const std::filesystem::path& dest, bool force);
  Destination(Destination&& other) noexcept;
  Destination& operator=(Destination&&) = delete;
  Destination(const Destination&) = delete;
  ~Destination();  // not committed: removes DEST.pending, which is ours

  // Creates `DEST.pending` (0700, like influxd's backup directory, docs/FORMATS.md §2.1); with force a
  // leftover one is removed first.
  Result<void> create_pending();
  const std::filesystem::path& pending() const { return pending_; }
  const std::filesystem::path& final_path() const { return dest_; }

  // fsyncs DEST.pending, renames it to DEST (a non-empty DEST, allowed by force, is moved aside
  // first and removed after the rename), fsyncs the parent directory.
  Result<void> commit();

 private:
  Destination() = default;
  std::filesystem::path dest_;
  std::filesystem::path pending_;
  bool force_ = false;
  bool created_ = false;
  bool committed_ = false;
};

}  // namespace ifx::convert::detail
