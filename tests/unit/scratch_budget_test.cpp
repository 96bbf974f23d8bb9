// ScratchBudget (tools/common): jobs that would not fit in the scratch space together wait for
// each other; one job always goes ahead; a waiting job can give up.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "common/scratch_budget.hpp"

namespace {

using ifx::tools::ScratchBudget;
using namespace std::chrono_literals;

TEST(ScratchBudget, AJobThatDoesNotFitWaitsUntilAnotherReleases) {
  ScratchBudget budget(100);
  ASSERT_TRUE(budget.reserve(60, {}));
  std::atomic<bool> second_holds{false};
  std::thread second([&] {
    ASSERT_TRUE(budget.reserve(60, {}));  // 60 + 60 > 100: waits for the first
    second_holds = true;
    budget.release(60);
  });
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(second_holds) << "the second job went ahead while the first held 60 of 100 bytes";
  EXPECT_EQ(budget.reserved(), 60u);
  budget.release(60);
  second.join();
  EXPECT_TRUE(second_holds);
  EXPECT_EQ(budget.reserved(), 0u);
}

TEST(ScratchBudget, JobsThatFitTogetherRunTogether) {
  ScratchBudget budget(100);
  ASSERT_TRUE(budget.reserve(40, {}));
  ASSERT_TRUE(budget.reserve(60, {}));  // exactly full: no wait (a wait would hang this test)
  EXPECT_EQ(budget.reserved(), 100u);
  { ScratchBudget::Hold held(budget, 0); }
  budget.release(40);
  budget.release(60);
  EXPECT_EQ(budget.reserved(), 0u);
}

TEST(ScratchBudget, ALoneJobLargerThanTheSpaceGoesAhead) {
  ScratchBudget budget(10);
  ASSERT_TRUE(budget.reserve(1000, {}));
  EXPECT_EQ(budget.reserved(), 1000u);
  { ScratchBudget::Hold held(budget, 1000); }  // the hold releases what it names
  EXPECT_EQ(budget.reserved(), 0u);
}

TEST(ScratchBudget, AWaitingJobGivesUpWhenTold) {
  ScratchBudget budget(100);
  ASSERT_TRUE(budget.reserve(80, {}));
  std::atomic<bool> stop{false};
  std::atomic<int> outcome{-1};
  std::thread waiting([&] { outcome = budget.reserve(50, [&] { return stop.load(); }) ? 1 : 0; });
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(outcome, -1);
  stop = true;
  waiting.join();
  EXPECT_EQ(outcome, 0);
  EXPECT_EQ(budget.reserved(), 80u);  // giving up holds nothing
}

TEST(ScratchBudget, ForADirectoryIsTheFreeSpaceThere) {
  const auto free_now = std::filesystem::space(std::filesystem::temp_directory_path()).available;
  ScratchBudget budget = ScratchBudget::for_directory(std::filesystem::temp_directory_path());
  // Two reservations of 60% of the free space cannot be held at once.
  const std::uint64_t share = free_now / 10 * 6;
  ASSERT_TRUE(budget.reserve(share, {}));
  std::atomic<bool> stop{false};
  std::thread second([&] { EXPECT_FALSE(budget.reserve(share, [&] { return stop.load(); })); });
  std::this_thread::sleep_for(100ms);
  stop = true;
  second.join();
}

}  // namespace
