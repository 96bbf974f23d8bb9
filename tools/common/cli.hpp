// What every tool shares at its command line: exit codes, InfluxDB's Go-style flag spellings,
// and one way to report errors.
#pragma once

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ifx/format/error.hpp"
#include "ifx/format/text/rfc3339.hpp"

namespace ifx::cli {

// Exit codes, the same for every tool (README "Exit codes").
enum ExitCode : int {
  kOk = 0,
  kFailed = 1,   // the backup is unreadable / has defects / the operation failed
  kUsage = 2,    // bad command line, or (ifx-verify) an I/O error before checking
  kPartial = 3,  // done, but something was skipped (-skip-errors)
  kLocked = 4,   // the snapshot repository is held by another run (--lock-wait ran out)
};

// influxd's CLIs use Go's flag package: `-db x`, `-db=x`, `--db x`, `-portable`,
// `-portable=true`. CLI11 wants `--db x`. This rewrites argv (argv[0] excluded) so both
// spellings parse: a single-dash word longer than one letter becomes a double-dash long flag,
// and an option that takes a value is joined with it (`--db=x`) so that values starting with
// '-' are kept as values, as Go does.
std::vector<std::string> normalize_go_flags(const CLI::App& app, int argc, const char* const* argv);

// Parses argv with the rewrite above. On --help prints help and returns kOk through `exit`
// (so do --version and the hidden --bash-completion, common/completion.hpp);
// on a usage error prints "<tool>: <message>" plus a hint to stderr and returns kUsage. The
// message names flags as the user spelled them (`unknown option -dbx`), and when --json is among
// the arguments the error is also printed as the JSON envelope (Output). Returns true when the
// tool should go on.
bool parse(CLI::App& app, int argc, const char* const* argv, int& exit_code);

// -j/--jobs, refused below 1 with the same message in every tool.
const CLI::Validator& jobs_check();
template <class Count>
CLI::Option* add_jobs_option(CLI::App& app, Count& jobs, const std::string& help) {
  return app.add_option("-j,--jobs", jobs, help)->check(jobs_check());
}

// How every tool reports: --json (one JSON document on stdout, whatever happens: the envelope of
// common/json_output.hpp, then the tool's keys), -q/--quiet (errors only), -v/--verbose.
class Output {
 public:
  explicit Output(std::string tool) : tool_(std::move(tool)) {}
  // Adds --json (`json_help` says what it prints), -q/--quiet and -v/--verbose.
  void add_flags(CLI::App& app, const std::string& json_help);
  const std::string& tool() const { return tool_; }

  // A run that completed: with --json, the envelope and the tool's `keys` on stdout.
  // Returns exit_code.
  int done(int exit_code, const nlohmann::ordered_json& keys) const;
  // A run an error stopped: "<tool>: <error>" on stderr and, with --json, the envelope naming it
  // (with the tool's `keys` when it has some to give). Returns exit_code.
  int failed(int exit_code, const Error& error, const nlohmann::ordered_json& keys = nullptr) const;
  // A bad command line found after parsing: failed(kUsage, a "usage" error saying `message`).
  int usage(std::string message) const;
  // A note or warning on stderr ("<tool>: <text>"), left out with --quiet.
  void note(std::string_view text) const;

  bool json = false;
  bool quiet = false;
  bool verbose = false;
  // Where the JSON goes: stdout, unless stdout carries data (ifx-backup's stream).
  std::ostream* json_out = &std::cout;

 private:
  std::string tool_;
};

// A time flag (-start, -end, -since) as influxd's CLIs take it: RFC 3339, exact to the
// nanosecond, the typed offset kept (text::parse_rfc3339). Errors: "usage", naming the flag.
Result<text::Rfc3339Time> parse_time_flag(std::string_view flag, std::string_view value);

// A duration flag (--max-age, --new-duration): Go's duration spellings plus d and w
// (text::parse_go_duration), and positive. Errors: "usage", naming the text.
Result<std::int64_t> parse_duration_flag(std::string_view value);

// The exit code of a run that `e` stopped: kUsage for a "usage" error, kLocked for a held
// repository, else kFailed.
int failure_exit_code(const Error& e);

// Prints "<tool>: <error.describe()>" to stderr.
void print_error(const std::string& tool, const Error& error);

}  // namespace ifx::cli
