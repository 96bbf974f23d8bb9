"""A throw-away influxd for scripts and tests (Python 3 stdlib only).

    with Influxd(index_version="inmem") as srv:
        srv.query('CREATE DATABASE "db"')
        srv.write("db", ["m v=1 0"])
        srv.backup(["-portable", "-db", "db"], "/tmp/out")
        rows = srv.query('SELECT * FROM "db".."m"', db="db")

Each server gets its own temp directory (config, meta/data/wal dirs, log file) and two free
127.0.0.1 ports: the snapshotter RPC (`bind-address`) and HTTP. Readiness is decided by polling
GET /ping until it answers 204 (bounded; on failure the error carries the log tail). Stopping is
SIGTERM to the PID we started, a bounded wait, then SIGKILL.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

INFLUXD = os.environ.get("IFX_INFLUXD", "/usr/bin/influxd")


class InfluxdError(RuntimeError):
    pass


def free_port():
    """A port the kernel just handed out on 127.0.0.1 (closed again, so reuse races are
    possible but rare; start() retries with fresh ports when the server fails to bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _toml_str(s):
    return json.dumps(s)  # a JSON string is a valid TOML basic string


class Influxd:
    def __init__(self, index_version="inmem", data_settings=None, workdir=None,
                 start_timeout=30.0, name="influxd"):
        self.index_version = index_version
        self.data_settings = dict(data_settings or {})
        self.start_timeout = start_timeout
        self.name = name
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="ifx-influxd-")
        self.proc = None
        self.rpc_port = None
        self.http_port = None
        self.log_path = os.path.join(self.workdir, "influxd.log")
        self.backup_log_path = os.path.join(self.workdir, "backup.log")

    # ---- lifecycle -------------------------------------------------------------------------

    def config_text(self):
        d = self.workdir
        data = {
            # Keep every TSM file a flush produces: no full compaction of a cold shard for
            # 1000 h, and no cold cache snapshot (only `influxd backup` flushes the cache).
            "compact-full-write-cold-duration": '"1000h"',
            "cache-snapshot-write-cold-duration": '"1000h"',
            "index-version": _toml_str(self.index_version),
            "query-log-enabled": "false",
        }
        for k, v in self.data_settings.items():
            data[k] = v
        lines = [
            "reporting-disabled = true",
            f"bind-address = {_toml_str(f'127.0.0.1:{self.rpc_port}')}",
            "",
            "[meta]",
            f"  dir = {_toml_str(os.path.join(d, 'meta'))}",
            "  logging-enabled = false",
            "",
            "[data]",
            f"  dir = {_toml_str(os.path.join(d, 'data'))}",
            f"  wal-dir = {_toml_str(os.path.join(d, 'wal'))}",
        ]
        lines += [f"  {k} = {v}" for k, v in data.items()]
        lines += [
            "",
            "[monitor]",
            "  store-enabled = false",  # no _internal database racing the truth
            "",
            "[retention]",
            "  enabled = false",  # nothing is dropped behind our back
            "",
            "[shard-precreation]",
            "  enabled = false",  # no shard groups appear between backup and truth
            "",
            "[continuous_queries]",
            "  enabled = false",  # CQs are stored in the meta but never run
            "",
            "[http]",
            f"  bind-address = {_toml_str(f'127.0.0.1:{self.http_port}')}",
            "  log-enabled = false",
            "  max-row-limit = 0",
            "  pprof-enabled = false",
            "",
            "[logging]",
            '  level = "info"',
            "  suppress-logo = true",
            "",
        ]
        return "\n".join(lines)

    def start(self, attempts=3):
        last = None
        for _ in range(attempts):
            self.rpc_port = free_port()
            self.http_port = free_port()
            while self.http_port == self.rpc_port:
                self.http_port = free_port()
            cfg = os.path.join(self.workdir, "influxd.conf")
            with open(cfg, "w", encoding="utf-8") as f:
                f.write(self.config_text())
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen([INFLUXD, "run", "-config", cfg],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         cwd=self.workdir, start_new_session=True)
            log.close()
            try:
                self._wait_ready()
                return self
            except InfluxdError as e:
                last = e
                self._kill()
                if "address already in use" not in self.log_tail(40):
                    raise
        raise last

    def _wait_ready(self):
        deadline = time.monotonic() + self.start_timeout
        delay = 0.02
        while True:
            if self.proc.poll() is not None:
                raise InfluxdError(f"{self.name} exited with status {self.proc.returncode} "
                                   f"before answering /ping; log tail:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("/ping"), timeout=2) as r:
                    if r.status == 204:
                        return
            except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
                pass
            if time.monotonic() > deadline:
                raise InfluxdError(f"{self.name} did not answer GET /ping with 204 within "
                                   f"{self.start_timeout:.0f}s; log tail:\n{self.log_tail()}")
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _kill(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)

    def stop(self):
        self._kill()
        self.proc = None

    def cleanup(self):
        self.stop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
        return False

    # ---- HTTP ------------------------------------------------------------------------------

    @property
    def rpc_address(self):
        return f"127.0.0.1:{self.rpc_port}"

    def url(self, path, params=None):
        u = f"http://127.0.0.1:{self.http_port}{path}"
        if params:
            u += "?" + urllib.parse.urlencode(params)
        return u

    def _request(self, path, params, body=None, timeout=60):
        req = urllib.request.Request(self.url(path, params), data=body, method="POST")
        if body is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded"
                           if path == "/query" else "text/plain; charset=utf-8")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def write(self, db, lines, rp=None, precision="ns"):
        """POST line protocol; `lines` is a list of str (or one str). Raises on any error."""
        if not isinstance(lines, str):
            lines = "\n".join(lines)
        params = {"db": db, "precision": precision}
        if rp is not None:
            params["rp"] = rp
        # Large bodies in batches so no single request is huge.
        body = lines.encode("utf-8")
        status, out = self._request("/write", params, body)
        if status != 204:
            raise InfluxdError(f"write to {db!r} failed with HTTP {status}: "
                               f"{out.decode('utf-8', 'replace')}")

    def query(self, q, db=None, epoch="ns"):
        """Run one or more InfluxQL statements; returns the list of statement results.
        Raises when any statement reports an error. Integers come back exact (Python ints)."""
        params = {"q": q}
        if db is not None:
            params["db"] = db
        if epoch:
            params["epoch"] = epoch
        body = urllib.parse.urlencode(params).encode()
        status, out = self._request("/query", None, body)
        try:
            doc = json.loads(out.decode("utf-8"))
        except ValueError:
            raise InfluxdError(f"query {q!r}: HTTP {status}, not JSON: {out[:200]!r}")
        if status != 200 or "error" in doc:
            raise InfluxdError(f"query {q!r} failed with HTTP {status}: {doc.get('error')}")
        results = doc.get("results", [])
        for r in results:
            if "error" in r:
                raise InfluxdError(f"query {q!r} failed: {r['error']}")
        return results

    def series(self, q, db=None):
        """The series list of a single-statement query ([] when empty)."""
        res = self.query(q, db=db)
        return res[0].get("series", []) if res else []

    # ---- backup ----------------------------------------------------------------------------

    def backup(self, args, out_dir, check=True, timeout=120):
        """`influxd backup -host <rpc> ARGS OUT_DIR`; returns the CompletedProcess."""
        cmd = [INFLUXD, "backup", "-host", self.rpc_address] + list(args) + [out_dir]
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        with open(self.backup_log_path, "ab") as f:
            f.write(b"$ " + " ".join(cmd).encode() + b"\n" + p.stdout + p.stderr)
        if check and p.returncode != 0:
            raise InfluxdError(f"influxd backup {' '.join(args)} exited {p.returncode}:\n"
                               f"{(p.stdout + p.stderr).decode('utf-8', 'replace')[-3000:]}")
        return p


def quote_ident(name):
    """An InfluxQL double-quoted identifier (the scanner understands \\\\ and \\")."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_string(s):
    """An InfluxQL single-quoted string literal."""
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"
