#include "ifx/format/io/prometheus_textfile.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "ifx/format/io/atomic_file.hpp"
#include "ifx/format/text/go_float.hpp"
#include "ifx/format/text/utf8.hpp"

namespace ifx {
namespace fs = std::filesystem;

namespace {

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_label_name_char(char c) { return is_ascii_letter(c) || is_digit(c) || c == '_'; }
bool is_metric_name_char(char c) { return is_label_name_char(c) || c == ':'; }

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view n) {
  if (n.empty() || is_digit(n.front())) return false;
  for (char c : n)
    if (!is_metric_name_char(c)) return false;
  return true;
}

// [a-zA-Z_][a-zA-Z0-9_]*, and not `__…` (reserved for Prometheus's own labels).
bool valid_label_name(std::string_view n) {
  if (n.empty() || is_digit(n.front()) || n.starts_with("__")) return false;
  for (char c : n)
    if (!is_label_name_char(c)) return false;
  return true;
}

// HELP text escapes backslash and newline; a label value also the double quote. Prometheus's
// parser refuses text that is not UTF-8, and a repository path may hold any bytes: those that
// start no valid sequence become U+FFFD, as Go's decoder reads them.
void append_escaped(std::string& out, std::string_view s, bool quote) {
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote) out += "\\\"";
    else if (static_cast<unsigned char>(c) < 0x80) out += c;
    else {
      const auto rune = text::decode_rune(s, i);
      if (rune.length == 0) {
        out += text::kReplacementCharacter;
        ++i;
        continue;
      }
      out.append(s.substr(i, rune.length));
      i += rune.length;
      continue;
    }
    ++i;
  }
}

// The directory's flock, held while this process's NAME.pending exists (see write()). Writers
// hold it for the few milliseconds of one small write; after 10 s of waiting, or on a file
// system that cannot lock a directory, the write goes on without it.
class DirectoryLock {
 public:
  explicit DirectoryLock(const fs::path& dir) : fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if ((errno != EWOULDBLOCK && errno != EINTR) || std::chrono::steady_clock::now() >= deadline) release();
      else std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  ~DirectoryLock() { release(); }
  bool held() const { return fd_ >= 0; }

 private:
  void release() {
    if (fd_ >= 0) ::close(fd_);  // releases the flock
    fd_ = -1;
  }
  int fd_;
};

std::optional<double> parse_value(std::string_view t) {
  // Go's ParseFloat, which Prometheus's parser uses: a sign, decimal or exponent form, and
  // "Inf"/"NaN" in any case. from_chars takes all of that but a leading '+'.
  if (t.size() > 1 && t.front() == '+' && t[1] != '-' && t[1] != '+') t.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return v;
}

// One sample line: name [ '{' label '=' '"' value '"' { ',' … } [','] '}' ] value [ timestamp ]
std::optional<PrometheusSample> parse_sample(std::string_view line) {
  std::size_t i = 0;
  auto skip_blanks = [&] {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  };
  auto word = [&](auto is_char) {
    const std::size_t from = i;
    while (i < line.size() && is_char(line[i])) ++i;
    return line.substr(from, i - from);
  };
  PrometheusSample s;
  skip_blanks();
  s.name = word(is_metric_name_char);
  if (!valid_metric_name(s.name)) return std::nullopt;
  skip_blanks();
  if (i < line.size() && line[i] == '{') {
    ++i;
    for (;;) {
      skip_blanks();
      if (i < line.size() && line[i] == '}') break;
      const std::string label(word(is_label_name_char));
      skip_blanks();
      if (label.empty() || i >= line.size() || line[i++] != '=') return std::nullopt;
      skip_blanks();
      if (i >= line.size() || line[i++] != '"') return std::nullopt;
      std::string value;
      for (;; ++i) {
        if (i >= line.size()) return std::nullopt;
        if (line[i] == '"') break;
        if (line[i] != '\\') {
          value += line[i];
          continue;
        }
        if (++i >= line.size()) return std::nullopt;
        if (line[i] == 'n') value += '\n';
        else if (line[i] == '\\' || line[i] == '"') value += line[i];
        else return std::nullopt;
      }
      ++i;  // the closing quote
      s.labels[label] = std::move(value);
      skip_blanks();
      if (i < line.size() && line[i] == ',') ++i;
      else if (i >= line.size() || line[i] != '}') return std::nullopt;
    }
    ++i;  // '}'
    skip_blanks();
  }
  const auto value = parse_value(word([](char c) { return c != ' ' && c != '\t'; }));
  if (!value) return std::nullopt;
  s.value = *value;
  skip_blanks();
  word([](char c) { return is_digit(c) || c == '-'; });  // a timestamp, which the value does not need
  skip_blanks();
  if (i != line.size()) return std::nullopt;
  return s;
}

}  // namespace

std::string format_prometheus_value(double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 0x1p53)
    return fmt::format("{}", static_cast<std::int64_t>(v));  // -0 too becomes "0"
  return text::format_go_float(v);
}

void PrometheusTextfile::set_gauge(std::string_view name, std::string_view help, const PrometheusLabels& labels,
                                   double value) {
  std::string bad;
  if (!valid_metric_name(name)) bad = fmt::format("metric name \"{}\"", name);
  for (const auto& [label, unused] : labels)
    if (bad.empty() && !valid_label_name(label)) bad = fmt::format("label name \"{}\" of {}", label, name);
  if (!bad.empty()) {
    if (!invalid_) invalid_ = Error{ErrorCode::invalid_argument, "Prometheus does not accept the " + bad, {}, {}, {}};
    return;
  }
  auto it = families_.find(name);
  if (it == families_.end()) it = families_.emplace(std::string(name), Family{std::string(help), {}}).first;
  it->second.samples[labels] = value;
}

std::string PrometheusTextfile::render() const {
  std::string out;
  for (const auto& [name, family] : families_) {
    out += fmt::format("# HELP {} ", name);
    append_escaped(out, family.help, false);
    out += fmt::format("\n# TYPE {} gauge\n", name);
    for (const auto& [labels, value] : family.samples) {
      out += name;
      if (!labels.empty()) {
        char sep = '{';
        for (const auto& [label, text] : labels) {
          out += fmt::format("{}{}=\"", sep, label);
          append_escaped(out, text, true);
          out += '"';
          sep = ',';
        }
        out += '}';
      }
      out += fmt::format(" {}\n", format_prometheus_value(value));
    }
  }
  return out;
}

Result<void> PrometheusTextfile::write(const fs::path& path) const {
  if (invalid_) return std::unexpected(*invalid_);
  const std::string text = render();
  // AtomicFile refuses an existing NAME.pending (it may be another writer's), so one left by a
  // writer killed between create and rename (a power cut during its fsync) would stop every
  // later run's metrics for good. Every writer here holds the directory's flock while its
  // NAME.pending exists: one found under the lock is a dead writer's, and is removed.
  DirectoryLock lock(path.parent_path().empty() ? fs::path(".") : path.parent_path());
  if (lock.held()) {
    std::error_code ec;
    fs::remove(pending_path_of(path), ec);
  }
  auto file = AtomicFile::create(path, {.mode = 0644, .replace_existing = true});
  if (!file) return std::unexpected(file.error());
  // The collector runs as a user of its own: the file must be readable by others whatever umask
  // the nightly job has (cron jobs and systemd units often run with 077), and O_CREAT's mode
  // went through it.
  if (::chmod(file->pending_path().c_str(), 0644) != 0)
    return fail_in_file(ErrorCode::io, file->pending_path().string(),
                        fmt::format("cannot chmod {}: {}", file->pending_path().string(), std::strerror(errno)));
  if (auto r = file->write({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}); !r) return r;
  return file->commit();
}

Result<std::vector<PrometheusSample>> read_prometheus_textfile(const fs::path& path) {
  std::vector<PrometheusSample> samples;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(path, ec))) return samples;
    return fail_in_file(ErrorCode::io, path.string(), fmt::format("cannot read {}", path.string()));
  }
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    auto sample = parse_sample(line);
    if (!sample)
      return fail_in_file(ErrorCode::invalid_argument, path.string(),
                          fmt::format("{} line {} is not a Prometheus sample: {}", path.string(), number, line));
    samples.push_back(std::move(*sample));
  }
  if (in.bad()) return fail_in_file(ErrorCode::io, path.string(), fmt::format("cannot read {}", path.string()));
  return samples;
}

std::vector<const PrometheusSample*> find_prometheus_samples(const std::vector<PrometheusSample>& samples,
                                                             std::string_view name, const PrometheusLabels& labels) {
  std::vector<const PrometheusSample*> found;
  for (const auto& s : samples) {
    if (s.name != name) continue;
    if (std::all_of(labels.begin(), labels.end(), [&](const auto& l) {
          auto it = s.labels.find(l.first);
          return it != s.labels.end() && it->second == l.second;
        }))
      found.push_back(&s);
  }
  return found;
}

}  // namespace ifx
