#!/usr/bin/env python3
"""The main job on a built-in demo: a scratch influxd with some data, backed up with
ifx-backup, checked with ifx-verify, looked into with ifx-inspect, restored with ifx-restore
into a second scratch influxd, and the two servers compared point for point.

    scripts/demo_roundtrip.py BUILD_DIR

Exits non-zero (and says what differs) when anything does not round-trip.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from influxd_harness import Influxd, quote_ident  # noqa: E402

BOLD = "\033[1m" if sys.stdout.isatty() else ""
PLAIN = "\033[0m" if sys.stdout.isatty() else ""


def step(text):
    print(f"\n{BOLD}== {text}{PLAIN}", flush=True)


def run(cmd):
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def demo_points():
    """Three databases' worth of line protocol: every field type, tags, two RPs, old and new
    points, a measurement with a space and a comma in its name."""
    base = 1_700_000_000_000_000_000
    hour = 3_600_000_000_000
    cpu, weather, odd = [], [], []
    for i in range(2000):
        host = f"host{i % 4}"
        t = base + i * 60_000_000_000
        cpu.append(f"cpu,host={host},region=eu usage_user={i % 97 / 3:.6f},"
                   f"usage_idle={100 - i % 97 / 3:.6f},procs={i % 300}i,up={str(i % 5 != 0).lower()} {t}")
    for i in range(500):
        t = base - 400 * 24 * hour + i * 6 * hour  # older shards
        weather.append(f'weather,station=s{i % 3} temp={(i * 7) % 45 - 10}.25,note="reading {i}" {t}')
    odd.append(f'my\\ measure\\,ment,t\\ k=v\\=1 f\\ 1="quote \\" here",g=1i {base}')
    return {"telegraf": cpu, "weather": weather, "odd names": odd}


def counts(srv, db):
    """{measurement: {field: count}} and the exact rows of every measurement."""
    out = {}
    for s in srv.series("SHOW MEASUREMENTS", db=db):
        for (m,) in s["values"]:
            rows = srv.series(f"SELECT * FROM {quote_ident(m)} GROUP BY *", db=db)
            out[m] = sorted((tuple(sorted(r.get("tags", {}).items())), tuple(v)) for r in rows
                            for v in r["values"])
    return out


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    tool = lambda name: os.path.join(build, "tools", name)  # noqa: E731
    work = tempfile.mkdtemp(prefix="ifx-demo-")
    source = Influxd(name="source")
    target = Influxd(name="target")
    try:
        step("Start a scratch influxd (127.0.0.1, free ports, temp dirs) and write demo data")
        source.start()
        data = demo_points()
        for db, lines in data.items():
            source.query(f"CREATE DATABASE {quote_ident(db)}")
            source.write(db, lines)
        source.query('CREATE RETENTION POLICY "short" ON "weather" DURATION 0s REPLICATION 1')
        source.write("weather", ['weather,station=x temp=1.5 1700000000000000000'], rp="short")
        print(f"source influxd: rpc {source.rpc_address}, "
              f"{sum(len(v) for v in data.values()) + 1} points in {len(data)} databases")

        backup_dir = os.path.join(work, "backup")
        step("Back it up: ifx-backup -portable (shards in parallel, each archive checked)")
        run([tool("ifx-backup"), "-portable", "-host", source.rpc_address, backup_dir])

        step("Verify the backup: every byte read, every TSM block's CRC and SHA-256 checked")
        run([tool("ifx-verify"), backup_dir])

        step("Inspect it: databases, shards, and per measurement series/points/values")
        run([tool("ifx-inspect"), "--deep", backup_dir])

        step("Restore into a second scratch influxd: ifx-restore -portable")
        target.start()
        run([tool("ifx-restore"), "-portable", "-host", target.rpc_address,
             "--http", f"http://127.0.0.1:{target.http_port}", backup_dir])

        step("Compare: every point of every database, source vs restored")
        bad = 0
        for db in data:
            a, b = counts(source, db), counts(target, db)
            n = sum(len(v) for v in a.values())
            if a == b:
                print(f"  {db}: {len(a)} measurements, {n} points identical")
            else:
                bad += 1
                print(f"  {db}: DIFFERS (source {sorted(a)} vs restored {sorted(b)})")
        rp = target.series('SELECT count(*) FROM "weather"."short"."weather"', db="weather")
        print(f'  weather."short": {rp[0]["values"][0][1] if rp else 0} point(s) (expected 1)')
        if bad or not rp:
            print("round trip FAILED")
            return 1
        print("round trip complete: the restored server answers with exactly the backed-up points")

        repo = os.path.join(work, "repo")
        http = f"http://127.0.0.1:{source.http_port}"
        step("The nightly job: snapshots in a repository (ifx-backup --repo), unchanged shards shared")
        run([tool("ifx-backup"), "-portable", "-host", source.rpc_address, "--http", http, "--repo", repo,
             "--progress", "none"])
        source.write("weather", ['weather,station=y temp=3.5 1700000000000000000'])
        run([tool("ifx-backup"), "-portable", "-host", source.rpc_address, "--http", http, "--repo", repo,
             "--progress", "none"])
        run([tool("ifx-inspect"), repo])
        run([tool("ifx-verify"), repo, "--latest", "--max-age", "26h"])
        run([tool("ifx-prune"), repo, "--keep-daily", "7", "--keep-weekly", "5", "--dry-run"])
        return 0
    finally:
        source.cleanup()
        target.cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
