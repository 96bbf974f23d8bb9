// Helpers for ifx-verify's tests: copy a fixture, damage it in a precise way (the builders of
// support/ make and change the files), run the check. Header-only, included by verify_test.cpp
// and verify_flips_test.cpp.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "support/archive_builder.hpp"
#include "support/backup_builder.hpp"
#include "support/paths.hpp"
#include "support/tsm_builder.hpp"
#include "tool_runs.hpp"

namespace vt {

namespace fs = std::filesystem;
using namespace ifx::test;
using Report = ifx::check::BackupCheckReport;

// A writable copy of fixtures/<name> in `scratch`.
inline fs::path copy_fixture(const ifx::test::ScratchDir& scratch, const std::string& name) {
  return ifx::test::copy_fixture(name, scratch / name);
}

inline Report verify(const fs::path& dir, const std::function<void(ifx::check::BackupCheckOptions&)>& tweak = {}) {
  return ifx::test::verify_report(dir, tweak);
}

inline std::string describe(const Report& r) {
  std::string out;
  for (const auto& d : r.defects) out += fmt::format("  [{}] {}\n", d.code, d.describe());
  return out.empty() ? "  (no defects)\n" : out;
}

inline std::vector<const ifx::Error*> with_code(const Report& r, const std::string& code) {
  std::vector<const ifx::Error*> out;
  for (const auto& d : r.defects)
    if (ifx::to_string(d.code) == code) out.push_back(&d);
  return out;
}

// The one defect of `r`, which must have `code` and concern `file`.
inline ifx::Error only_defect(const Report& r, const std::string& code, const std::string& file) {
  EXPECT_EQ(r.defects.size(), 1u) << describe(r);
  if (r.defects.size() != 1) return {};
  EXPECT_EQ(ifx::to_string(r.defects[0].code), code) << describe(r);
  EXPECT_EQ(r.defects[0].file, file) << describe(r);
  return r.defects[0];
}

inline void flip_byte(const fs::path& file, std::uint64_t offset, std::uint8_t mask = 0xff) {
  std::string bytes = ifx::test::read_file(file);
  ASSERT_LT(offset, bytes.size());
  bytes[offset] = static_cast<char>(bytes[offset] ^ mask);
  ifx::test::write_file(file, bytes);
}

// Replaces one entry's data (by name suffix) inside a portable archive and fixes the manifest, so
// that the only defect is the one inside the entry. Returns the entry's name.
inline std::string rewrite_entry(const fs::path& dir, const std::string& archive, const std::string& entry_suffix,
                                 const std::function<void(std::string&)>& damage) {
  auto entries = read_shard_archive(dir / archive);
  std::string name;
  for (auto& e : entries)
    if (e.name.ends_with(entry_suffix)) {
      damage(e.data);
      name = e.name;
    }
  EXPECT_FALSE(name.empty()) << "no entry ends with " << entry_suffix;
  ifx::test::rewrite_archive(dir, archive, entries);
  return name;
}

}  // namespace vt
