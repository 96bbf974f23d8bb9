"""Shared helpers for the whole-tool comparisons in bench/ (Python 3 stdlib only).

    from benchlib import Cmd, Target, compare_main
    compare_main("ifx-verify vs pigz -t", lambda ctx: [
        Cmd("ifx-verify", argv=[ctx.tool("ifx-verify"), ctx.portable], role="candidate"),
        Cmd("anchor: pigz -t", shell=ctx.each_archive("pigz -t {f}"), role="anchor"),
    ], Target(min_ratio=0.5, max_rss_mib=64))

What is measured, per command and repetition (run_once):
  wall   time.monotonic() around fork..wait4
  cpu    user + sys from wait4's rusage: the command and every descendant it waited for
  rss    the peak RSS of the LARGEST SINGLE process in the command's tree (for a pipeline such
         as `pigz -dc | tar -t` that is max(pigz, tar), not their sum), as GNU time's %M.
         Why GNU time when it is there: Linux carries a process's RSS high-water mark across
         exec, so a child forked from this Python process reports at least Python's own RSS
         (~14-25 MiB) in ru_maxrss. /usr/bin/time forks from a ~1 MiB process, so its %M is
         clean. Without GNU time, ru_maxrss from wait4 is used and the floor this inheritance
         adds (measured by running `true`) is printed with the results.
Commands run round-robin (A B C A B C ...) after one unmeasured warm-up round (page cache),
and each figure is the median over the repetitions. Throughput is "data bytes / median wall",
with the data bytes chosen by the comparison (for archives: the uncompressed tar bytes).

Also here: where the bench data lives, the influxd settings it was made with,
bench_server(), which starts a private influxd on the existing DIR/server data, and tsm_files(),
the TSM files of a data dir as they are on disk.
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field

sys.dont_write_bytecode = True  # no __pycache__ in bench/ or scripts/
BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, os.path.join(REPO, "scripts"))
from influxd_harness import INFLUXD, Influxd, InfluxdError  # noqa: E402,F401

MB = 1_000_000  # throughput and data sizes: decimal megabytes
MIB = 1 << 20   # memory: binary mebibytes

# influxd [data] settings of the bench server, used both when the data is written and when
# bench_server() restarts on it, so a restart sees the same engine settings. Caches of shards
# that went cold are flushed after 2 s and cold shards are fully compacted after 5 s: the
# result looks like a production server's older shards (one TSM file per shard, blocks as full
# as each series' points allow) and nothing is left for a restarted server to compact.
BENCH_DATA_SETTINGS = {
    "cache-snapshot-write-cold-duration": '"2s"',
    "compact-full-write-cold-duration": '"5s"',
    "max-concurrent-compactions": "1",  # leave a core for ingest while writing
}


def default_bench_dir():
    return os.environ.get("IFX_BENCH_DIR", "/tmp/ifx-bench")


def bench_server(bench_dir, name="influxd-bench"):
    """An Influxd (not yet started) over BENCH_DIR/server; its cleanup() never deletes the data.
    Use as `with bench_server(d) as srv:` or `srv = bench_server(d).start()` … `srv.stop()`."""
    workdir = os.path.join(os.path.abspath(bench_dir), "server")
    os.makedirs(workdir, exist_ok=True)
    return Influxd(index_version="inmem", data_settings=BENCH_DATA_SETTINGS, workdir=workdir,
                   start_timeout=120.0, name=name)


def tsm_files(data_dir):
    """{path: size} of every .tsm and .tsm.tmp (a compaction being written) under data_dir."""
    out = {}
    for root, _dirs, files in os.walk(data_dir):
        for n in files:
            if n.endswith(".tsm") or n.endswith(".tsm.tmp"):
                p = os.path.join(root, n)
                try:
                    out[p] = os.path.getsize(p)
                except OSError:  # removed by a compaction since the listing
                    pass
    return out


def tsm_bytes(data_dir):
    return sum(s for p, s in tsm_files(data_dir).items() if p.endswith(".tsm"))


def load_manifest(bench_dir):
    path = os.path.join(bench_dir, "manifest.json")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def gzip_uncompressed_size(path):
    """Bytes a gzip file inflates to (all members), streamed with zlib."""
    total = 0
    with open(path, "rb") as f:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            while chunk:
                total += len(d.decompress(chunk))
                chunk = d.unused_data
                if d.eof:
                    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                else:
                    break
        total += len(d.flush())
    return total


# ---- measuring ---------------------------------------------------------------------------

@dataclass
class Cmd:
    """One command of a comparison: argv (exec'd) or shell (run by bash -c, pipefail on).
    `before`: a shell command run before each run of it, outside the timing (emptying the output
    directory, dropping the databases a restore recreates, `sync` so that the previous command's
    unwritten pages are not flushed on this one's time)."""
    label: str
    argv: list = None
    shell: str = None
    role: str = "other"  # "candidate" (checked against the targets), "anchor" (ratio 1.0), "other"
    before: str = None

    def display(self):
        run = self.shell if self.shell is not None else " ".join(shlex.quote(a) for a in self.argv)
        return f"(untimed first: {self.before}) {run}" if self.before else run


@dataclass
class Sample:
    wall: float
    user: float
    sys: float
    maxrss_kib: int
    status: int


@dataclass
class Target:
    min_ratio: float = 0.5       # candidate throughput / anchor throughput
    max_rss_mib: float = 64.0    # candidate peak RSS


def _find_gnu_time():
    path = "/usr/bin/time"
    if not os.access(path, os.X_OK):
        return None
    try:
        p = subprocess.run([path, "-f", "%M", "true"], capture_output=True, text=True, timeout=10)
        int(p.stderr.strip().splitlines()[-1])
        return path
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return None


GNU_TIME = _find_gnu_time()


def rss_method():
    """(name, floor KiB): how peak RSS is measured and the smallest figure it can report."""
    if GNU_TIME:
        return "GNU time %M", run_once(Cmd("true", argv=["true"])).maxrss_kib
    return "wait4 ru_maxrss (includes the RSS inherited from this Python process)", \
        run_once(Cmd("true", argv=["true"])).maxrss_kib


def run_once(cmd, stdout=subprocess.DEVNULL):
    """Runs `cmd` once, stdout to /dev/null (stderr kept in a temp file for failures)."""
    argv = cmd.argv if cmd.shell is None else ["bash", "-o", "pipefail", "-c", cmd.shell]
    if cmd.before:
        prep = subprocess.run(["bash", "-o", "pipefail", "-c", cmd.before], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if prep.returncode != 0:
            raise RuntimeError(f"{cmd.label}: `{cmd.before}` (before the run) exited {prep.returncode}:\n"
                               f"{prep.stderr.decode('utf-8', 'replace')[-2000:]}")
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss_out:
        if GNU_TIME:
            argv = [GNU_TIME, "-o", rss_out.name, "-f", "%M"] + argv
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err)
        _pid, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        maxrss = ru.ru_maxrss
        if GNU_TIME:
            try:  # the last line; a line before it may say "Command exited with non-zero ..."
                maxrss = int(rss_out.read().strip().splitlines()[-1])
            except (ValueError, IndexError):
                pass
        s = Sample(wall, ru.ru_utime, ru.ru_stime, maxrss, p.returncode)
        if p.returncode != 0:
            err.seek(0)
            tail = err.read()[-2000:].decode("utf-8", "replace")
            raise RuntimeError(f"{cmd.label}: `{cmd.display()}` exited {p.returncode}:\n{tail}")
    return s


def measure(cmds, reps=3, warmup=1, progress=None):
    """{label: [Sample]} after `warmup` unmeasured rounds, round-robin over the commands."""
    for _ in range(warmup):
        for c in cmds:
            if progress:
                progress(f"warm-up: {c.label}")
            run_once(c)
    out = {c.label: [] for c in cmds}
    for r in range(reps):
        for c in cmds:
            if progress:
                progress(f"rep {r + 1}/{reps}: {c.label}")
            out[c.label].append(run_once(c))
    return out


def summarize(cmds, samples, data_bytes):
    """Median figures per command, throughput in MB/s and the ratio to the anchor."""
    rows = []
    for c in cmds:
        ss = samples[c.label]
        wall = statistics.median(s.wall for s in ss)
        rows.append({
            "label": c.label, "role": c.role, "command": c.display(),
            "wall_s": wall,
            "user_s": statistics.median(s.user for s in ss),
            "sys_s": statistics.median(s.sys for s in ss),
            "cpu_s": statistics.median(s.user + s.sys for s in ss),
            "peak_rss_mib": statistics.median(s.maxrss_kib for s in ss) / 1024.0,
            "mb_per_s": data_bytes / MB / wall if wall > 0 else None,
            "walls_s": [s.wall for s in ss],
        })
    anchor = next((r for r in rows if r["role"] == "anchor"), None)
    for r in rows:
        r["ratio_to_anchor"] = (anchor["wall_s"] / r["wall_s"]
                                if anchor and r["wall_s"] > 0 else None)
        # CPU seconds the anchor needs per CPU second of this command: on a busy machine the
        # wall ratio suffers from waiting for a core, this one much less.
        r["cpu_ratio_to_anchor"] = (anchor["cpu_s"] / r["cpu_s"]
                                    if anchor and r["cpu_s"] > 0 else None)
    return rows


def verdicts(rows, target):
    out = []
    for r in rows:
        if r["role"] != "candidate":
            continue
        ratio, rss = r["ratio_to_anchor"], r["peak_rss_mib"]
        out.append({"label": r["label"],
                    "ratio": ratio, "min_ratio": target.min_ratio,
                    "ratio_ok": ratio is not None and ratio >= target.min_ratio,
                    "peak_rss_mib": rss, "max_rss_mib": target.max_rss_mib,
                    "rss_ok": rss <= target.max_rss_mib})
    return out


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def print_table(title, data_desc, rows, checks, reps, warmup, rss_how, loads, out=sys.stdout):
    w = max([len(r["label"]) for r in rows] + [7])
    p = lambda s="": print(s, file=out)  # noqa: E731
    p(title)
    p(f"data: {data_desc}")
    p(f"median of {reps} run(s) after {warmup} warm-up round(s); MB = 10^6 bytes; "
      f"RSS = largest single process")
    p(f"peak RSS by {rss_how[0]}; floor (`true`): {rss_how[1] / 1024:.1f} MiB")
    busy = [x for x in loads if x is not None and x > (os.cpu_count() or 1)]
    p(f"1-min load average before/after: {' / '.join(f'{x:.1f}' for x in loads if x is not None)}"
      + (f"  -- BUSY MACHINE ({os.cpu_count()} cores): wall figures are inflated, "
         f"see the cpu ratio" if busy else ""))
    p()
    p(f"{'command':<{w}}  {'wall s':>8}  {'user s':>8}  {'sys s':>7}  {'MB/s':>8}  "
      f"{'ratio':>6}  {'cpu ratio':>9}  {'peak RSS MiB':>12}")
    fmt = lambda x: "-" if x is None else f"{x:.2f}"  # noqa: E731
    for r in rows:
        p(f"{r['label']:<{w}}  {r['wall_s']:8.2f}  {r['user_s']:8.2f}  {r['sys_s']:7.2f}  "
          f"{r['mb_per_s']:8.1f}  {fmt(r['ratio_to_anchor']):>6}  "
          f"{fmt(r['cpu_ratio_to_anchor']):>9}  {r['peak_rss_mib']:12.1f}")
    p()
    p("ratio = MB/s / anchor's MB/s (wall); cpu ratio = anchor's user+sys / this user+sys")
    p()
    for r in rows:
        p(f"  {r['label']}: {r['command']}")
    for v in checks:
        p()
        p(f"target for {v['label']}: throughput ratio >= {v['min_ratio']} "
          f"-> {'MET' if v['ratio_ok'] else 'MISSED'} ({v['ratio']:.2f}); "
          f"peak RSS <= {v['max_rss_mib']:g} MiB "
          f"-> {'MET' if v['rss_ok'] else 'MISSED'} ({v['peak_rss_mib']:.1f} MiB)")


# ---- the comparison driver ---------------------------------------------------------------

@dataclass
class Context:
    """What a comparison's command list is built from."""
    bench_dir: str
    tools_dir: str
    manifest: dict = field(default_factory=dict)

    @property
    def portable(self):
        return os.path.join(self.bench_dir, "portable")

    @property
    def legacy(self):
        return os.path.join(self.bench_dir, "legacy")

    def tool(self, name):
        return os.path.join(self.tools_dir, name)

    def archives(self):
        d = self.portable
        return sorted(os.path.join(d, n) for n in os.listdir(d) if n.endswith(".tar.gz"))

    def each_archive(self, template):
        """A shell loop running `template` (with {f} = one archive) over DIR/portable/*.tar.gz."""
        body = template.format(f='"$f"')
        return f'for f in {shlex.quote(self.portable)}/*.tar.gz; do {body}; done'

    def portable_tar_bytes(self):
        """Uncompressed tar bytes of DIR/portable/*.tar.gz (from the manifest when it has them)."""
        m = (self.manifest or {}).get("portable", {})
        if m.get("uncompressed_tar_bytes"):
            return m["uncompressed_tar_bytes"], m.get("compressed_bytes"), m.get("archives")
        arcs = self.archives()
        return (sum(gzip_uncompressed_size(a) for a in arcs),
                sum(os.path.getsize(a) for a in arcs), len(arcs))


def compare_main(title, build_commands, target, argv=None, description=None):
    """CLI for one comparison: builds the commands with build_commands(ctx), measures them,
    prints a table (or --json) with MB/s of uncompressed tar, ratio to the anchor, peak RSS,
    and whether each candidate meets `target`. Exit 0 measured (targets are reported, and only
    enforced with --strict), 1 a command failed or --strict and a target missed, 2 no data."""
    ap = argparse.ArgumentParser(description=description or title)
    ap.add_argument("--dir", default=default_bench_dir(),
                    help="bench data made by bench/make-bench-data (default $IFX_BENCH_DIR "
                         "or /tmp/ifx-bench)")
    ap.add_argument("--tools-dir", default=os.environ.get("IFX_TOOLS_DIR",
                                                          os.path.join(REPO, "build", "tools")),
                    help="where the ifx-* binaries are (default build/tools)")
    ap.add_argument("--reps", type=int, default=3, help="measured repetitions (median)")
    ap.add_argument("--warmup", type=int, default=1, help="unmeasured rounds first")
    ap.add_argument("--json", action="store_true", help="print JSON instead of the table")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    a = ap.parse_args(argv)

    manifest = load_manifest(a.dir)
    if not manifest or not manifest.get("complete") or not os.path.isdir(
            os.path.join(a.dir, "portable")):
        print(f"no complete bench data in {a.dir}: run bench/make-bench-data first "
              f"(or pass --dir)", file=sys.stderr)
        return 2
    ctx = Context(os.path.abspath(a.dir), os.path.abspath(a.tools_dir), manifest)
    cmds = build_commands(ctx)
    for c in cmds:
        if c.argv is not None and not os.access(c.argv[0], os.X_OK):
            print(f"{c.label}: {c.argv[0]} is not an executable; build it first "
                  f"(scripts/build) or pass --tools-dir", file=sys.stderr)
            return 2
    tar_bytes, gz_bytes, n_arch = ctx.portable_tar_bytes()

    def progress(msg):
        print(f"  .. {msg}", file=sys.stderr, flush=True)

    rss_how = rss_method()
    loads = [load_average()]
    try:
        samples = measure(cmds, reps=a.reps, warmup=a.warmup, progress=progress)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    loads.append(load_average())
    rows = summarize(cmds, samples, tar_bytes)
    checks = verdicts(rows, target)
    if a.json:
        doc = {"title": title, "bench_dir": ctx.bench_dir,
               "data": {"archives": n_arch, "compressed_bytes": gz_bytes,
                        "uncompressed_tar_bytes": tar_bytes},
               "reps": a.reps, "warmup": a.warmup, "nproc": os.cpu_count(),
               "rss_method": rss_how[0], "rss_floor_mib": rss_how[1] / 1024,
               "load_average_before_after": loads,
               "commands": rows, "targets": checks}
        print(json.dumps(doc, indent=2))
    else:
        desc = (f"{ctx.portable}: {n_arch} archives, {gz_bytes / MB:.1f} MB gzip'd, "
                f"{tar_bytes / MB:.1f} MB uncompressed tar; {os.cpu_count()} cores")
        print_table(title, desc, rows, checks, a.reps, a.warmup, rss_how, loads)
    if a.strict and not all(v["ratio_ok"] and v["rss_ok"] for v in checks):
        return 1
    return 0
