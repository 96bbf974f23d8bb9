#include "common/cli.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iostream>

#include "common/completion.hpp"
#include "common/json_output.hpp"
#include "common/version.hpp"
#include "ifx/format/text/go_duration.hpp"

namespace ifx::cli {
namespace {

// The option `--name` if the app (or a subcommand) defines it, else nullptr.
const CLI::Option* find_long(const CLI::App& app, const std::string& name) {
  return app.get_option_no_throw("--" + name);
}

bool takes_value(const CLI::Option* opt) { return opt && opt->get_expected_min() > 0; }

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

// `message` with every whole-word occurrence of `from` replaced by `to`.
std::string replace_word(std::string message, const std::string& from, const std::string& to) {
  for (std::size_t at = message.find(from); at != std::string::npos; at = message.find(from, at)) {
    const std::size_t end = at + from.size();
    if ((at > 0 && is_name_char(message[at - 1])) || (end < message.size() && is_name_char(message[end]))) {
      at = end;
      continue;
    }
    message.replace(at, from.size(), to);
    at += to.size();
  }
  return message;
}

// CLI11 names flags as the rewrite (normalize_go_flags) spelled them, or by the option's first
// long name (`--jobs` for a `-j`): put back the words the user typed, so that `-dbx` is not
// reported as `--dbx`, which the user never wrote.
std::string in_user_spelling(const CLI::App& app, std::string message, int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') continue;
    const std::string typed = arg.substr(0, arg.find('='));
    const std::string name = typed.substr(typed[1] == '-' ? 2 : 1);
    const CLI::Option* opt = name.size() == 1 && typed[1] != '-' ? app.get_option_no_throw(typed)
                                                                 : find_long(app, name);
    if (!opt) {
      message = replace_word(std::move(message), "--" + name, typed);
      continue;
    }
    for (const auto& l : opt->get_lnames()) message = replace_word(std::move(message), "--" + l, typed);
    for (const auto& s : opt->get_snames()) message = replace_word(std::move(message), "-" + s, typed);
  }
  return message;
}

// The message for a parse error. CLI11's "The following argument was not expected" says neither
// that a flag is unknown nor which: name the first unknown option, else the stray argument.
std::string usage_message(const CLI::App& app, const CLI::ParseError& e) {
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    const auto extras = app.remaining();
    auto flag = std::find_if(extras.begin(), extras.end(),
                             [](const std::string& a) { return a.size() > 1 && a[0] == '-'; });
    if (flag != extras.end()) return "unknown option " + flag->substr(0, flag->find('='));
    if (!extras.empty()) return "unexpected argument " + extras.front();
  }
  return e.what();
}

// --json among the arguments (before a "--"): a usage error must then be a JSON document too, and
// CLI11 has not set the flag when it fails.
bool wants_json(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") return false;
    if (arg == "--json" || arg == "-json" || arg == "--json=true" || arg == "-json=true") return true;
  }
  return false;
}

// "<tool>: <message>" on stderr and, for --json (`json` set), the envelope naming a "usage" error.
int print_usage_error(const std::string& tool, std::ostream* json, std::string message, std::string_view hint) {
  Error e{.code = ErrorCode::usage, .message = std::move(message)};
  std::cerr << tool << ": " << e.message << hint;
  if (json) print_json(json_envelope(tool, kUsage, e), *json);
  return kUsage;
}

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
    exit_code = print_usage_error(app.get_name(), wants_json(argc, argv) ? &std::cout : nullptr,
                                  in_user_spelling(app, usage_message(app, e), argc, argv),
                                  "\nRun with --help for usage.\n");
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

int failure_exit_code(const Error& e) {
  if (e.code == ErrorCode::usage) return kUsage;
  if (e.code == ErrorCode::repository_locked) return kLocked;
  return kFailed;
}

const CLI::Validator& jobs_check() {
  static const CLI::Validator check(
      [](std::string& text) -> std::string {
        long long n = 0;
        if (!CLI::detail::lexical_cast(text, n) || n < 1)
          return "the number of jobs must be a whole number, 1 or more (not " + text + ")";
        return "";
      },
      "N>=1");
  return check;
}

void Output::add_flags(CLI::App& app, const std::string& json_help) {
  app.add_flag("--json", json, json_help + " (one document, failures included: docs/json/)");
  app.add_flag("-q,--quiet", quiet, "Print errors only: no progress, notes or report text");
  app.add_flag("-v,--verbose", verbose,
               "Print more detail where the tool has some (ifx-backup, ifx-restore: a progress line per shard)");
}

int Output::done(int exit_code, const nlohmann::ordered_json& keys) const {
  if (json) print_json(with_envelope(tool_, exit_code, std::nullopt, keys), *json_out);
  return exit_code;
}

int Output::failed(int exit_code, const Error& error, const nlohmann::ordered_json& keys) const {
  print_error(tool_, error);
  if (json) print_json(with_envelope(tool_, exit_code, error, keys), *json_out);
  return exit_code;
}

int Output::usage(std::string message) const {
  return print_usage_error(tool_, json ? json_out : nullptr, std::move(message), "\n");
}

void Output::note(std::string_view text) const {
  if (!quiet) std::cerr << tool_ << ": " << text << "\n";
}

}  // namespace ifx::cli
