#include "ifx/format/check/read_once.hpp"

#include <fmt/format.h>

namespace ifx::check {

std::optional<std::string> ReadOnce::sha256(const FileIdentity& file) const {
  std::lock_guard lock(mutex_);
  auto it = digests_.find(file);
  if (it == digests_.end()) return std::nullopt;
  return it->second;
}

void ReadOnce::remember_sha256(const FileIdentity& file, std::string digest) {
  std::lock_guard lock(mutex_);
  digests_.emplace(file, std::move(digest));
}

std::optional<std::string> ReadOnce::shard_key(const std::vector<ShardArchiveSource>& archives,
                                               const ShardExpectation& expect, bool quick) {
  if (archives.empty()) return std::nullopt;
  // Each part is length-prefixed or a number, so no two different shards share a key.
  std::string key = fmt::format("{}:{}|{}:{}|{}|{}", expect.db.value_or("").size(), expect.db.value_or(""),
                                expect.rp.value_or("").size(), expect.rp.value_or(""),
                                expect.shard_id ? std::to_string(*expect.shard_id) : "-", quick ? 1 : 0);
  for (const auto& a : archives) {
    if (a.missing || a.open) return std::nullopt;
    auto id = identity_of(a.path);
    if (!id) return std::nullopt;
    key += fmt::format("|{}/{}/{}/{}/{}", id->device, id->inode, id->size, id->mtime_ns,
                       a.manifest_size ? std::to_string(*a.manifest_size) : "-");
  }
  return key;
}

std::optional<ReadOnce::CleanShard> ReadOnce::clean_shard(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = shards_.find(key);
  if (it == shards_.end()) return std::nullopt;
  return it->second;
}

void ReadOnce::remember_clean_shard(const std::string& key, const CleanShard& outcome) {
  std::lock_guard lock(mutex_);
  shards_.emplace(key, outcome);
}

std::uint64_t ReadOnce::reads_skipped() const {
  std::lock_guard lock(mutex_);
  return reads_skipped_;
}

std::uint64_t ReadOnce::bytes_skipped() const {
  std::lock_guard lock(mutex_);
  return bytes_skipped_;
}

void ReadOnce::count_skipped(std::uint64_t reads, std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  reads_skipped_ += reads;
  bytes_skipped_ += bytes;
}

}  // namespace ifx::check
