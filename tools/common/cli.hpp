// What every tool shares at its command line: exit codes, InfluxDB's Go-style flag spellings,
// and one way to report errors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

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
// on a usage error prints "<tool>: <message>" plus a hint to stderr and returns kUsage.
// Returns true when the tool should go on.
bool parse(CLI::App& app, int argc, const char* const* argv, int& exit_code);

// A time flag (-start, -end, -since) as influxd's CLIs take it: RFC 3339, exact to the
// nanosecond, the typed offset kept (text::parse_rfc3339). Errors: "usage", naming the flag.
Result<text::Rfc3339Time> parse_time_flag(std::string_view flag, std::string_view value);

// A duration flag (--max-age, --new-duration): Go's duration spellings plus d and w
// (text::parse_go_duration), and positive. Errors: "usage", naming the text.
Result<std::int64_t> parse_duration_flag(std::string_view value);

// Prints "<tool>: <error.describe()>" to stderr.
void print_error(const std::string& tool, const Error& error);

}  // namespace ifx::cli
