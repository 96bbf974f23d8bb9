// Shell pipelines through our tools and others (restic, tar, head): for the tests of what a
// user's shell does with a tool's streams.
#pragma once

#include <string>

#include "support/run.hpp"

namespace ifx::test {

// `script` run by bash with pipefail, as a cron job's script should be: a command that fails
// anywhere in a pipe fails the run, not only the last one.
inline Ran run_pipeline(const std::string& script) {
  return run_command({"/bin/bash", "-c", "set -o pipefail; " + script});
}

}  // namespace ifx::test
