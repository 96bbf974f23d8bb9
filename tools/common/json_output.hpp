// JSON pieces every tool's --json output shares.
#pragma once

#include <nlohmann/json.hpp>

#include "ifx/format/error.hpp"

namespace ifx::cli {

// {"code", "file", "entry", "offset", "message"}: entry and offset are null when unknown.
nlohmann::ordered_json error_json(const Error& e);

}  // namespace ifx::cli
