#!/usr/bin/env python3
"""Load benchmark of the release binary against PostgreSQL alone (pgbench, same SQL).

Run through scripts/bench.sh, which builds the binary and installs wrk. Standard library
only, plus the `wrk`, `pgbench`, `psql` and `openssl` commands. Every address it talks to is
on loopback; every run is bounded in time; the database it creates is dropped at exit.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FIRST_USER = 100_000  # user ids are the decimal strings 100000, 100001, ...
SCENARIOS = ("list", "get", "create", "toggle", "mix")
# Scenarios that write: after each run the table is put back to the seed and vacuumed, so
# that neither added rows nor dead row versions (which would start autovacuum in the middle
# of a later run) carry over.
WRITES_ROWS = {"create", "toggle", "mix"}
PAGE_LIMIT = 100  # the contract's default `limit`


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- tokens -----------------------------------------------------------------------------


def claims_for(user: str, lifetime: int) -> dict:
    now = int(time.time())
    return {"sub": user, "iat": now, "exp": now + lifetime}


def hs256_token(secret: str, claims: dict) -> str:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


class Ed25519Key:
    """An Ed25519 key made and used through the openssl command."""

    def __init__(self, workdir: Path):
        self.path = workdir / "jwks-ed25519.pem"
        subprocess.run(
            ["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(self.path)],
            check=True,
            capture_output=True,
        )
        der = subprocess.run(
            ["openssl", "pkey", "-in", str(self.path), "-pubout", "-outform", "DER"],
            check=True,
            capture_output=True,
        ).stdout
        self.x = b64url(der[-32:])
        self.workdir = workdir

    def jwk(self, kid: str) -> dict:
        return {"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": self.x, "alg": "EdDSA", "use": "sig"}

    def token(self, kid: str, claims: dict) -> str:
        header = b64url(json.dumps({"alg": "EdDSA", "typ": "JWT", "kid": kid}).encode())
        payload = b64url(json.dumps(claims).encode())
        message = self.workdir / "jwks-message"
        message.write_bytes(f"{header}.{payload}".encode())
        signature = subprocess.run(
            ["openssl", "pkeyutl", "-sign", "-inkey", str(self.path), "-rawin", "-in", str(message)],
            check=True,
            capture_output=True,
        ).stdout
        return f"{header}.{payload}.{b64url(signature)}"


def serve_jwks(document: dict) -> ThreadingHTTPServer:
    """A static JWKS on 127.0.0.1, as Better Auth's /api/auth/jwks would serve it."""
    body = json.dumps(document).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "public, max-age=300")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --- database ---------------------------------------------------------------------------


def require_loopback(url: str) -> None:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host in ("", "localhost") or host.startswith("/"):
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    sys.exit(f"TEST_DATABASE_URL must point at a loopback server (127.0.0.1, ::1, localhost), not {host!r}")


def with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def psql(url: str, sql: str) -> str:
    result = subprocess.run(
        ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"psql failed: {result.stderr.strip()}")
    return result.stdout.strip()


# --- the service ------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                values[key] = int(value.split()[0])
    return values


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """The release binary, started the way a deployment starts it."""

    def __init__(self, name: str, binary: Path, env: dict, workdir: Path):
        self.name = name
        self.binary = binary
        self.port = free_port()
        # Metrics on as deployed (unless --server-env turns them off), on a port of its own
        # on loopback.
        self.metrics_port = free_port()
        metrics = {"APP__METRICS__HOST": "127.0.0.1", "APP__METRICS__PORT": str(self.metrics_port)}
        self.env = {**metrics, **env, "PORT": str(self.port)}
        self.log_path = workdir / ("server-" + re.sub(r"[^A-Za-z0-9]+", "-", name) + ".log")
        self.process: subprocess.Popen | None = None
        self.time_to_ready_ms: float | None = None
        self.idle_rss_kib: int | None = None
        self.connection: http.client.HTTPConnection | None = None

    def write_batches(self) -> tuple[float, float] | None:
        """The write batch histogram's (sum, count) from /metrics: writes and batches so
        far; None when metrics are off or no write has run."""
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=5)
            connection.request("GET", "/metrics")
            text = connection.getresponse().read().decode()
        except OSError:
            return None
        found = dict(re.findall(r"^tasks_db_write_batch_size_(sum|count) ([\d.e+]+)$", text, re.M))
        return (float(found["sum"]), float(found["count"])) if len(found) == 2 else None

    def migrate(self) -> None:
        result = subprocess.run(
            [str(self.binary), "migrate"], env=self.env, cwd=ROOT, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"migrate failed: {result.stderr.strip()}")

    def start(self) -> None:
        """Starts `serve` (no migration pending) and times it to its first 200 on /ready."""
        log_file = open(self.log_path, "wb")
        started = time.monotonic()
        self.process = subprocess.Popen(
            [str(self.binary), "serve"], env=self.env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT
        )
        deadline = started + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited; see {self.log_path}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                connection.request("GET", "/ready")
                if connection.getresponse().status == 200:
                    self.time_to_ready_ms = (time.monotonic() - started) * 1000
                    connection.close()
                    break
                connection.close()
            except OSError:
                pass
            time.sleep(0.002)
        else:
            raise RuntimeError(f"{self.name} server not ready within 10 s; see {self.log_path}")
        time.sleep(1)
        self.idle_rss_kib = read_status(self.process.pid)["VmRSS"]

    def request(self, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, bytes]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Authorization": f"Bearer {token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def stop(self) -> None:
        if self.connection is not None:
            self.connection.close()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class RssSampler:
    """Samples the server's VmRSS every 50 ms while a load runs."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak_kib = 0
        self.cpu_start = cpu_seconds(pid)
        self.cpu_used = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, read_status(self.pid)["VmRSS"])
            self._stop.wait(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak_kib = max(self.peak_kib, read_status(self.pid)["VmRSS"])
        self.cpu_used = cpu_seconds(self.pid) - self.cpu_start


# --- load -------------------------------------------------------------------------------


@dataclass
class Result:
    target: str  # "api (HS256)", "api (EdDSA)", "pgbench"
    scenario: str
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    errors: int
    detail: str = ""
    peak_rss_kib: int | None = None
    cpu_per_request_us: float | None = None
    mean_batch: float | None = None  # writes per write batch during the run (from /metrics)


@dataclass
class Fixture:
    users: list[str]
    tokens: dict[str, list[str]] = field(default_factory=dict)  # kind -> token per user
    ids: list[list[int]] = field(default_factory=list)


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII is a valid Lua string literal


def write_wrk_script(path: Path, scenario: str, fixture: Fixture, kind: str) -> None:
    users = ",\n".join(
        "{id=%s, auth=%s, ids={%s}}"
        % (lua_string(user), lua_string("Bearer " + token), ",".join(map(str, ids)))
        for user, token, ids in zip(fixture.users, fixture.tokens[kind], fixture.ids)
    )
    path.write_text(
        (HERE / "wrk.lua").read_text().replace("--USERS--", users).replace("--SCENARIO--", lua_string(scenario))
    )


WRK_JSON = re.compile(r"^WRK_JSON (\{.*\})$", re.M)


def run_wrk(server: Server, script: Path, args, duration: int, label: str, scenario: str) -> Result:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        f"http://127.0.0.1:{server.port}",
    ]
    batches_before = server.write_batches()
    with RssSampler(server.process.pid) as sampler:
        output = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    batches_after = server.write_batches()
    mean_batch = None
    if batches_after is not None:
        writes, batches = (after - before for after, before in zip(batches_after, batches_before or (0.0, 0.0)))
        mean_batch = writes / batches if batches else None
    match = WRK_JSON.search(output.stdout)
    if output.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed: {output.stdout}\n{output.stderr}")
    stats = json.loads(match.group(1))
    errors = sum(stats[key] for key in ("connect", "read", "write", "status", "timeout"))
    detail = ", ".join(f"{key} {stats[key]}" for key in ("status", "connect", "read", "write", "timeout") if stats[key])
    rps = stats["requests"] / (stats["duration_us"] / 1e6)
    return Result(
        target=label,
        scenario=scenario,
        rps=rps,
        p50_ms=stats["p50"] / 1000,
        p99_ms=stats["p99"] / 1000,
        errors=errors,
        detail=detail,
        peak_rss_kib=sampler.peak_kib,
        cpu_per_request_us=sampler.cpu_used / max(stats["requests"], 1) * 1e6,
        mean_batch=mean_batch,
    )


PGBENCH_TPS = re.compile(r"^tps = ([\d.]+) \(without initial connection time\)", re.M)
PGBENCH_FAILED = re.compile(r"^number of failed transactions: (\d+)", re.M)


def run_pgbench(
    db_url: str, scenario: str, args, duration: int, workdir: Path, label: str = "pgbench", sql: Path = HERE / "pgbench"
) -> Result:
    scripts = (
        [f"{sql / name}.sql@{weight}" for name, weight in (("list", 7), ("get", 1), ("create", 1), ("toggle", 1))]
        if scenario == "mix"
        else [str(sql / f"{scenario}.sql")]
    )
    log_dir = workdir / f"pgbench-{scenario}-{time.monotonic_ns()}"
    log_dir.mkdir()
    command = ["pgbench", "-n", "-M", "prepared", f"-c{args.connections}", f"-j{args.threads}", f"-T{duration}"]
    for script in scripts:
        command += ["-f", script]
    command += [
        "-D", f"users={args.users}",
        "-D", f"per_user={args.tasks}",
        "-D", f"first_user={FIRST_USER}",
        "-D", f"lim={PAGE_LIMIT}",
        "-D", "off=0",
        "-D", "title=Benchmark task",
        "-D", "completed=false",
        # A sample of the transactions, for the percentiles pgbench does not print.
        "-l", "--sampling-rate=0.05", f"--log-prefix={log_dir / 'tx'}",
        db_url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    tps = PGBENCH_TPS.search(output.stdout)
    if output.returncode != 0 or tps is None:
        raise RuntimeError(f"pgbench failed: {output.stdout}\n{output.stderr}")
    failed = PGBENCH_FAILED.search(output.stdout)
    latencies = sorted(
        int(line.split()[2]) for log_file in log_dir.iterdir() for line in log_file.read_text().splitlines() if line
    )
    shutil.rmtree(log_dir, ignore_errors=True)

    def percentile(q: float) -> float | None:
        if not latencies:
            return None
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] / 1000

    return Result(
        target=label,
        scenario=scenario,
        rps=float(tps.group(1)),
        p50_ms=percentile(0.50),
        p99_ms=percentile(0.99),
        errors=int(failed.group(1)) if failed else 0,
    )


def reset_rows(db_url: str, seeded_rows: int) -> None:
    """Puts the table back to the seed's rows (removing those a create added) and vacuums it.
    The delete announces nothing (triggers do not fire for a session in the replica role):
    a notification per removed row would reach the server's listener all at once."""
    psql(db_url, f"SET session_replication_role = replica; DELETE FROM tasks WHERE id > {seeded_rows}")
    psql(db_url, "DELETE FROM idempotency_keys")
    psql(db_url, "VACUUM ANALYZE tasks")
    psql(db_url, "VACUUM ANALYZE idempotency_keys")


# --- what a write's version and change notification cost ---------------------------------

NOTIFY_TRIGGER = "tasks_announce_change"
# The pieces of the write statements that carry the version (contract §7's entity tags).
VERSION_SQL = (', "version" = ("tasks"."version" + 1)', ', "tasks"."version"')


def set_notifications(db_url: str, on: bool) -> None:
    """Turns the trigger that announces every committed change (live updates) on or off."""
    psql(db_url, f"ALTER TABLE tasks {'ENABLE' if on else 'DISABLE'} TRIGGER {NOTIFY_TRIGGER}")


def unversioned_scripts(workdir: Path) -> Path:
    """pgbench's write statements without the version's bump and return: the writes as they
    were before entity tags (the column stays, with its default)."""
    folder = workdir / "pgbench-unversioned"
    folder.mkdir(exist_ok=True)
    for scenario in ("create", "toggle"):
        text = (HERE / "pgbench" / f"{scenario}.sql").read_text()
        for piece in VERSION_SQL:
            text = text.replace(piece, "")
        if "version" in text.split("\n", 1)[1]:
            raise RuntimeError(f"{scenario}.sql: the version is still in {text!r}")
        (folder / f"{scenario}.sql").write_text(text)
    return folder


WRITE_COST_TARGETS = {
    "api": "api, as shipped",
    "api-quiet": "api, NOTIFY off",
    "api-keyed": "api, as shipped, each with an Idempotency-Key",
    "pgbench": "pgbench, as shipped",
    "pgbench-quiet": "pgbench, NOTIFY off",
    "pgbench-bare": "pgbench, NOTIFY off, no version",
}


def measure_write_costs(server: Server, scripts: dict, args, db_url: str, workdir: Path, seeded_rows: int, record) -> None:
    """Per write scenario and round, back to back: the API and pgbench with the change
    notification on and off, and pgbench without the version either."""
    bare = unversioned_scripts(workdir)
    runs = (
        ("api", True, lambda scenario: run_wrk(server, scripts[("hs256", scenario)], args, args.duration, "", scenario)),
        ("pgbench", True, lambda scenario: run_pgbench(db_url, scenario, args, args.duration, workdir)),
        ("api-quiet", False, lambda scenario: run_wrk(server, scripts[("hs256", scenario)], args, args.duration, "", scenario)),
        ("pgbench-quiet", False, lambda scenario: run_pgbench(db_url, scenario, args, args.duration, workdir)),
        ("pgbench-bare", False, lambda scenario: run_pgbench(db_url, scenario, args, args.duration, workdir, sql=bare)),
    )
    keyed = ("api-keyed", True, lambda scenario: run_wrk(server, scripts[("hs256", "keyed")], args, args.duration, "", scenario))
    try:
        for scenario in args.write_costs:
            for _ in range(args.rounds):
                for name, notify, run in runs + ((keyed,) if scenario == "create" else ()):
                    set_notifications(db_url, notify)
                    result = run(scenario)
                    result.target = WRITE_COST_TARGETS[name]
                    record(result)
                    reset_rows(db_url, seeded_rows)
    finally:
        set_notifications(db_url, True)


def write_cost_table(results: list[Result], scenarios: list[str]) -> list[str]:
    def rps(scenario: str, name: str) -> float:
        runs = [r.rps for r in results if r.scenario == scenario and r.target == WRITE_COST_TARGETS[name]]
        return statistics.fmean(runs)

    lines = [
        "",
        "What a write's version and change notification cost (req/s or tps, back to back):",
        "",
        "| scenario | pgbench bare | + version | + NOTIFY (as shipped) | api, NOTIFY off | api (as shipped) | NOTIFY costs pgbench | NOTIFY costs the api | api vs pgbench |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for scenario in scenarios:
        bare, versioned, shipped = rps(scenario, "pgbench-bare"), rps(scenario, "pgbench-quiet"), rps(scenario, "pgbench")
        api_quiet, api = rps(scenario, "api-quiet"), rps(scenario, "api")
        lines.append(
            f"| {scenario} | {bare:,.0f} | {versioned:,.0f} | {shipped:,.0f} | {api_quiet:,.0f} | {api:,.0f} "
            f"| {1 - shipped / versioned:.1%} | {1 - api / api_quiet:.1%} | {api / shipped:.0%} |"
        )
    if "create" in scenarios:
        keyed, api = rps("create", "api-keyed"), rps("create", "api")
        lines += ["", f"create with an Idempotency-Key on each: {keyed:,.0f} req/s, {1 - keyed / api:.1%} below create without"]
    return lines


def seed(server: Server, fixture: Fixture, tasks_per_user: int) -> None:
    """Creates the tasks through the API, one user after the other, so that user k owns the
    ids k*tasks+1 .. (k+1)*tasks (which pgbench's scripts rely on)."""
    for k, (user, token) in enumerate(zip(fixture.users, fixture.tokens["hs256"])):
        ids = []
        for j in range(tasks_per_user):
            status, body = server.request(
                "POST", f"/api/{user}/tasks", token, {"title": f"Task {j + 1} of {user}", "description": "seeded"}
            )
            if status != 201:
                raise RuntimeError(f"seeding: POST answered {status}: {body[:200]!r}")
            ids.append(json.loads(body)["id"])
        expected = list(range(k * tasks_per_user + 1, (k + 1) * tasks_per_user + 1))
        if ids != expected:
            raise RuntimeError(f"seeding: ids {ids} are not {expected}; is the database fresh?")
        fixture.ids.append(ids)


def smoke(server: Server, fixture: Fixture, kind: str) -> None:
    """One request of each kind with an exact 2xx check (wrk itself counts only >= 400)."""
    user, token, ids = fixture.users[0], fixture.tokens[kind][0], fixture.ids[0]
    for method, path, expected in (
        ("GET", f"/api/{user}/tasks", 200),
        ("GET", f"/api/{user}/tasks/{ids[0]}", 200),
        ("PATCH", f"/api/{user}/tasks/{ids[0]}/complete", 200),
        ("PATCH", f"/api/{user}/tasks/{ids[0]}/complete", 200),
    ):
        status, body = server.request(method, path, token)
        if status != expected:
            raise RuntimeError(f"{kind}: {method} {path} answered {status}: {body[:200]!r}")


# --- report -----------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def mib(kib: int | None) -> str:
    return "–" if kib is None else f"{kib / 1024:.1f}"


def report(results: list[Result], servers: list[Server], args, load_before: str) -> str:
    by_key: dict[tuple[str, str], list[Result]] = {}
    for result in results:
        by_key.setdefault((result.target, result.scenario), []).append(result)

    def mean_rps(target: str, scenario: str) -> float | None:
        runs = by_key.get((target, scenario))
        return statistics.fmean(r.rps for r in runs) if runs else None

    lines = [
        f"{args.users} users x {args.tasks} tasks, {args.connections} connections, "
        f"{args.threads} client threads, {args.duration} s per run, {args.rounds} round(s); "
        f"load average before: {load_before}"
        + (f"; server env: {' '.join(args.server_env)}" if args.server_env else ""),
        "",
        "| scenario | target | req/s | p50 ms | p99 ms | non-2xx/errors | server CPU µs/req | peak RSS MiB | vs pgbench |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    seen = []
    for result in results:
        key = (result.target, result.scenario)
        if key in seen:
            continue
        seen.append(key)
    for target, scenario in sorted(seen, key=lambda k: (SCENARIOS.index(k[1]), k[0] != "pgbench", k[0])):
        runs = by_key[(target, scenario)]
        rps = statistics.fmean(r.rps for r in runs)
        reference = mean_rps("pgbench", scenario)
        ratio = "" if target == "pgbench" or not reference else f"{rps / reference:.0%}"
        if target == "api (EdDSA)":
            hs = mean_rps("api (HS256) paired", scenario)
            ratio = f"{rps / hs:.0%} of HS256" if hs else ratio
        lines.append(
            "| {} | {} | {:,.0f} | {} | {} | {} | {} | {} | {} |".format(
                scenario,
                target,
                rps,
                fmt(max(r.p50_ms for r in runs if r.p50_ms is not None) if runs[0].p50_ms is not None else None),
                fmt(max(r.p99_ms for r in runs if r.p99_ms is not None) if runs[0].p99_ms is not None else None),
                sum(r.errors for r in runs),
                fmt(statistics.fmean(r.cpu_per_request_us for r in runs) if runs[0].cpu_per_request_us else None, 0),
                mib(max(r.peak_rss_kib for r in runs) if runs[0].peak_rss_kib else None),
                ratio,
            )
        )
    lines.append("")
    batched = [r for r in results if r.mean_batch]
    if batched:
        lines.append(
            "- writes per write batch (mean, from /metrics): "
            + ", ".join(f"{r.scenario} {r.target} {r.mean_batch:.1f}" for r in batched)
        )
    for server in servers:
        if server.process is None:
            continue
        hwm = read_status(server.process.pid)["VmHWM"] if server.process.poll() is None else None
        lines.append(
            f"- {server.name} server: ready {fmt(server.time_to_ready_ms, 0)} ms after start "
            f"(no migration pending); idle RSS {mib(server.idle_rss_kib)} MiB; peak RSS (VmHWM) {mib(hwm)} MiB"
        )
    return "\n".join(lines)


# --- main -------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", default=str(ROOT / "target" / "release" / "tasks-api"))
    parser.add_argument("--database-url", default=env("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--duration", type=int, default=int(env("BENCH_DURATION", "10")), help="seconds per run")
    parser.add_argument("--warmup", type=int, default=int(env("BENCH_WARMUP", "3")), help="seconds, not recorded")
    parser.add_argument("--connections", type=int, default=int(env("BENCH_CONNECTIONS", "32")))
    parser.add_argument("--threads", type=int, default=int(env("BENCH_THREADS", "2")), help="wrk -t and pgbench -j")
    parser.add_argument("--rounds", type=int, default=int(env("BENCH_ROUNDS", "1")), help="API/pgbench alternations")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=20, help="tasks per user")
    parser.add_argument("--scenarios", default=env("BENCH_SCENARIOS", ",".join(SCENARIOS)))
    parser.add_argument(
        "--jwks-scenarios",
        default=env("BENCH_JWKS_SCENARIOS", "list,get"),
        help="run again with EdDSA tokens from a local JWKS, paired with HS256 runs; '' to skip",
    )
    parser.add_argument(
        "--write-costs",
        default=env("BENCH_WRITE_COSTS", ""),
        help="for these write scenarios (create,toggle), also measure with the change notification off "
        "and pgbench without the version; '' to skip",
    )
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra variable for the servers, e.g. APP__DATABASE__MAX_CONNECTIONS=16 (repeatable)",
    )
    args = parser.parse_args()
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    args.jwks_scenarios = [s for s in args.jwks_scenarios.split(",") if s]
    args.write_costs = [s for s in args.write_costs.split(",") if s]
    for scenario in args.write_costs:
        if scenario not in ("create", "toggle"):
            parser.error(f"--write-costs: {scenario!r} is not create or toggle")
    for scenario in args.scenarios + args.jwks_scenarios:
        if scenario not in SCENARIOS:
            parser.error(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    if not 1 <= args.duration <= 120:
        parser.error("--duration must be 1..120 seconds")
    return args


def main() -> int:
    args = parse_args()
    require_loopback(args.database_url)
    binary = Path(args.binary)
    if not binary.exists():
        sys.exit(f"{binary} not found: cargo build --release -p tasks-server")
    for tool in ("wrk", "pgbench", "psql", "openssl"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found")
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    if float(load_before.split()[0]) > 1.0:
        log(f"warning: load average {load_before}: other work is running, figures will be noisy")

    database = f"tasks_bench_{os.getpid()}"
    db_url = with_database(args.database_url, database)
    workdir = Path(tempfile.mkdtemp(prefix="tasks-bench-"))
    servers: list[Server] = []
    jwks_server = None
    results: list[Result] = []
    failed = False
    psql(args.database_url, f'CREATE DATABASE "{database}"')
    try:
        secret = secrets.token_urlsafe(48)
        base_env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("APP__")
            and key not in ("DATABASE_URL", "MIGRATION_DATABASE_URL", "BETTER_AUTH_SECRET", "BETTER_AUTH_URL",
                            "NEXT_PUBLIC_BETTER_AUTH_URL", "JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE", "RUST_LOG")
        }  # fmt: skip
        # As deployed: production settings (JSON log lines, info level, a line per request),
        # but listening on loopback only.
        base_env.update(APP_ENV="production", HOST="127.0.0.1", DATABASE_URL=db_url)
        for assignment in args.server_env:
            name, _, value = assignment.partition("=")
            base_env[name] = value
        users = [str(FIRST_USER + k) for k in range(args.users)]
        fixture = Fixture(users=users)
        fixture.tokens["hs256"] = [hs256_token(secret, claims_for(user, 3600)) for user in users]

        hs = Server("HS256", binary, {**base_env, "BETTER_AUTH_SECRET": secret}, workdir)
        servers.append(hs)
        hs.migrate()
        hs.start()
        log(f"HS256 server ready in {hs.time_to_ready_ms:.0f} ms, idle RSS {mib(hs.idle_rss_kib)} MiB; seeding")
        seed(hs, fixture, args.tasks)
        seeded_rows = args.users * args.tasks
        psql(db_url, "VACUUM ANALYZE tasks")
        smoke(hs, fixture, "hs256")

        scripts = {}
        for kind in ("hs256",) + (("eddsa",) if args.jwks_scenarios else ()):
            if kind == "eddsa":
                key = Ed25519Key(workdir)
                fixture.tokens["eddsa"] = [key.token("bench", claims_for(user, 3600)) for user in users]
            for scenario in SCENARIOS + ("keyed",):
                path = workdir / f"{kind}-{scenario}.lua"
                write_wrk_script(path, scenario, fixture, kind)
                scripts[(kind, scenario)] = path

        if args.warmup:
            run_wrk(hs, scripts[("hs256", "mix")], args, args.warmup, "warmup", "mix")
            reset_rows(db_url, seeded_rows)

        def record(result: Result) -> None:
            nonlocal failed
            results.append(result)
            log(
                f"{result.scenario:6} {result.target:20} {result.rps:9,.0f} req/s  p50 {fmt(result.p50_ms)} ms  "
                f"p99 {fmt(result.p99_ms)} ms  errors {result.errors} {result.detail}"
                + (f"  {fmt(result.mean_batch, 1)} writes per batch" if result.mean_batch else "")
            )
            if result.errors:
                failed = True

        for scenario in args.scenarios:
            for _ in range(args.rounds):
                record(run_wrk(hs, scripts[("hs256", scenario)], args, args.duration, "api (HS256)", scenario))
                if scenario in WRITES_ROWS:
                    reset_rows(db_url, seeded_rows)
                record(run_pgbench(db_url, scenario, args, args.duration, workdir))
                if scenario in WRITES_ROWS:
                    reset_rows(db_url, seeded_rows)

        if args.jwks_scenarios:
            jwks_server = serve_jwks({"keys": [key.jwk("bench")]})
            jwks_url = f"http://127.0.0.1:{jwks_server.server_address[1]}/api/auth/jwks"
            eddsa = Server("EdDSA/JWKS", binary, {**base_env, "JWKS_URL": jwks_url}, workdir)
            servers.append(eddsa)
            eddsa.start()
            log(f"JWKS server ready in {eddsa.time_to_ready_ms:.0f} ms, idle RSS {mib(eddsa.idle_rss_kib)} MiB")
            smoke(eddsa, fixture, "eddsa")
            if args.warmup:
                run_wrk(eddsa, scripts[("eddsa", "mix")], args, args.warmup, "warmup", "mix")
                reset_rows(db_url, seeded_rows)
            for scenario in args.jwks_scenarios:
                for _ in range(args.rounds):
                    # Back to back, so that the comparison sees the same machine state.
                    record(run_wrk(hs, scripts[("hs256", scenario)], args, args.duration, "api (HS256) paired", scenario))
                    if scenario in WRITES_ROWS:
                        reset_rows(db_url, seeded_rows)
                    record(run_wrk(eddsa, scripts[("eddsa", scenario)], args, args.duration, "api (EdDSA)", scenario))
                    if scenario in WRITES_ROWS:
                        reset_rows(db_url, seeded_rows)

        if args.write_costs:
            measure_write_costs(hs, scripts, args, db_url, workdir, seeded_rows, record)

        table = report([r for r in results if r.target not in WRITE_COST_TARGETS.values()], servers, args, load_before)
        if args.write_costs:
            table += "\n" + "\n".join(write_cost_table(results, args.write_costs))
        print(table)
        if args.json:
            Path(args.json).write_text(
                json.dumps(
                    {
                        "results": [result.__dict__ for result in results],
                        "servers": [
                            {"name": s.name, "time_to_ready_ms": s.time_to_ready_ms, "idle_rss_kib": s.idle_rss_kib}
                            for s in servers
                        ],
                    },
                    indent=2,
                )
            )
    except Exception as error:  # noqa: BLE001 (report, clean up, fail)
        log(f"error: {error}")
        failed = True
    finally:
        for server in servers:
            server.stop()
        if jwks_server is not None:
            jwks_server.shutdown()
        try:
            psql(args.database_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        except RuntimeError as error:
            log(f"could not drop {database}: {error}")
        if failed:
            log(f"server logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if failed:
        log("FAILED: a run had non-2xx responses, socket errors or failed transactions")
        return 1
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
