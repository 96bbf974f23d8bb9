// Defects: what the checks found wrong with a backup, each an Error naming the file inside the
// backup directory, the entry inside an archive, the byte offset and what was expected. Checks
// keep going after a defect and report every one into a DefectSink.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ifx/format/error.hpp"

namespace ifx::check {

// Collects defects. Past `cap` defects for one (file, entry) the rest are only counted, so a TSM
// file whose index points everywhere does not produce a million lines; finish() turns the counts
// into notes.
class DefectSink {
 public:
  explicit DefectSink(std::size_t cap = 100) : cap_(cap) {}
  void add(Error e);
  void note(std::string text) { notes_.push_back(std::move(text)); }
  // Something a user should act on that does not make the backup invalid by itself.
  void warn(std::string text) { warnings_.push_back(std::move(text)); }
  void finish();
  std::vector<Error>& defects() { return defects_; }
  std::vector<std::string>& notes() { return notes_; }
  std::vector<std::string>& warnings() { return warnings_; }
  std::size_t count() const { return defects_.size(); }

 private:
  std::size_t cap_;
  std::map<std::pair<std::string, std::string>, std::size_t> per_entry_;
  std::vector<Error> defects_;
  std::vector<std::string> notes_;
  std::vector<std::string> warnings_;
};

// An Error built in place: code, where, and the sentence.
Error defect(ErrorCode code, std::string file, std::string entry, std::optional<std::uint64_t> offset,
             std::string message);

// Where a checked file came from: the archive file in the backup directory and the tar entry.
struct EntryOrigin {
  std::string file;
  std::string entry;
};
// An error of a libformat reader re-homed to the backup file and entry it came from (readers name
// the scratch copy they read).
Error relocated(Error e, const EntryOrigin& origin);

// A key or name for a message: non-printable bytes as \xNN, long ones shortened.
std::string printable(std::string_view text);

}  // namespace ifx::check
