// JSON pieces every tool's --json output shares.
#pragma once

#include <nlohmann/json.hpp>

#include <iostream>
#include <optional>
#include <string_view>

#include "ifx/format/error.hpp"

namespace ifx::cli {

// {"code", "file", "entry", "offset", "message"}: entry and offset are null when unknown.
nlohmann::ordered_json error_json(const Error& e);

// The keys every --json document starts with (docs/json/envelope.schema.json):
// {"tool", "version", "ok", "exit_code", "error"}; ok is exit_code == 0, error is null unless an
// error stopped the run (a run that completes says what it found in its own keys).
nlohmann::ordered_json json_envelope(std::string_view tool, int exit_code, const std::optional<Error>& error);

// The envelope followed by the tool's own keys (an object; null for none). A key of the tool's
// that the envelope also has (ifx-diff's "tool", ifx-convert's "exit_code") keeps its place in
// the envelope: both say the same.
nlohmann::ordered_json with_envelope(std::string_view tool, int exit_code, const std::optional<Error>& error,
                                     const nlohmann::ordered_json& keys);

// Prints one JSON document (on stdout unless told), invalid UTF-8 (file names) replaced rather
// than thrown on.
void print_json(const nlohmann::ordered_json& j, std::ostream& to = std::cout);

}  // namespace ifx::cli
