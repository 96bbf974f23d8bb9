// Independent pieces of work (one shard each, typically) spread over a few threads.
#pragma once

#include <cstddef>
#include <functional>

namespace ifx::cli {

// Calls work(i) once for every i in [0, count), on up to `jobs` threads (0: the number of cores;
// never more threads than pieces), the calling thread included; returns when all are done.
// `work` must not throw, and must write only to what piece i owns.
void for_each_in_parallel(std::size_t count, unsigned jobs, const std::function<void(std::size_t)>& work);

}  // namespace ifx::cli
