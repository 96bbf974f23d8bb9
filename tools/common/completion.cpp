#include "common/completion.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <vector>

namespace ifx::cli {
namespace {

// What may follow an option that takes a value.
enum class ValueKind { files, number, choice };

struct OptionWords {
  std::vector<std::string> spellings;  // --db -db --database -database, or -j --jobs -jobs
  bool takes_value = false;
  ValueKind kind = ValueKind::files;
  std::vector<std::string> choices;  // ValueKind::choice
};

// A word bash can take inside `compgen -W "..."` and a `case` pattern without quoting: the
// option names and IsMember values of the tools are all of this kind; any other is left out
// rather than risk a script that breaks.
bool plain_word(std::string_view w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '/' || c == ':' || c == '+' || c == '@';
  });
}

// CLI11 2.1 keeps an option's validators private; what it shows is their description after the
// type name, "TEXT:{gzip,zstd}" for CLI::IsMember({"gzip", "zstd"}) (a map shows "{a->b,...}").
std::vector<std::string> member_values(const std::string& type_name) {
  const auto open = type_name.find(":{");
  const auto close = type_name.find('}', open);
  if (open == std::string::npos || close == std::string::npos) return {};
  std::vector<std::string> values;
  std::string_view set(type_name.data() + open + 2, close - open - 2);
  while (!set.empty()) {
    const auto comma = set.find(',');
    std::string_view item = set.substr(0, comma);
    item = item.substr(0, item.find("->"));
    if (!plain_word(item)) return {};  // a set it cannot spell: complete nothing rather than half of it
    values.emplace_back(item);
    set = comma == std::string_view::npos ? std::string_view{} : set.substr(comma + 1);
  }
  return values;
}

bool numeric_type(const std::string& type_name) {
  const std::string base = type_name.substr(0, type_name.find(':'));
  return base == "INT" || base == "UINT" || base == "FLOAT" || base == "NUMBER";
}

OptionWords words_of(const CLI::Option& opt) {
  OptionWords w;
  for (const auto& s : opt.get_snames()) w.spellings.push_back("-" + s);
  // Go's flag package takes -name as well as --name (cli::normalize_go_flags).
  for (const auto& l : opt.get_lnames()) {
    w.spellings.push_back("--" + l);
    w.spellings.push_back("-" + l);
  }
  std::erase_if(w.spellings, [](const std::string& s) { return !plain_word(s); });
  w.takes_value = opt.get_expected_min() > 0;
  const std::string type = opt.get_type_name();
  w.choices = member_values(type);
  w.kind = !w.choices.empty() ? ValueKind::choice : numeric_type(type) ? ValueKind::number : ValueKind::files;
  return w;
}

std::string join(const std::vector<std::string>& words, std::string_view sep) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += sep;
    out += w;
  }
  return out;
}

}  // namespace

std::string bash_completion(const CLI::App& app) {
  const std::string tool = app.get_name();
  std::string function = "_";
  for (char c : tool) function += (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_';

  std::vector<std::string> flags;
  std::string cases;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_positional() || opt->get_group().empty()) continue;
    const OptionWords w = words_of(*opt);
    if (w.spellings.empty()) continue;
    flags.insert(flags.end(), w.spellings.begin(), w.spellings.end());
    if (!w.takes_value) continue;
    const std::string pattern = join(w.spellings, "|");
    switch (w.kind) {
      case ValueKind::choice:
        cases += fmt::format("    {}) mapfile -t COMPREPLY < <(compgen -W \"{}\" -- \"$cur\"); return ;;\n", pattern,
                             join(w.choices, " "));
        break;
      case ValueKind::number:
        cases += fmt::format("    {}) COMPREPLY=(); return ;;\n", pattern);
        break;
      case ValueKind::files:
        cases += fmt::format("    {}) _{}_files; return ;;\n", pattern, function);
        break;
    }
  }

  // bash splits `--compress=g` into `--compress`, `=`, `g` (COMP_WORDBREAKS holds '='): the
  // option is then the word before the '='. Self-contained: no bash-completion helpers needed.
  return fmt::format(
      "# bash completion for {tool}, generated from its flag definitions by `{tool} --bash-completion`\n"
      "_{fn}_files() {{\n"
      "  compopt -o filenames 2>/dev/null\n"
      "  mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
      "}}\n"
      "{fn}() {{\n"
      "  local cur=${{COMP_WORDS[COMP_CWORD]}} prev= opt\n"
      "  ((COMP_CWORD > 0)) && prev=${{COMP_WORDS[COMP_CWORD - 1]}}\n"
      "  if [[ $cur == = ]]; then\n"
      "    opt=$prev cur=\n"
      "  elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then\n"
      "    opt=${{COMP_WORDS[COMP_CWORD - 2]}}\n"
      "  else\n"
      "    opt=$prev\n"
      "  fi\n"
      "  case $opt in\n"
      "{cases}"
      "  esac\n"
      "  if [[ $cur == -* ]]; then\n"
      "    mapfile -t COMPREPLY < <(compgen -W \"{flags}\" -- \"$cur\")\n"
      "    return\n"
      "  fi\n"
      "  _{fn}_files\n"
      "}}\n"
      "complete -F {fn} {tool}\n",
      fmt::arg("tool", tool), fmt::arg("fn", function), fmt::arg("cases", cases), fmt::arg("flags", join(flags, " ")));
}

}  // namespace ifx::cli
