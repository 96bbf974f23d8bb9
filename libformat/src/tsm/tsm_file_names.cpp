#include "ifx/format/tsm/tsm_file_names.hpp"

#include <fmt/format.h>

namespace ifx::tsm {

bool is_tsm_file(std::string_view name) { return name.ends_with(".tsm"); }
bool is_tombstone_file(std::string_view name) { return name.ends_with(".tombstone"); }

std::string tsm_file_name(std::uint64_t generation, std::uint64_t sequence) {
  return fmt::format("{:09d}-{:09d}.tsm", generation, sequence);
}

std::filesystem::path tombstone_path_for(const std::filesystem::path& tsm) {
  std::filesystem::path t = tsm;
  t.replace_extension(".tombstone");
  return t;
}

}  // namespace ifx::tsm
