// Helpers for ifx-verify's tests: copy a fixture, damage it in a precise way, run the check.
// Header-only, included by verify_test.cpp and verify_flips_test.cpp.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "ifx-verify/verify.hpp"
#include "ifx/format/backup/manifest.hpp"
#include "ifx/format/archive/shard_archive.hpp"
#include "ifx/format/tsm/tsm_reader.hpp"
#include "support/paths.hpp"

namespace vt {

namespace fs = std::filesystem;
using Report = ifx::check::BackupCheckReport;

inline fs::path copy_fixture(const ifx::test::ScratchDir& scratch, const std::string& name) {
  fs::path dest = scratch / name;
  fs::copy(ifx::test::fixture(name), dest, fs::copy_options::recursive);
  for (const auto& e : fs::directory_iterator(dest))
    fs::permissions(e.path(), fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add);
  return dest;
}

inline Report verify(const fs::path& dir, const std::function<void(ifx::check::BackupCheckOptions&)>& tweak = {}) {
  ifx::check::BackupCheckOptions o;
  o.backup_dir = dir;
  o.jobs = 2;
  if (tweak) tweak(o);
  auto r = ifx::check::check_backup(o);
  EXPECT_TRUE(r) << r.error().describe();
  return r ? std::move(*r) : Report{};
}

inline std::string describe(const Report& r) {
  std::string out;
  for (const auto& d : r.defects) out += "  [" + d.code + "] " + d.describe() + "\n";
  return out.empty() ? "  (no defects)\n" : out;
}

inline std::vector<const ifx::Error*> with_code(const Report& r, const std::string& code) {
  std::vector<const ifx::Error*> out;
  for (const auto& d : r.defects)
    if (d.code == code) out.push_back(&d);
  return out;
}

// The single file in `dir` whose name ends with `suffix`.
inline std::string file_ending(const fs::path& dir, const std::string& suffix) {
  std::string found;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (n.ends_with(suffix)) {
      EXPECT_TRUE(found.empty()) << "two files end with " << suffix;
      found = n;
    }
  }
  EXPECT_FALSE(found.empty()) << "no file ends with " << suffix << " in " << dir;
  return found;
}

inline void flip_byte(const fs::path& file, std::uint64_t offset, std::uint8_t mask = 0xff) {
  std::string bytes = ifx::test::read_file(file);
  ASSERT_LT(offset, bytes.size());
  bytes[offset] = static_cast<char>(bytes[offset] ^ mask);
  ifx::test::write_file(file, bytes);
}

// ---- archives as entries (small fixtures only) ---------------------------------------------
struct Entry {
  ifx::TarEntryHeader header;
  std::string data;
};

inline std::vector<Entry> read_entries(const fs::path& archive) {
  std::vector<Entry> out;
  auto reader = ifx::ShardArchiveReader::open(archive);
  EXPECT_TRUE(reader) << reader.error().describe();
  if (!reader) return out;
  ifx::ArchiveEntry e;
  while (true) {
    auto more = reader->next(e);
    EXPECT_TRUE(more) << more.error().describe();
    if (!more || !*more) break;
    Entry entry{{e.name, e.size, e.mode, e.mtime}, {}};
    std::vector<std::uint8_t> buf(64 * 1024);
    while (true) {
      auto n = reader->read(buf);
      EXPECT_TRUE(n);
      if (!n || *n == 0) break;
      entry.data.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

// Writes the entries as a shard archive; returns the tar size (the manifest `size`).
inline std::uint64_t write_entries(const fs::path& archive, const std::vector<Entry>& entries,
                                   ifx::ArchiveCompression compression = ifx::ArchiveCompression::gzip) {
  fs::remove(archive);
  ifx::ShardArchiveWriterOptions wo;
  wo.compression = compression;
  wo.file.replace_existing = true;
  auto w = ifx::ShardArchiveWriter::create(archive, wo);
  EXPECT_TRUE(w) << w.error().describe();
  for (const auto& e : entries) {
    ifx::TarEntryHeader h = e.header;
    h.size = e.data.size();
    auto b = w->begin_entry(h);
    EXPECT_TRUE(b) << b.error().describe();
    auto d = w->write({reinterpret_cast<const std::uint8_t*>(e.data.data()), e.data.size()});
    EXPECT_TRUE(d) << d.error().describe();
  }
  auto size = w->finish();
  EXPECT_TRUE(size) << size.error().describe();
  return size ? *size : 0;
}

// Rewrites the manifest of a portable backup with `edit` applied.
inline void edit_manifest(const fs::path& dir, const std::function<void(ifx::PortableManifest&)>& edit) {
  std::string name = file_ending(dir, ".manifest");
  auto m = ifx::read_manifest_file(dir / name);
  ASSERT_TRUE(m) << m.error().describe();
  edit(*m);
  ifx::test::write_file(dir / name, ifx::write_manifest(*m));
}

inline void set_manifest_size(const fs::path& dir, const std::string& archive, std::uint64_t size) {
  edit_manifest(dir, [&](ifx::PortableManifest& m) {
    for (auto& f : m.files)
      if (f.file_name == archive) f.size = static_cast<std::int64_t>(size);
  });
}

// Replaces one entry's data (by name suffix) inside a portable archive and fixes the manifest size,
// so that the only defect is the one inside the entry.
inline std::string rewrite_entry(const fs::path& dir, const std::string& archive, const std::string& entry_suffix,
                                 const std::function<void(std::string&)>& damage) {
  auto entries = read_entries(dir / archive);
  std::string name;
  for (auto& e : entries)
    if (e.header.name.ends_with(entry_suffix)) {
      damage(e.data);
      name = e.header.name;
    }
  EXPECT_FALSE(name.empty()) << "no entry ends with " << entry_suffix;
  set_manifest_size(dir, archive, write_entries(dir / archive, entries));
  return name;
}

// ---- hand-made tar (for names our writer refuses) and gzip --------------------------------
inline std::string tar_header(const std::string& name, std::uint64_t size, char type = '0') {
  std::string h(512, '\0');
  std::memcpy(h.data(), name.data(), std::min<std::size_t>(name.size(), 100));
  std::snprintf(h.data() + 100, 8, "%07o", 0644);
  std::snprintf(h.data() + 108, 8, "%07o", 0);
  std::snprintf(h.data() + 116, 8, "%07o", 0);
  std::snprintf(h.data() + 124, 12, "%011llo", static_cast<unsigned long long>(size));
  std::snprintf(h.data() + 136, 12, "%011o", 0);
  h[156] = type;
  std::memcpy(h.data() + 257, "ustar\0" "00", 8);
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  h[155] = ' ';
  return h;
}

inline std::string tar_of(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out;
  for (const auto& [name, data] : files) {
    out += tar_header(name, data.size());
    out += data;
    out.append((512 - data.size() % 512) % 512, '\0');
  }
  out.append(1024, '\0');
  return out;
}

inline std::string gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// All members inflated; false when zlib reports damage (or trailing garbage).
inline bool gunzip(const std::string& data, std::string& out) {
  out.clear();
  z_stream z{};
  inflateInit2(&z, 31);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  char buf[65536];
  int rc = Z_OK;
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      inflateReset(&z);  // another member
      continue;
    }
    if (rc != Z_OK) break;
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END;
}

// ---- TSM -------------------------------------------------------------------------------------
struct Block {
  std::string key;
  ifx::tsm::BlockType type;
  ifx::tsm::IndexEntry entry;
  std::uint64_t index_entry_offset;  // file offset of this 28-byte index entry
};

// Every block of a TSM file given as bytes, in index order.
inline std::vector<Block> tsm_blocks(const std::string& tsm_bytes) {
  ifx::test::ScratchDir tmp("verify-tsm");
  ifx::test::write_file(tmp / "f.tsm", tsm_bytes);
  std::vector<Block> out;
  auto r = ifx::tsm::TsmReader::open(tmp / "f.tsm");
  EXPECT_TRUE(r) << r.error().describe();
  if (!r) return out;
  auto c = r->index();
  ifx::tsm::KeyIndex k;
  while (true) {
    auto more = c.next(k);
    EXPECT_TRUE(more);
    if (!more || !*more) break;
    std::uint64_t at = k.index_offset + 2 + k.key.size() + 3;
    for (const auto& e : k.entries) {
      out.push_back(Block{k.key, k.type, e, at});
      at += ifx::tsm::kTsmIndexEntrySize;
    }
  }
  return out;
}

}  // namespace vt
