// Runs a command line (a tool binary, influxd, influx) the way a user's shell would and keeps
// what it printed: for tests of the tools' exit codes and messages.
#pragma once

#include <string>
#include <vector>

namespace ifx::test {

struct Ran {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out, err;
};

// argv[0] is the program; each argument is passed as one word, whatever it holds.
Ran run_command(const std::vector<std::string>& argv);

// The word quoted for /bin/sh.
std::string shell_quote(const std::string& s);

}  // namespace ifx::test
