#include "common/json_output.hpp"

namespace ifx::cli {

nlohmann::ordered_json error_json(const Error& e) {
  using json = nlohmann::ordered_json;
  return json{{"code", to_string(e.code)},
              {"file", e.file},
              {"entry", e.entry.empty() ? json(nullptr) : json(e.entry)},
              {"offset", e.offset ? json(*e.offset) : json(nullptr)},
              {"message", e.message}};
}

}  // namespace ifx::cli
