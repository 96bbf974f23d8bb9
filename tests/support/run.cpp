#include "support/run.hpp"

#include <sys/wait.h>

#include <cstdlib>

#include "support/paths.hpp"

namespace ifx::test {

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

Ran run_command(const std::vector<std::string>& argv) {
  // Through files, not pipes: a tool that prints a lot cannot block on a full pipe.
  ScratchDir dir("ifx-run");
  std::string cmd;
  for (const auto& a : argv) cmd += shell_quote(a) + " ";
  cmd += "> " + shell_quote((dir / "out").string()) + " 2> " + shell_quote((dir / "err").string());
  const int status = std::system(cmd.c_str());
  Ran r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(dir / "out");
  r.err = read_file(dir / "err");
  return r;
}

}  // namespace ifx::test
