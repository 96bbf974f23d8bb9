// Bash completion for a tool, made from the same CLI11 definitions as its --help, so the two
// cannot drift apart. Every tool answers the hidden flag --bash-completion (common/cli.hpp) with
// this script; the build runs it to make the file installed into
// share/bash-completion/completions/<tool>. Debian's CLI11 (2.1) has no generator of its own.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace ifx::cli {

// A bash script that registers a completion for the app's name: every long flag in both
// spellings the tools accept (`--db` and Go's `-db`), the short ones (`-j`), the values of an
// option checked by CLI::IsMember (`--compress gzip|zstd`, also as `--compress=`), nothing after
// a numeric option, and file names for every other option value and for positional arguments.
// Options in the hidden group "" are left out.
std::string bash_completion(const CLI::App& app);

}  // namespace ifx::cli
