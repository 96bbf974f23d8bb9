// The names of a shard directory's files (docs/FORMATS.md §6.3, §6.6): TSM files
// `<generation %09d>-<sequence %09d>.tsm`, whose name order is their generation order (a later
// file wins on the same key and timestamp), and beside a TSM file its tombstone file, the same
// stem with `.tombstone`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ifx::tsm {

bool is_tsm_file(std::string_view name);
bool is_tombstone_file(std::string_view name);
// `000000001-000000001.tsm`
std::string tsm_file_name(std::uint64_t generation, std::uint64_t sequence);
// A TSM file name's generation and sequence, both decimal (influxd parses them so; it writes them
// %09d but reads any width). nullopt for any other name.
struct TsmFileName {
  std::uint64_t generation = 0;
  std::uint64_t sequence = 0;
};
std::optional<TsmFileName> parse_tsm_file_name(std::string_view name);
// The tombstone file that belongs to the TSM file at `tsm`.
std::filesystem::path tombstone_path_for(const std::filesystem::path& tsm);

}  // namespace ifx::tsm
