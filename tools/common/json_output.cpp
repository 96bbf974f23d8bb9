#include "common/json_output.hpp"

#include "common/version.hpp"

namespace ifx::cli {

using json = nlohmann::ordered_json;

json error_json(const Error& e) {
  return json{{"code", to_string(e.code)},
              {"file", e.file},
              {"entry", e.entry.empty() ? json(nullptr) : json(e.entry)},
              {"offset", e.offset ? json(*e.offset) : json(nullptr)},
              {"message", e.message}};
}

json json_envelope(std::string_view tool, int exit_code, const std::optional<Error>& error) {
  return json{{"tool", tool},
              {"version", version_text()},
              {"ok", exit_code == 0},
              {"exit_code", exit_code},
              {"error", error ? error_json(*error) : json(nullptr)}};
}

json with_envelope(std::string_view tool, int exit_code, const std::optional<Error>& error, const json& keys) {
  json out = json_envelope(tool, exit_code, error);
  if (keys.is_object())
    for (const auto& [key, value] : keys.items())
      if (!out.contains(key)) out[key] = value;
  return out;
}

void print_json(const json& j, std::ostream& to) {
  to << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

}  // namespace ifx::cli
