// Shard archives for tests (docs/FORMATS.md §4.1, §3.3, §2.4).
//
// Valid archives are written by libformat's ShardArchiveWriter and read back whole:
//
//   write_shard_archive(dir / "a.tar.gz", {{"db/rp/1/000000001-000000001.tsm", tsm_bytes}});
//   for (const ArchiveFile& f : read_shard_archive(dir / "a.tar.gz")) ...
//
// Raw tar bytes are made here, by a small USTAR encoder independent of the writer, for what the
// writer refuses to write (hostile names, links, devices, a size that lies, a foreign prefix) and
// for testing the reader against bytes it did not write; zlib and libzstd wrap them:
//
//   const std::string tar = tar_of({{"db/rp/1/ok.tsm", "ok"},
//                                   {.name = "db/rp/1/link", .type = '2', .link = "/etc/passwd"}});
//   write_file(dir / "hostile.tar.gz", zlib_gzip(tar));
//
// A failure throws (support/must.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ifx/format/archive/shard_archive.hpp"

namespace ifx::test {

// The mtime the archives written here carry (Unix seconds).
inline constexpr std::int64_t kArchiveMtime = 1700000000;

// One entry: `<db>/<rp>/<shard id>/<file>` and its bytes.
struct ArchiveFile {
  std::string name;
  std::string data;
  std::uint32_t mode = 0644;
  std::int64_t mtime = kArchiveMtime;
  bool operator==(const ArchiveFile&) const = default;
};

// Writes `files` with ShardArchiveWriter (an existing file is replaced), each entry's data in
// odd-sized writes as a stream comes; returns the tar byte count (the manifest `size`, §3.4).
std::uint64_t write_shard_archive(const std::filesystem::path& path, const std::vector<ArchiveFile>& files,
                                  ShardArchiveWriterOptions options = {});

// Adds `files` as entries to an open writer (each entry's data in odd-sized writes).
void write_archive_entries(ShardArchiveWriter& writer, const std::vector<ArchiveFile>& files);

// Every entry of an archive with its data (small archives: all is held in memory).
std::vector<ArchiveFile> read_shard_archive(const std::filesystem::path& path);

// The data of the first entry whose name ends with `suffix`.
std::string entry_data(const std::filesystem::path& archive, std::string_view suffix);

// ---- raw tar ------------------------------------------------------------------------------------

// One tar entry as its header says it. `type`: '0' file, '1' hard link, '2' symlink, '3'
// character device, '4' block device, '5' directory, '6' FIFO. `declared_size`: a size field
// that differs from the data (past 8 GiB written in base-256, as GNU tar and Go do). `prefix`:
// the USTAR prefix field, for a name split by another writer.
struct TarEntry {
  std::string name;
  std::string data;
  char type = '0';
  std::string link;
  std::optional<std::uint64_t> declared_size;
  std::string prefix;
};

// The 512-byte USTAR header of `entry` (mode 0644, uid/gid 0, root/root, kArchiveMtime).
std::string ustar_header(const TarEntry& entry);
// Header and data, padded to a 512-byte boundary.
std::string tar_entry(const TarEntry& entry);
// `data` padded with zeros to a 512-byte boundary.
std::string tar_padded(std::string data);
// Every entry, then the end-of-archive marker.
std::string tar_of(const std::vector<TarEntry>& entries);
// The end-of-archive marker: two zero blocks.
inline const std::string kTarEnd(1024, '\0');

// ---- gzip and zstd of raw bytes, by zlib and libzstd ----------------------------------------------

// One gzip member of `data` made by zlib. `sync_flush_every` > 0: chunks of that size each
// ending in a sync flush, then an empty final block, as pgzip writes them (§3.3).
std::string zlib_gzip(std::string_view data, std::size_t sync_flush_every = 0, int level = 6);

// One gzip member made by zlib from pieces fed in order; zeros are fed 1 MiB at a time, so an
// input of hundreds of MiB (a decompression bomb) is never held whole.
class ZlibGzipStream {
 public:
  explicit ZlibGzipStream(int level = 6, int mem_level = 8);
  ~ZlibGzipStream();
  void add(std::string_view data, bool sync_flush = false);
  void add_zeros(std::uint64_t count);
  std::string finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Every gzip member inflated by zlib (which checks CRC-32 and ISIZE); nullopt when zlib reports
// damage or bytes follow the last member that do not start another.
std::optional<std::string> zlib_gunzip(std::string_view gz);

// One zstd frame made by libzstd (level 3).
std::string zstd_compress(std::string_view data);

}  // namespace ifx::test
