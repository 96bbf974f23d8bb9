// Shard archives: the tar stream of docs/FORMATS.md §4.1, raw (legacy `db.rp.00001.00`, §2.4),
// gzip-wrapped (portable `<base>.sN.tar.gz`, §3.3) or zstd-wrapped (ifxkit's own option).
// Reader and writer stream: memory stays bounded whatever the size of an entry.
#pragma once

#include "ifx/format/io/atomic_file.hpp"
#include "ifx/format/error.hpp"

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ifx {

enum class ArchiveCompression { none, gzip, zstd };

std::string_view to_string(ArchiveCompression c);

// By magic bytes: gzip 1f 8b, zstd 28 b5 2f fd, anything else is a plain tar.
ArchiveCompression detect_compression(std::span<const std::uint8_t> head);

// A tar entry name split as docs/FORMATS.md §4.1 requires: `<db>/<rp>/<shardID decimal>/<file>`.
struct ShardEntryName {
  std::string db;
  std::string rp;
  std::uint64_t shard_id = 0;
  std::string file;  // a plain file name, e.g. 000000001-000000001.tsm
};

// "unsafe-path" unless `name` has exactly four non-empty components, none of them "." or "..",
// the third all decimal digits (fits in 64 bits). An absolute path has an empty first component.
Result<ShardEntryName> parse_shard_entry_name(std::string_view name);
// `<db>/<rp>/<shardID>/<file>`, the name every entry of a shard's tar carries (docs/FORMATS.md §4.1).
std::string shard_entry_name(std::string_view db, std::string_view rp, std::uint64_t shard_id,
                             std::string_view file);

struct ArchiveEntry {
  std::string name;  // full path: PAX `path`, or USTAR prefix + "/" + name
  ShardEntryName shard;
  std::uint64_t size = 0;
  std::uint32_t mode = 0;           // permission bits, e.g. 0644
  std::int64_t mtime = 0;           // Unix seconds
  std::uint64_t header_offset = 0;  // where the entry's first header starts in the tar stream
};

// Which shard the caller expects the archive to hold; an entry naming another is "unsafe-path"
// (extracting it would write outside the shard being restored).
struct ShardExpectation {
  std::optional<std::string> db;
  std::optional<std::string> rp;
  std::optional<std::uint64_t> shard_id;
};

struct ShardArchiveReaderOptions {
  ShardExpectation expect;
  // Decompression-bomb guard ("decompression-bomb"): once more than `bomb_grace_bytes` of tar
  // came out, uncompressed/compressed must stay <= max_ratio (deflate tops out near 1032:1).
  double max_ratio = 1000.0;
  std::uint64_t bomb_grace_bytes = 8u << 20;
  // Hard cap on the uncompressed tar size, 0 = none.
  std::uint64_t max_uncompressed_bytes = 0;
};

// Reads a shard archive file entry by entry. Errors carry the file path, the entry name and the
// offset: an offset in the tar stream for tar errors ("tar-header", "tar-truncated",
// "unsafe-path"), an offset in the file for compression errors ("gzip-truncated", "gzip-crc",
// "gzip-invalid", "zstd-invalid", "decompression-bomb"). After an error the reader is finished.
class ShardArchiveReader {
 public:
  static Result<ShardArchiveReader> open(const std::filesystem::path& path, ShardArchiveReaderOptions options = {});
  // The same over an open descriptor, which the reader takes over (and closes), read from its
  // current position to its end: a pipe works. `name` stands for the path in errors.
  static Result<ShardArchiveReader> open_fd(int fd, const std::string& name, ShardArchiveReaderOptions options = {});
  ShardArchiveReader(ShardArchiveReader&&) noexcept;
  ShardArchiveReader& operator=(ShardArchiveReader&&) noexcept;
  ~ShardArchiveReader();

  // Advances to the next entry (skipping unread data of the current one). false at the end,
  // which is only reported after the end-of-archive marker (two zero blocks, §4.1) and, for
  // compressed files, the whole compressed stream with its trailer have been checked.
  Result<bool> next(ArchiveEntry& entry);
  // Reads the current entry's data; 0 at its end.
  Result<std::size_t> read(std::span<std::uint8_t> out);
  // Copies the rest of the current entry's data to `fd` (the file `dest`, named in a failed
  // write's "io" error: that error's file is `dest`, not the archive); returns the bytes copied.
  Result<std::uint64_t> copy_to_fd(int fd, const std::filesystem::path& dest);

  ArchiveCompression compression() const;
  // Names that occurred more than once, in order of their second occurrence. Legal: influxd's
  // exact-boundary export writes a file twice and the later copy wins (§4.4).
  const std::vector<std::string>& duplicate_names() const;
  // Tar bytes produced so far (at the end: the whole stream, trailer included; the portable
  // manifest's shard `size` must equal it, §3.4) and file bytes consumed so far.
  std::uint64_t uncompressed_bytes() const;
  std::uint64_t compressed_bytes() const;

 private:
  struct State;
  explicit ShardArchiveReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

struct ShardArchiveWriterOptions {
  ArchiveCompression compression = ArchiveCompression::gzip;
  // The compressor's default unless set: gzip through ISA-L igzip level 1 with hardly
  // compressible chunks stored (GzipWriterOptions, archive/gzip.hpp), zstd -1 (both chosen for
  // TSM data). Explicit: gzip 1-12 (libdeflate, every chunk), zstd -7..22.
  static constexpr int kDefaultLevel = std::numeric_limits<int>::min();
  int level = kDefaultLevel;
  // gzip: the tar is cut into 1 MiB chunks, each deflated (or stored) into its own gzip member
  // (RFC 1952 §2.2 allows several; gzip, Go's gzip.Reader and ours read them all). Up to
  // `threads` chunks are compressed at once; memory stays at ~2 MiB per thread.
  int threads = 1;
  // gzip FNAME (§3.3: `<base>.sN.tar`); empty: no FNAME field.
  std::string gzip_name;
  // gzip MTIME: Go's zero-time artefact 00 09 6e 88 for byte identity with influxd (§3.3).
  std::uint32_t gzip_mtime = 0x886E0900u;
  std::string uname = "root";
  std::string gname = "root";
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  AtomicFileOptions file;
};

// The permission bits and modification time a tar entry records.
struct TarEntryAttributes {
  std::uint32_t mode = 0644;
  std::int64_t mtime = 0;  // Unix seconds
};

struct TarEntryHeader {
  std::string name;  // `<db>/<rp>/<shardID>/<file>`, checked like the reader does
  std::uint64_t size = 0;
  std::uint32_t mode = 0644;
  std::int64_t mtime = 0;  // Unix seconds
};

// Writes a shard archive exactly like Go's archive/tar as influxd does (§4.1) inside the chosen
// compression, through an AtomicFile (nothing appears under the final name before finish()).
class ShardArchiveWriter {
 public:
  static Result<ShardArchiveWriter> create(const std::filesystem::path& path, ShardArchiveWriterOptions options = {});
  ShardArchiveWriter(ShardArchiveWriter&&) noexcept;
  ShardArchiveWriter& operator=(ShardArchiveWriter&&) noexcept;
  ~ShardArchiveWriter();  // without finish(): the .pending file is removed

  // Starts an entry; exactly `header.size` bytes must then be written before the next one.
  Result<void> begin_entry(const TarEntryHeader& header);
  Result<void> write(std::span<const std::uint8_t> data);
  // Adds a whole file from disk under `name`: size from fstat, mode and mtime as given, else
  // from fstat too.
  Result<void> add_file(const std::string& name, const std::filesystem::path& source,
                        std::optional<TarEntryAttributes> attributes = std::nullopt);
  // Pass-through: appends bytes of a complete tar stream made elsewhere (a shard as influxd
  // sends it, §4.3, which the backup stores verbatim, §2.4/§3.3). Cannot be mixed with
  // begin_entry(); finish() then adds no end-of-archive marker (the stream carries its own).
  Result<void> write_tar_stream(std::span<const std::uint8_t> tar_bytes);

  // Writes the end-of-archive marker and the compression trailer, commits the file.
  // Returns the uncompressed tar byte count (the manifest `size`, §3.4).
  Result<std::uint64_t> finish();

  std::uint64_t uncompressed_bytes() const;
  // SHA-256 of the archive file's bytes, after finish() when options.file.sha256 was set.
  const std::string& file_sha256() const;
  const std::filesystem::path& path() const;

 private:
  struct State;
  explicit ShardArchiveWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ifx
