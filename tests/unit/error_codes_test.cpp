// The closed error vocabulary: every code of IFX_ERROR_CODES is documented in
// docs/error-codes.md exactly once, and the page documents no other; the texts round-trip.
#include "ifx/format/error.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace {

// The codes in the first cell of every table row of the page (`a`, `b`, … may share a row).
std::map<std::string, int> documented_codes() {
  std::ifstream in(IFX_DOCS_DIR "/error-codes.md");
  EXPECT_TRUE(in) << "cannot read " IFX_DOCS_DIR "/error-codes.md";
  std::map<std::string, int> out;
  const std::regex code_re("`([a-z0-9-]+)`");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("| `")) continue;
    const std::string first_cell = line.substr(1, line.find('|', 1) - 1);
    for (std::sregex_iterator it(first_cell.begin(), first_cell.end(), code_re), end; it != end; ++it)
      ++out[(*it)[1].str()];
  }
  return out;
}

TEST(ErrorCodes, EveryCodeIsDocumentedOnceAndNothingElse) {
  const auto documented = documented_codes();
  std::set<std::string> in_code;
  for (ifx::ErrorCode c : ifx::all_error_codes()) {
    const std::string text(ifx::to_string(c));
    EXPECT_TRUE(in_code.insert(text).second) << text << " is listed twice in IFX_ERROR_CODES";
    auto it = documented.find(text);
    if (it == documented.end()) ADD_FAILURE() << text << " is not in docs/error-codes.md";
    else EXPECT_EQ(it->second, 1) << text << " is documented " << it->second << " times";
  }
  for (const auto& [text, n] : documented)
    EXPECT_TRUE(in_code.count(text)) << "docs/error-codes.md documents " << text << ", which no code reports";
}

TEST(ErrorCodes, TextsRoundTripAndJsonWritesText) {
  for (ifx::ErrorCode c : ifx::all_error_codes()) {
    EXPECT_EQ(ifx::error_code_from_string(ifx::to_string(c)), c);
    EXPECT_EQ(nlohmann::json(c), std::string(ifx::to_string(c)));
  }
  EXPECT_EQ(ifx::error_code_from_string("no-such-code"), std::nullopt);
  std::ostringstream s;
  s << ifx::ErrorCode::gzip_crc;
  EXPECT_EQ(s.str(), "gzip-crc");
  EXPECT_EQ(fmt::format("[{}]", ifx::ErrorCode::net_timeout), "[net-timeout]");
}

TEST(ErrorCodes, NetworkCodesAreTheRpcOnes) {
  EXPECT_TRUE(ifx::is_network_error(ifx::ErrorCode::net_reset));
  EXPECT_TRUE(ifx::is_network_error(ifx::ErrorCode::net_http_port));
  EXPECT_FALSE(ifx::is_network_error(ifx::ErrorCode::http_unreachable));
  EXPECT_FALSE(ifx::is_network_error(ifx::ErrorCode::io));
}

}  // namespace
