#!/usr/bin/env python3
"""Every tool's --json output, on success and on each kind of failure (usage error, bad input,
runtime failure), is exactly one JSON document on stdout that docs/json/<tool>.schema.json
accepts, and it states the process's own exit code. --quiet keeps stdout empty on success.

Usage: tool_json_test.py --bin DIR --fixtures DIR --schemas DIR
Success runs need no server: ifx-restore restores a fixture offline into fresh server directories,
ifx-backup --offline backs those up, and ifx-prune reads a repository made of a fixture.
"""
import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

from jsonschema import Draft202012Validator
from referencing import Registry, Resource


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, type=pathlib.Path)
    ap.add_argument("--fixtures", required=True, type=pathlib.Path)
    ap.add_argument("--schemas", required=True, type=pathlib.Path)
    a = ap.parse_args()

    schemas = {p.name: json.loads(p.read_text()) for p in a.schemas.glob("*.schema.json")}
    # The tool schemas refer to envelope.schema.json by its file name, as a reader beside them would.
    registry = Registry().with_resources((name, Resource.from_contents(s)) for name, s in schemas.items())
    failures = []

    def run(tool, args, expect, stderr_has=None):
        cmd = [str(a.bin / tool), "--json", *map(str, args)]
        what = " ".join([tool, "--json", *map(str, args)])
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        problems = []
        if r.returncode != expect:
            problems.append(f"exit code {r.returncode}, expected {expect}")
        try:
            doc = json.loads(r.stdout)  # exactly one document: anything else beside it fails here
        except json.JSONDecodeError as e:
            doc = None
            problems.append(f"stdout is not one JSON document ({e}): {r.stdout[:300]!r}")
        if doc is not None:
            validator = Draft202012Validator(schemas[f"{tool}.schema.json"], registry=registry)
            problems += [f"schema: {e.json_path}: {e.message}" for e in validator.iter_errors(doc)]
            # Several directories (ifx-verify): the process exits with the worst of theirs.
            docs = doc if isinstance(doc, list) else [doc]
            stated = max((d.get("exit_code", -1) for d in docs if isinstance(d, dict)), default=None)
            if stated != r.returncode:
                problems.append(f"exit_code {stated} in the JSON, {r.returncode} from the process")
        if stderr_has and stderr_has not in r.stderr:
            problems.append(f"stderr lacks {stderr_has!r}: {r.stderr!r}")
        print(f"{'FAIL' if problems else 'ok  '} [{r.returncode}] {what}")
        failures.extend(f"{what}: {p}" for p in problems)
        return doc

    def quiet(tool, args):
        r = subprocess.run([str(a.bin / tool), "-q", *map(str, args)], capture_output=True, text=True, timeout=60)
        what = " ".join([tool, "-q", *map(str, args)])
        print(f"{'FAIL' if r.returncode or r.stdout else 'ok  '} [{r.returncode}] {what}")
        if r.returncode or r.stdout:
            failures.append(f"{what}: exit {r.returncode}, stdout {r.stdout[:200]!r}")

    fx = a.fixtures
    with tempfile.TemporaryDirectory(prefix="ifx-json-") as tmp:
        t = pathlib.Path(tmp)
        missing = t / "missing"
        # A copy of a fixture with its meta file cut short, and one with a shard archive cut short.
        bad_meta = t / "bad-meta"
        shutil.copytree(fx / "portable-db", bad_meta)
        for f in bad_meta.glob("*.meta"):
            f.write_bytes(f.read_bytes()[:20])
        bad_shard = t / "bad-shard"
        shutil.copytree(fx / "portable-db", bad_shard)
        for f in bad_shard.glob("*.tar.gz"):
            f.write_bytes(f.read_bytes()[:200])
        unreachable = ["-host", "127.0.0.1:1", "--timeout", "2"]

        # ifx-verify: one directory gives an object, several an array.
        run("ifx-verify", [fx / "portable-db"], 0)
        run("ifx-verify", [fx / "portable-db", fx / "legacy-db"], 0)
        run("ifx-verify", ["-dbx", "x", fx / "portable-db"], 2, "unknown option -dbx")
        run("ifx-verify", ["-j", "0", fx / "portable-db"], 2, "-j: the number of jobs must be")
        run("ifx-verify", ["--max-age", "-3h", fx / "portable-db"], 2)
        run("ifx-verify", [missing], 2)
        run("ifx-verify", [bad_shard], 1)
        quiet("ifx-verify", [fx / "portable-db"])

        run("ifx-inspect", [fx / "portable-db"], 0)
        run("ifx-inspect", [], 2, "backup_dir is required")
        run("ifx-inspect", ["-j", "0", fx / "portable-db"], 2, "-j: the number of jobs must be")
        run("ifx-inspect", [missing], 1)
        run("ifx-inspect", [bad_meta], 1)
        quiet("ifx-inspect", [fx / "portable-db"])

        run("ifx-export", [fx / "portable-db", "--out", t / "points.lp"], 0)
        run("ifx-export", [fx / "portable-db"], 2, "needs --out FILE")
        run("ifx-export", ["-start", "yesterday", fx / "portable-db", "--out", t / "p2.lp"], 2)
        run("ifx-export", [missing, "--out", t / "p3.lp"], 1)
        run("ifx-export", [bad_shard, "--out", t / "p4.lp"], 1)

        run("ifx-convert", [fx / "legacy-db", t / "converted"], 0)
        run("ifx-convert", ["--to", "xml", fx / "legacy-db", t / "c2"], 2)
        run("ifx-convert", [missing, t / "c3"], 1)
        run("ifx-convert", [bad_shard, t / "c4"], 1)
        quiet("ifx-convert", [fx / "legacy-db", t / "c5"])

        run("ifx-diff", [fx / "portable-db", fx / "portable-db"], 0)
        run("ifx-diff", ["-j", "0", fx / "portable-db", fx / "legacy-db"], 2, "-j: the number of jobs must be")
        run("ifx-diff", [missing, fx / "portable-db"], 3)
        run("ifx-diff", [bad_meta, fx / "portable-db"], 3)

        # ifx-restore offline into fresh server directories: the success case without a server.
        meta, data = t / "server" / "meta", t / "server" / "data"
        run("ifx-restore", ["-metadir", meta, "-datadir", data, fx / "legacy-db"], 0)
        run("ifx-restore", ["-portable", "-online", fx / "portable-db"], 2, "exclude each other")
        run("ifx-restore", ["-portable", "--wait", "-1", fx / "portable-db"], 2)
        run("ifx-restore", ["-metadir", t / "m2", "-datadir", t / "d2", missing], 1)
        run("ifx-restore", ["-portable", *unreachable, fx / "portable-db"], 1)

        run("ifx-backup", ["--offline", "-portable", "-metadir", meta, "-datadir", data, t / "b0"], 0)
        run("ifx-backup", ["-j", "0", "-portable", t / "b1"], 2, "-j: the number of jobs must be")
        (t / "empty").mkdir()
        run("ifx-backup", ["--offline", "-portable", "-metadir", t / "empty", "-datadir", t / "empty", t / "b2"], 1)
        run("ifx-backup", ["-portable", "--retries", "1", *unreachable, t / "b3"], 1)

        # A repository as ifx-backup --repo lays it out: REPO/<base>/ a portable backup, REPO/latest.
        repo = t / "repo"
        base = next((fx / "portable-db").glob("*.manifest")).stem
        shutil.copytree(fx / "portable-db", repo / base)
        (repo / "latest").symlink_to(base)
        run("ifx-prune", [repo, "--keep-last", "1", "--dry-run"], 0)
        run("ifx-prune", [repo, "--keep-within", "-48h"], 2)
        run("ifx-prune", [repo, "--lock-wait", "-1"], 2)
        run("ifx-prune", [missing, "--keep-last", "1"], 1)
        run("ifx-prune", [repo, "--keep-last", "1", "--tz", "Nowhere/Atlantis"], 2)
        quiet("ifx-prune", [repo, "--keep-last", "1", "--dry-run"])

    for f in failures:
        print("FAILED:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
