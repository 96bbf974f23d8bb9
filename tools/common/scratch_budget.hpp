// Scratch space shared by jobs running at once (ifx-restore's staged shards): a job reserves what
// it is about to write before writing it, and waits while the others' reservations and its own
// would not fit in the space that was free at the start. One job always goes ahead, so a shard
// larger than the whole space still runs and fails with the disk's own error, naming the file.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>

namespace ifx::tools {

class ScratchBudget {
 public:
  // `available`: the bytes the jobs may use together.
  explicit ScratchBudget(std::uint64_t available) : available_(available) {}
  // The space free under `dir` now (unlimited when the file system does not say).
  static ScratchBudget for_directory(const std::filesystem::path& dir);

  // Waits until `bytes` fit beside the other reservations (or none is held), then holds them.
  // false when `give_up` turned true while waiting (checked every 50 ms): nothing is held.
  bool reserve(std::uint64_t bytes, const std::function<bool()>& give_up);
  void release(std::uint64_t bytes);

  // A reservation released when it goes out of scope.
  class Hold {
   public:
    Hold(ScratchBudget& budget, std::uint64_t bytes) : budget_(&budget), bytes_(bytes) {}
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    ~Hold() { budget_->release(bytes_); }

   private:
    ScratchBudget* budget_;
    std::uint64_t bytes_;
  };

  std::uint64_t reserved() const;

 private:
  std::uint64_t available_;
  std::uint64_t reserved_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable released_;
};

}  // namespace ifx::tools
