// Whether a running process holds a server's directories: an offline restore must not write
// into them and an offline backup must not read them half-written (a running influxd compacts,
// renames and deletes TSM files and WAL segments under it).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ifx::cli {

// The first process that has a file open below one of `dirs`, maps one, or is an influxd whose
// -config names one of them: "process 1234 (influxd) has /var/lib/influxdb/wal/… open". Empty
// paths are ignored; the others are compared canonical. Processes of other users that cannot be
// inspected are not seen.
std::optional<std::string> process_using(const std::vector<std::filesystem::path>& dirs);

}  // namespace ifx::cli
