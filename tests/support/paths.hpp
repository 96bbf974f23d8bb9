// Shared helpers for tests: where the fixtures are, and scratch directories that clean up.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ifx::test {

// fixtures/ at the top of the source tree.
std::filesystem::path fixtures_dir();
// fixtures/<name>
std::filesystem::path fixture(const std::string& name);
// fixtures/<name>.truth.json: what the server that made the fixture returned to InfluxQL.
nlohmann::json fixture_truth(const std::string& name);
// Every fixture that has a `<name>.truth.json`, sorted by name.
std::vector<std::string> fixture_names();
// A test name for a fixture's name, as gtest allows them ("legacy-db" → "legacy_db").
std::string test_name_of(std::string fixture_name);
// The build directory (tools are at <build>/tools/<tool>).
std::filesystem::path build_dir();

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag = "ifx-test");
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Whole file as bytes / write bytes to a file (tests only: small inputs).
std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& bytes);

// The names in `dir` (not recursive), sorted; empty when it does not exist.
std::vector<std::string> names_in(const std::filesystem::path& dir);
bool any_ends_with(const std::vector<std::string>& names, const std::string& suffix);

}  // namespace ifx::test
