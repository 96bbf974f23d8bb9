#include "support/paths.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

namespace ifx::test {

std::filesystem::path fixtures_dir() { return IFX_FIXTURES_DIR; }
std::filesystem::path fixture(const std::string& name) { return fixtures_dir() / name; }
std::filesystem::path build_dir() { return IFX_BUILD_DIR; }

std::string test_name_of(std::string fixture_name) {
  std::replace(fixture_name.begin(), fixture_name.end(), '-', '_');
  return fixture_name;
}

nlohmann::json fixture_truth(const std::string& name) {
  std::ifstream in(fixture(name + ".truth.json"));
  if (!in) throw std::runtime_error("cannot read the truth of fixture " + name);
  return nlohmann::json::parse(in);
}

ScratchDir::ScratchDir(const std::string& tag) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + tag + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
  path_ = tmpl;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + p.string());
  out << bytes;
}

std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(fixtures_dir())) {
    std::string n = e.path().filename().string();
    if (n.ends_with(".truth.json")) names.push_back(n.substr(0, n.size() - 11));
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

bool any_ends_with(const std::vector<std::string>& names, const std::string& suffix) {
  return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return n.ends_with(suffix); });
}

}  // namespace ifx::test
