#include "common/version.hpp"

#include <fmt/format.h>

#include "git_revision.hpp"  // generated: IFX_GIT_REVISION

namespace ifx::cli {

// IFX_VERSION is the project's (CMakeLists.txt); IFX_GIT_REVISION is read at every build.
std::string version_text() { return fmt::format("{} (git {})", IFX_VERSION, IFX_GIT_REVISION); }

}  // namespace ifx::cli
