#include "common/cli.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "common/completion.hpp"
#include "common/version.hpp"
#include "ifx/format/text/go_duration.hpp"

namespace ifx::cli {
namespace {

// The option `--name` if the app (or a subcommand) defines it, else nullptr.
const CLI::Option* find_long(const CLI::App& app, const std::string& name) {
  return app.get_option_no_throw("--" + name);
}

bool takes_value(const CLI::Option* opt) { return opt && opt->get_expected_min() > 0; }

// Thrown by --bash-completion's callback, which CLI11 runs before it checks required options, so
// `ifx-prune --bash-completion` needs no repository (as --version does).
struct CompletionRequested {};

}  // namespace

std::vector<std::string> normalize_go_flags(const CLI::App& app, int argc, const char* const* argv) {
  std::vector<std::string> out;
  bool only_positionals = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (only_positionals || arg.size() < 2 || arg[0] != '-') {
      out.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positionals = true;
      out.push_back(arg);
      continue;
    }
    // Strip one or two dashes; Go treats both the same.
    std::string body = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string name = body.substr(0, body.find('='));
    bool has_value = body.find('=') != std::string::npos;
    if (name.size() == 1 && arg[1] != '-') {  // a short flag such as -j: CLI11 handles it
      out.push_back(arg);
      continue;
    }
    const CLI::Option* opt = find_long(app, name);
    if (opt && takes_value(opt) && !has_value && i + 1 < argc) {
      out.push_back("--" + name + "=" + argv[++i]);
    } else {
      out.push_back("--" + body);
    }
  }
  return out;
}

bool parse(CLI::App& app, int argc, const char* const* argv, int& exit_code) {
  if (!app.get_option_no_throw("--version"))
    app.set_version_flag("--version", fmt::format("{} {}", app.get_name(), version_text()),
                         "Print the version and the git revision, then exit");
  // Hidden (group ""): the build runs it to make the tool's completion file; users source that.
  if (!app.get_option_no_throw("--bash-completion"))
    app.add_flag_callback(
           "--bash-completion", [] { throw CompletionRequested{}; }, "Print a bash completion script")
        ->group("")
        ->configurable(false);
  std::vector<std::string> args = normalize_go_flags(app, argc, argv);
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector in reverse order
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    exit_code = kOk;
    return false;
  } catch (const CompletionRequested&) {
    std::cout << bash_completion(app);
    exit_code = kOk;
    return false;
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << "\n";
    exit_code = kOk;
    return false;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    exit_code = kOk;
    return false;
  } catch (const CLI::ParseError& e) {
    std::cerr << app.get_name() << ": " << e.what() << "\nRun with --help for usage.\n";
    exit_code = kUsage;
    return false;
  }
  return true;
}

Result<text::Rfc3339Time> parse_time_flag(std::string_view flag, std::string_view value) {
  auto t = text::parse_rfc3339(value);
  if (!t) {
    Error e = std::move(t.error());
    e.code = ErrorCode::usage;
    e.message = fmt::format("{}: {}", flag, e.message);
    return std::unexpected(std::move(e));
  }
  return *t;
}

Result<std::int64_t> parse_duration_flag(std::string_view value) {
  auto d = text::parse_go_duration(value);
  if (!d) {
    Error e = std::move(d.error());
    e.code = ErrorCode::usage;
    return std::unexpected(std::move(e));
  }
  if (*d <= 0) {
    return fail(ErrorCode::usage, fmt::format("invalid duration \"{}\": it must be positive (e.g. 26h, 90m, "
                                              "1h30m, 1.5h, 2d)",
                                              value));
  }
  return *d;
}

void print_error(const std::string& tool, const Error& error) { std::cerr << tool << ": " << error.describe() << "\n"; }

}  // namespace ifx::cli
