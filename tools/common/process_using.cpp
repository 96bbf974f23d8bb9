// /proc read the way `fuser` and `lsof` read it: each process's open descriptors, its mappings, and
// for influxd its -config file.
#include "common/process_using.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace ifx::cli {
namespace fs = std::filesystem;
namespace {

bool under(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

// Read in steps up to `limit`: allocating `limit` up front cost 16 MiB of zeroed memory per
// process for each /proc/<pid>/maps, over a second of system time per restore on a busy host.
std::string read_text(const fs::path& p, std::size_t limit = 1 << 20) {
  std::ifstream in(p, std::ios::binary);
  std::string s;
  char buf[16384];
  while (in && s.size() < limit) {
    in.read(buf, static_cast<std::streamsize>(std::min(sizeof buf, limit - s.size())));
    s.append(buf, static_cast<std::size_t>(in.gcount()));
  }
  return s;
}

// Which process uses `dirs`: an open file or a mapping below one of them, or an influxd whose
// -config names one of them. Processes of other users we cannot inspect are not seen.
std::optional<std::string> process_using_canonical(const std::vector<std::string>& dirs) {
  DIR* proc = ::opendir("/proc");
  if (!proc) return std::nullopt;
  std::optional<std::string> found;
  const std::string self = std::to_string(::getpid());
  while (dirent* e = ::readdir(proc)) {
    const std::string pid = e->d_name;
    if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid[0])) || pid == self) continue;
    const fs::path base = fs::path("/proc") / pid;
    std::string comm = read_text(base / "comm", 64);
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    auto hit = [&](const std::string& what) {
      found = fmt::format("process {} ({}) {}", pid, comm, what);
      return true;
    };
    std::error_code ec;
    bool done = false;
    for (const auto& fd : fs::directory_iterator(base / "fd", ec)) {
      std::error_code ec2;
      const std::string target = fs::read_symlink(fd.path(), ec2).string();
      for (const auto& d : dirs)
        if (!ec2 && under(target, d)) done = hit("has " + target + " open");
      if (done) break;
    }
    if (!done) {
      std::istringstream maps(read_text(base / "maps", 16 << 20));
      for (std::string line; !done && std::getline(maps, line);) {
        auto slash = line.find('/');
        if (slash == std::string::npos) continue;
        const std::string mapped = line.substr(slash);
        for (const auto& d : dirs)
          if (under(mapped, d)) done = hit("maps " + mapped);
      }
    }
    if (!done && comm == "influxd") {
      const std::string cmdline = read_text(base / "cmdline", 64 << 10);
      std::vector<std::string> args;
      for (std::size_t i = 0; i < cmdline.size();) {
        std::size_t z = cmdline.find('\0', i);
        if (z == std::string::npos) z = cmdline.size();
        args.push_back(cmdline.substr(i, z - i));
        i = z + 1;
      }
      for (std::size_t i = 0; i + 1 < args.size() && !done; ++i)
        if (args[i] == "-config" || args[i] == "--config") {
          fs::path cfg = args[i + 1];
          if (cfg.is_relative()) cfg = fs::read_symlink(base / "cwd", ec) / cfg;
          const std::string text = read_text(cfg);
          for (const auto& d : dirs)
            if (text.find("\"" + d + "\"") != std::string::npos || text.find("\"" + d + "/\"") != std::string::npos)
              done = hit("runs with " + cfg.string() + ", which names " + d);
        }
    }
    if (done) break;
  }
  ::closedir(proc);
  return found;
}

std::string canonical_or_absolute(const fs::path& p) {
  std::error_code ec;
  auto c = fs::weakly_canonical(p, ec);
  return (ec ? fs::absolute(p) : c).string();
}

}  // namespace

std::optional<std::string> process_using(const std::vector<fs::path>& dirs) {
  std::vector<std::string> canonical;
  for (const auto& d : dirs)
    if (!d.empty()) canonical.push_back(canonical_or_absolute(d));
  if (canonical.empty()) return std::nullopt;
  return process_using_canonical(canonical);
}

}  // namespace ifx::cli
