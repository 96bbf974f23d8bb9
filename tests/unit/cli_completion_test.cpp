// The bash completion every tool prints with --bash-completion (common/completion.hpp): made from
// the app's flag definitions, run here by bash as a tab would run it.
#include "common/completion.hpp"
#include "common/cli.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/run.hpp"

namespace {

struct App {
  std::string dir, repo, compress, hidden;
  unsigned jobs = 0;
  double wait = 0;
  bool portable = false;
  CLI::App app{"test", "ifx-test"};
  App() {
    app.add_option("dir", dir)->required();
    app.add_option("--repo", repo);
    app.add_option("-j,--jobs", jobs);
    app.add_option("--lock-wait", wait)->check(CLI::NonNegativeNumber);
    app.add_flag("--portable", portable);
    app.add_option("--compress", compress)->check(CLI::IsMember({"gzip", "zstd"}));
    app.add_option("--internal", hidden)->group("");
  }
};

// The candidates bash offers for the last of `words` (the word being completed).
std::vector<std::string> complete(const std::string& script, const std::vector<std::string>& words) {
  const auto file = std::filesystem::temp_directory_path() / ("cli_completion_test." + std::to_string(getpid()));
  std::ofstream(file) << script;
  std::string cmd = "source " + ifx::test::shell_quote(file.string()) + " && COMP_WORDS=(ifx-test";
  for (const auto& w : words) cmd += " " + ifx::test::shell_quote(w);
  cmd += ") && COMP_CWORD=" + std::to_string(words.size()) + " && _ifx_test && printf '%s\\n' \"${COMPREPLY[@]}\"";
  const auto r = ifx::test::run_command({"bash", "-c", cmd});
  std::filesystem::remove(file);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> out;
  for (std::size_t at = 0, nl; (nl = r.out.find('\n', at)) != std::string::npos; at = nl + 1)
    if (nl > at) out.push_back(r.out.substr(at, nl - at));
  return out;
}

using V = std::vector<std::string>;

TEST(BashCompletion, FlagsInBothSpellingsHiddenOnesLeftOut) {
  App a;
  const std::string script = ifx::cli::bash_completion(a.app);
  EXPECT_NE(script.find("complete -F _ifx_test ifx-test\n"), std::string::npos) << script;
  EXPECT_EQ(complete(script, {"--po"}), V{"--portable"});
  EXPECT_EQ(complete(script, {"-po"}), V{"-portable"});
  EXPECT_EQ(complete(script, {"-j"}), (V{"-j", "-jobs"}));
  EXPECT_EQ(complete(script, {"--int"}), V{});
}

TEST(BashCompletion, ValuesOfIsMemberNothingForNumbersFilesOtherwise) {
  App a;
  const std::string script = ifx::cli::bash_completion(a.app);
  EXPECT_EQ(complete(script, {"--compress", ""}), (V{"gzip", "zstd"}));
  EXPECT_EQ(complete(script, {"-compress", "z"}), V{"zstd"});
  EXPECT_EQ(complete(script, {"--compress", "=", "g"}), V{"gzip"});  // --compress=g: bash splits at '='
  EXPECT_EQ(complete(script, {"--compress", "="}), (V{"gzip", "zstd"}));
  EXPECT_EQ(complete(script, {"--jobs", ""}), V{});
  EXPECT_EQ(complete(script, {"--lock-wait", ""}), V{});
  const std::string root = std::filesystem::temp_directory_path().string();
  EXPECT_EQ(complete(script, {"--repo", root}), V{root});
  EXPECT_EQ(complete(script, {"--portable", root}), V{root});
}

TEST(BashCompletion, TheHiddenFlagPrintsTheScriptWithoutTheRequiredPositional) {
  App a;
  const char* argv[] = {"ifx-test", "--bash-completion"};
  int code = -1;
  testing::internal::CaptureStdout();
  EXPECT_FALSE(ifx::cli::parse(a.app, 2, argv, code));
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(code, ifx::cli::kOk);
  EXPECT_EQ(out, ifx::cli::bash_completion(a.app));
  EXPECT_EQ(a.app.help().find("bash-completion"), std::string::npos) << a.app.help();
}

}  // namespace
