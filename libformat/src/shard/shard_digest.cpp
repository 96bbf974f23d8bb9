// The digest of a shard's data files: each file hashed as its tar entry streams past, the digests
// of the copies that win (the newest of a name) combined in name order at the end, so no file is
// ever held or written out.
#include "ifx/format/shard/shard_digest.hpp"

#include <map>
#include <vector>

#include <fmt/format.h>

#include "ifx/format/io/checksum.hpp"
#include "ifx/format/shard/shard_files.hpp"
#include "ifx/format/tsm/tsm_file_names.hpp"

namespace ifx {
namespace {

constexpr std::size_t kChunkBytes = 256 * 1024;

struct FileDigest {
  std::uint64_t bytes = 0;
  std::string sha256;
};

Result<FileDigest> digest_entry_data(ShardArchiveReader& reader, std::vector<std::uint8_t>& buffer) {
  Sha256 sha;
  FileDigest out;
  while (true) {
    auto got = reader.read(buffer);
    if (!got) return std::unexpected(std::move(got.error()));
    if (*got == 0) break;
    sha.update({buffer.data(), *got});
    out.bytes += *got;
  }
  out.sha256 = sha.finish_hex();
  return out;
}

}  // namespace

Result<ShardDataDigest> digest_shard_data(const BackupSet& set, const ShardInBackup& shard) {
  std::map<std::string, FileDigest> files;  // by name: a later copy replaces an earlier one
  std::vector<std::uint8_t> buffer(kChunkBytes);
  ShardEntryVisitor visitor;
  visitor.on_entry = [&](ShardArchiveReader& reader, const ArchiveEntry& e, const ShardArchiveSource&) -> Result<bool> {
    if (!tsm::is_tsm_file(e.shard.file) && !tsm::is_tombstone_file(e.shard.file)) return true;
    auto digest = digest_entry_data(reader, buffer);
    if (!digest) return std::unexpected(std::move(digest.error()));
    files[e.shard.file] = std::move(*digest);
    return true;
  };
  if (auto r = for_each_shard_entry(shard_archive_sources(set, shard), shard_expectation(shard), visitor); !r)
    return std::unexpected(std::move(r.error()));

  ShardDataDigest out;
  Sha256 all;
  for (const auto& [name, f] : files) {
    const std::string line = fmt::format("{}\n{}\n{}\n", name, f.bytes, f.sha256);
    all.update({reinterpret_cast<const std::uint8_t*>(line.data()), line.size()});
    ++out.files;
    out.bytes += f.bytes;
  }
  out.sha256 = all.finish_hex();
  return out;
}

}  // namespace ifx
