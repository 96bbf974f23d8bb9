// The version every tool reports (--version) and records (a manifest's "created_by"): the
// project's version and the git revision it was built from ("unknown" outside a git checkout).
#pragma once

#include <string>

namespace ifx::cli {

// "0.1.0 (git 1a2b3c4d5e6f)"
std::string version_text();

}  // namespace ifx::cli
