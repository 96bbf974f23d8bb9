// --metrics of ifx-backup, ifx-prune and ifx-verify, run as binaries against a real influxd:
// every file passes the real `promtool check metrics` without a complaint, its values equal what
// the same run printed with --json, a failed backup or prune keeps the last success of the run
// before (what the alert on its age needs), the files of two tools never hold the same series
// (node_exporter refuses that), no temporary file stays beside them, and the alert rules of
// docs/nightly.md pass `promtool check rules` and fire when they should (`promtool test rules`).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ifx-backup/backup.hpp"
#include "ifx/format/backup/repository.hpp"
#include "ifx/format/io/prometheus_textfile.hpp"
#include "support/child_process.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"
#include "support/run.hpp"
#include "support/server_data.hpp"
#include "support/server_suite.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::PrometheusLabels;
using ifx::test::run_command;
using ifx::test::ScratchDir;
using ifx::test::shell_quote;
using ifx::test::tool;
using json = nlohmann::json;

bool have_promtool() { return run_command({"/bin/sh", "-c", "command -v promtool"}).exit_code == 0; }

// `promtool check metrics < FILE`: exit 0, and nothing printed (its lint complaints included).
void expect_promtool_accepts(const fs::path& file) {
  const auto r = run_command({"/bin/sh", "-c", "promtool check metrics < " + shell_quote(file.string())});
  EXPECT_EQ(r.exit_code, 0) << file << ":\n" << r.out << r.err << ifx::test::read_file(file);
  EXPECT_EQ(r.out + r.err, "") << file;
}

double now_seconds() {
  using namespace std::chrono;
  return static_cast<double>(duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
}

// A metrics file read back: the value of one series, or none.
class MetricsFile {
 public:
  explicit MetricsFile(const fs::path& file) : file_(file) {
    auto s = ifx::read_prometheus_textfile(file);
    EXPECT_TRUE(s) << s.error().describe();
    if (s) samples_ = std::move(*s);
  }
  std::optional<double> value(std::string_view name, const PrometheusLabels& labels) const {
    for (const auto& s : samples_)
      if (s.name == name && s.labels == labels) return s.value;
    return std::nullopt;
  }
  // Every series of `name`, whatever its labels.
  std::size_t count(std::string_view name) const {
    return static_cast<std::size_t>(
        std::count_if(samples_.begin(), samples_.end(), [&](const auto& s) { return s.name == name; }));
  }
  const std::vector<ifx::PrometheusSample>& samples() const { return samples_; }
  // "# HELP name text" of every family.
  std::map<std::string, std::string> help() const {
    std::map<std::string, std::string> out;
    for (std::string line : split_lines(ifx::test::read_file(file_)))
      if (line.starts_with("# HELP ")) {
        line.erase(0, 7);
        const auto space = line.find(' ');
        out[line.substr(0, space)] = line.substr(space + 1);
      }
    return out;
  }

 private:
  static std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t from = 0;
    for (std::size_t nl; (nl = text.find('\n', from)) != std::string::npos; from = nl + 1)
      lines.push_back(text.substr(from, nl - from));
    return lines;
  }
  fs::path file_;
  std::vector<ifx::PrometheusSample> samples_;
};

PrometheusLabels with(PrometheusLabels labels, const std::string& name, const std::string& value) {
  labels[name] = value;
  return labels;
}

// Bytes of every file of every snapshot (a name each), and of each inode once.
std::pair<std::uint64_t, std::uint64_t> repository_bytes(const fs::path& repo) {
  std::uint64_t logical = 0;
  std::map<std::pair<dev_t, ino_t>, std::uint64_t> inodes;
  for (const auto& s : ifx::test::names_in(repo)) {
    if (s == "latest" || !fs::is_directory(repo / s) || s.find('.') != std::string::npos) continue;
    for (const auto& f : fs::directory_iterator(repo / s)) {
      struct stat st {};
      if (::lstat(f.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      logical += static_cast<std::uint64_t>(st.st_size);
      inodes[{st.st_dev, st.st_ino}] = static_cast<std::uint64_t>(st.st_size);
    }
  }
  std::uint64_t on_disk = 0;
  for (const auto& [id, size] : inodes) on_disk += size;
  return {logical, on_disk};
}

class Metrics : public ifx::test::ServerSuite<Metrics> {
 protected:
  static void SetUpTestSuite() {
    ServerSuite::SetUpTestSuite();
    server_->query("CREATE DATABASE night WITH SHARD DURATION 1d");
    std::vector<std::string> lines;
    for (int day = 0; day < 4; ++day)
      for (int i = 0; i < 40; ++i)
        lines.push_back(fmt::format("cpu,host=a v={} {}", day * 100 + i,
                                    ifx::test::kJan2022 + day * ifx::test::kDay + i * ifx::test::kSecond));
    server_->write("night", lines);
  }

  void SetUp() override {
    if (!have_promtool()) GTEST_SKIP() << "promtool is not installed (scripts/deps installs the prometheus package)";
    fs::create_directories(textfiles_);
  }

  // ifx-backup --repo into repo_, writing `metrics`; its --json when it succeeded.
  ifx::test::Ran backup(const fs::path& metrics, const std::string& host) const {
    return run_command({tool("ifx-backup"), "-portable", "-host", host, "--http", server_->http_url(), "-db", "night",
                        "--repo", repo_.string(), "--metrics", metrics.string(), "--json", "--progress", "none"});
  }

  PrometheusLabels labels(const fs::path& repository, const std::string& host) const {
    return {{"repository", fs::absolute(repository).lexically_normal().string()}, {"host", host}};
  }

  ScratchDir scratch_{"ifx-metrics-test"};
  fs::path repo_ = scratch_ / "repo";
  fs::path textfiles_ = scratch_ / "textfile_collector";
};

TEST_F(Metrics, BackupsInARepositoryThenAFailedOneThatKeepsTheLastSuccess) {
  const fs::path prom = textfiles_ / "ifxkit-backup.prom";
  const PrometheusLabels l = labels(repo_, server_->rpc_address());

  const double before = now_seconds();
  const auto first = backup(prom, server_->rpc_address());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const json j1 = json::parse(first.out);
  expect_promtool_accepts(prom);
  const MetricsFile m1(prom);
  EXPECT_EQ(m1.value("ifxkit_backup_success", l), 1);
  const auto success1 = m1.value("ifxkit_backup_last_success_timestamp_seconds", l);
  ASSERT_TRUE(success1);
  EXPECT_GE(*success1, before);
  EXPECT_LE(*success1, now_seconds());
  EXPECT_GT(m1.value("ifxkit_backup_duration_seconds", l).value_or(0), 0);
  std::uint64_t received = 0, written = 0;
  for (const auto& s : j1["shards"]) {
    EXPECT_EQ(s["status"], "written");
    received += s["received_bytes"].get<std::uint64_t>();
    written += s["file_bytes"].get<std::uint64_t>();
  }
  EXPECT_GT(received, 0u);
  EXPECT_EQ(m1.value("ifxkit_backup_bytes", with(l, "kind", "received")), received);
  EXPECT_EQ(m1.value("ifxkit_backup_bytes", with(l, "kind", "written")), written);
  EXPECT_EQ(m1.value("ifxkit_backup_bytes", with(l, "kind", "reused")), 0);
  EXPECT_EQ(m1.value("ifxkit_backup_shards", with(l, "status", "written")), j1["shards"].size());
  EXPECT_EQ(m1.value("ifxkit_backup_shards", with(l, "status", "reused")), 0);
  EXPECT_EQ(m1.value("ifxkit_backup_shards", with(l, "status", "skipped")), 0);
  EXPECT_EQ(m1.value("ifxkit_repository_snapshots", with(l, "tool", "ifx-backup")), 1);

  // Nothing changed: the second run shares every shard with the first.
  const auto second = backup(prom, server_->rpc_address());
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const json j2 = json::parse(second.out);
  expect_promtool_accepts(prom);
  const MetricsFile m2(prom);
  std::uint64_t reused_shards = 0, reused_bytes = 0;
  for (const auto& s : j2["shards"])
    if (s["status"] == "reused") ++reused_shards, reused_bytes += s["file_bytes"].get<std::uint64_t>();
  ASSERT_GT(reused_shards, 0u) << second.out;
  EXPECT_EQ(m2.value("ifxkit_backup_shards", with(l, "status", "reused")), reused_shards);
  EXPECT_GT(m2.value("ifxkit_backup_bytes", with(l, "kind", "reused")).value_or(0), 0);
  EXPECT_EQ(m2.value("ifxkit_backup_bytes", with(l, "kind", "reused")), reused_bytes);
  EXPECT_GE(m2.value("ifxkit_backup_last_success_timestamp_seconds", l).value_or(0), *success1);
  const auto success2 = m2.value("ifxkit_backup_last_success_timestamp_seconds", l);
  const PrometheusLabels repo_labels = with(l, "tool", "ifx-backup");
  EXPECT_EQ(m2.value("ifxkit_repository_snapshots", repo_labels), 2);
  const auto [logical, on_disk] = repository_bytes(repo_);
  EXPECT_EQ(m2.value("ifxkit_repository_bytes", with(repo_labels, "kind", "logical")), logical);
  EXPECT_EQ(m2.value("ifxkit_repository_bytes", with(repo_labels, "kind", "on_disk")), on_disk);
  EXPECT_LT(on_disk, logical) << "the second snapshot shares the first one's archives";

  // Nothing listens on port 1: the run fails at once. The repository's last success stays, now
  // under the host this run was given; success 0 and the duration say the night failed.
  const auto failed = backup(prom, "127.0.0.1:1");
  ASSERT_EQ(failed.exit_code, 1) << failed.err;
  expect_promtool_accepts(prom);
  const MetricsFile m3(prom);
  const PrometheusLabels lf = labels(repo_, "127.0.0.1:1");
  EXPECT_EQ(m3.value("ifxkit_backup_success", lf), 0);
  EXPECT_EQ(m3.value("ifxkit_backup_last_success_timestamp_seconds", lf), success2);
  EXPECT_TRUE(m3.value("ifxkit_backup_duration_seconds", lf));
  EXPECT_EQ(m3.count("ifxkit_backup_bytes"), 0u) << "a failed run has no byte counts to tell";

  // And a failure under the same host (the server down): the same series keep the last success.
  server_->stop();
  const auto down = backup(prom, l.at("host"));
  server_->restart();
  ASSERT_EQ(down.exit_code, 1) << down.err;
  expect_promtool_accepts(prom);
  const MetricsFile m4(prom);
  EXPECT_EQ(m4.value("ifxkit_backup_success", l), 0);
  EXPECT_EQ(m4.value("ifxkit_backup_last_success_timestamp_seconds", l), success2);

  // Replaced by a rename each time: nothing but the file in the collector's directory.
  EXPECT_EQ(ifx::test::names_in(textfiles_), std::vector<std::string>{"ifxkit-backup.prom"});
  struct stat st {};
  ASSERT_EQ(::stat(prom.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST_F(Metrics, ABackupIntoADirectoryIsLabelledWithTheDirectory) {
  const fs::path prom = textfiles_ / "plain.prom";
  const fs::path dir = scratch_ / "plain";
  const auto r = run_command({tool("ifx-backup"), "-portable", "-host", server_->rpc_address(), "-db", "night",
                              dir.string(), "--metrics", prom.string(), "--progress", "none"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_promtool_accepts(prom);
  const MetricsFile m(prom);
  EXPECT_EQ(m.value("ifxkit_backup_success", labels(dir, server_->rpc_address())), 1);
  EXPECT_EQ(m.count("ifxkit_repository_snapshots"), 0u);
}

TEST_F(Metrics, PruneAndVerifyMatchTheirJson) {
  const fs::path backup_prom = textfiles_ / "ifxkit-backup.prom";
  const fs::path prune_prom = textfiles_ / "ifxkit-prune.prom";
  const fs::path verify_prom = textfiles_ / "ifxkit-verify.prom";
  for (int i = 0; i < 3; ++i) {
    const auto b = backup(backup_prom, server_->rpc_address());
    ASSERT_EQ(b.exit_code, 0) << b.err;
  }
  // ifx-prune labels its series with the host the newest snapshot's manifest records.
  const PrometheusLabels l = labels(repo_, server_->rpc_address());

  const auto dry = run_command(
      {tool("ifx-prune"), repo_.string(), "--keep-last", "1", "--dry-run", "--metrics", prune_prom.string()});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_FALSE(fs::exists(prune_prom)) << "a dry run writes no metrics";

  const double before = now_seconds();
  const auto pruned = run_command(
      {tool("ifx-prune"), repo_.string(), "--keep-last", "1", "--json", "--metrics", prune_prom.string()});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.err;
  const json jp = json::parse(pruned.out);
  expect_promtool_accepts(prune_prom);
  const MetricsFile mp(prune_prom);
  EXPECT_EQ(mp.value("ifxkit_prune_snapshots", with(l, "action", "kept")), jp["kept"].get<double>());
  EXPECT_EQ(mp.value("ifxkit_prune_snapshots", with(l, "action", "removed")), jp["removed"].get<double>());
  EXPECT_EQ(jp["removed"], 2);
  EXPECT_EQ(mp.value("ifxkit_prune_bytes_freed", l), jp["freed_bytes"].get<double>());
  EXPECT_GT(jp["freed_bytes"].get<double>(), 0);
  const auto success = mp.value("ifxkit_prune_last_success_timestamp_seconds", l);
  ASSERT_TRUE(success);
  EXPECT_GE(*success, before);
  const PrometheusLabels repo_labels = with(l, "tool", "ifx-prune");
  EXPECT_EQ(mp.value("ifxkit_repository_snapshots", repo_labels), 1);
  const auto [logical, on_disk] = repository_bytes(repo_);
  EXPECT_EQ(mp.value("ifxkit_repository_bytes", with(repo_labels, "kind", "logical")), logical);
  EXPECT_EQ(mp.value("ifxkit_repository_bytes", with(repo_labels, "kind", "on_disk")), on_disk);

  // A prune that finds the repository locked: the last success stays, nothing else is claimed.
  {
    auto lock = ifx::RepositoryLock::acquire(repo_, "the test", std::chrono::milliseconds(0));
    ASSERT_TRUE(lock);
    const auto locked = run_command(
        {tool("ifx-prune"), repo_.string(), "--keep-last", "1", "--metrics", prune_prom.string()});
    EXPECT_EQ(locked.exit_code, 4) << locked.err;
  }
  expect_promtool_accepts(prune_prom);
  const MetricsFile locked(prune_prom);
  EXPECT_EQ(locked.value("ifxkit_prune_last_success_timestamp_seconds", l), success);
  EXPECT_EQ(locked.count("ifxkit_prune_snapshots"), 0u);

  // ifx-verify of REPO/latest: the series of the repository, with the host it recorded.
  const auto verified = run_command({tool("ifx-verify"), (repo_ / "latest").string(), "--max-age", "26h", "--json",
                                     "--metrics", verify_prom.string()});
  ASSERT_EQ(verified.exit_code, 0) << verified.err << verified.out;
  const json jv = json::parse(verified.out);
  expect_promtool_accepts(verify_prom);
  const MetricsFile mv(verify_prom);
  EXPECT_EQ(mv.value("ifxkit_verify_valid", l), jv["valid"].get<bool>() ? 1 : 0);
  EXPECT_EQ(mv.value("ifxkit_verify_valid", l), 1);
  EXPECT_EQ(mv.value("ifxkit_verify_defects", l), jv["defects"].size());
  EXPECT_GE(mv.value("ifxkit_verify_last_run_timestamp_seconds", l).value_or(0), before);
  EXPECT_GT(mv.value("ifxkit_verify_duration_seconds", l).value_or(0), 0);
  const auto age = mv.value("ifxkit_verify_backup_age_seconds", l);
  ASSERT_TRUE(age);
  // Three snapshots within a second are named a second apart each: the newest may lie ahead.
  EXPECT_GT(*age, -5);
  EXPECT_LT(*age, 600);

  // A damaged copy outside the repository: its own series, the defects --json lists.
  const fs::path damaged = scratch_ / "damaged";
  fs::copy(repo_ / "latest", damaged, fs::copy_options::recursive);
  for (const auto& f : fs::directory_iterator(damaged))
    if (f.path().string().ends_with(".tar.gz")) {
      fs::resize_file(f.path(), fs::file_size(f.path()) - 20);
      break;
    }
  const auto bad = run_command({tool("ifx-verify"), damaged.string(), "--json", "--metrics", verify_prom.string()});
  ASSERT_EQ(bad.exit_code, 1) << bad.err << bad.out;
  const json jb = json::parse(bad.out);
  expect_promtool_accepts(verify_prom);
  const MetricsFile mb(verify_prom);
  const PrometheusLabels lb = labels(damaged, server_->rpc_address());
  EXPECT_EQ(mb.value("ifxkit_verify_valid", lb), 0);
  EXPECT_GE(jb["defects"].size(), 1u);
  EXPECT_EQ(mb.value("ifxkit_verify_defects", lb), jb["defects"].size());

  // node_exporter reads every file of the directory as one: no series in two files, and one
  // HELP text per name.
  std::set<std::pair<std::string, PrometheusLabels>> series;
  std::map<std::string, std::string> help;
  for (const auto& file : {backup_prom, prune_prom, verify_prom}) {
    const MetricsFile m(file);
    for (const auto& s : m.samples()) EXPECT_TRUE(series.insert({s.name, s.labels}).second) << s.name << " twice";
    for (const auto& [name, text] : m.help()) {
      auto [it, fresh] = help.emplace(name, text);
      EXPECT_EQ(it->second, text) << name;
    }
  }
  EXPECT_EQ(ifx::test::names_in(textfiles_),
            (std::vector<std::string>{"ifxkit-backup.prom", "ifxkit-prune.prom", "ifxkit-verify.prom"}));
}

// The alert rules docs/nightly.md shows are docs/ifxkit-alerts.yml, which promtool accepts, and
// which fire on a backup older than a day and a half and on an invalid one, and not before.
TEST(MetricsDocs, TheAlertRulesPassPromtoolAndFireWhenTheyShould) {
  if (!have_promtool()) GTEST_SKIP() << "promtool is not installed (scripts/deps installs the prometheus package)";
  const fs::path rules = fs::path(IFX_DOCS_DIR) / "ifxkit-alerts.yml";
  const std::string yaml = ifx::test::read_file(rules);
  const std::string page = ifx::test::read_file(fs::path(IFX_DOCS_DIR) / "nightly.md");
  const std::string begin = "<!-- docs/ifxkit-alerts.yml -->\n```yaml\n";
  const auto from = page.find(begin);
  ASSERT_NE(from, std::string::npos) << "docs/nightly.md shows the rules after " << begin;
  EXPECT_EQ(page.substr(from + begin.size(), yaml.size()), yaml) << "docs/nightly.md and docs/ifxkit-alerts.yml differ";

  const auto checked = run_command({"promtool", "check", "rules", rules.string()});
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;

  // promtool's clock starts at 0, one sample a minute: a last success at 0 is 36 h old at 36h,
  // after which the alert (> 1.5 days) fires; ifxkit_verify_valid turns 0 at 3h.
  ScratchDir dir("ifx-alerts-test");
  const std::string series = R"(repository="/backups/repo",host="db1:8088",instance="node1",job="node")";
  const std::string labels = R"(repository: /backups/repo, host: "db1:8088", instance: node1, job: node)";
  ifx::test::write_file(dir / "test.yml", fmt::format(R"(rule_files:
  - {rules}
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'ifxkit_backup_last_success_timestamp_seconds{{{series}}}'
        values: '0x2880'
      - series: 'ifxkit_backup_success{{{series}}}'
        values: '1x2880'
      - series: 'ifxkit_verify_valid{{{series}}}'
        values: '1x179 0x2700'
    alert_rule_test:
      - eval_time: 35h
        alertname: IfxkitBackupTooOld
        exp_alerts: []
      - eval_time: 37h
        alertname: IfxkitBackupTooOld
        exp_alerts:
          - exp_labels: {{severity: critical, {labels}}}
            exp_annotations:
              summary: "No complete backup of /backups/repo for 1d 13h 0m 0s"
      - eval_time: 2h
        alertname: IfxkitBackupInvalid
        exp_alerts: []
      - eval_time: 5h
        alertname: IfxkitBackupInvalid
        exp_alerts:
          - exp_labels: {{severity: critical, {labels}}}
            exp_annotations:
              summary: "ifx-verify found defects in the backup of /backups/repo"
      - eval_time: 20h
        alertname: IfxkitBackupFailed
        exp_alerts: []
)",
                                                      fmt::arg("rules", rules.string()), fmt::arg("series", series),
                                                      fmt::arg("labels", labels)));
  const auto tested = run_command({"promtool", "test", "rules", (dir / "test.yml").string()});
  EXPECT_EQ(tested.exit_code, 0) << tested.out << tested.err;
}

}  // namespace
