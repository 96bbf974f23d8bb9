// ifx-diff's comparison of the two meta stores: databases and retention policies added, removed,
// or changed in their settings or in the shards they hold.
#pragma once

#include <vector>

#include "ifx-diff/diff.hpp"
#include "ifx/format/meta/meta_store.hpp"

namespace ifx::diff {

// Within the filters (with -shard: the database and RP holding that shard), by name. `shards` are
// the compared shards: an RP is changed when one of its shards is not unchanged, unreadable when
// one is unreadable and nothing else differs.
std::vector<DatabaseDiff> compare_databases(const Options& options, const meta::MetaData& old_meta,
                                            const meta::MetaData& new_meta, const std::vector<ShardDiff>& shards);

}  // namespace ifx::diff
