#include "common/scratch_budget.hpp"

#include <algorithm>
#include <limits>

namespace ifx::tools {

ScratchBudget ScratchBudget::for_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  const auto space = std::filesystem::space(dir, ec);
  if (ec) return ScratchBudget(std::numeric_limits<std::uint64_t>::max());
  return ScratchBudget(space.available);
}

bool ScratchBudget::reserve(std::uint64_t bytes, const std::function<bool()>& give_up) {
  std::unique_lock lock(mutex_);
  auto fits = [&] { return reserved_ == 0 || (reserved_ <= available_ && bytes <= available_ - reserved_); };
  while (!fits()) {
    if (give_up && give_up()) return false;
    released_.wait_for(lock, std::chrono::milliseconds(50));
  }
  reserved_ += bytes;
  return true;
}

void ScratchBudget::release(std::uint64_t bytes) {
  {
    std::lock_guard lock(mutex_);
    reserved_ -= std::min(bytes, reserved_);
  }
  released_.notify_all();
}

std::uint64_t ScratchBudget::reserved() const {
  std::lock_guard lock(mutex_);
  return reserved_;
}

}  // namespace ifx::tools
