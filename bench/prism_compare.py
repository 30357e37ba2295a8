"""Our mock against Stoplight Prism's mock of the same openapi.yaml, under the same load generator.

    .venv/bin/python bench/prism_compare.py [--duration 10] [--repeat 2] [--rows get_call,post_calls,...]
                                            [--connections 1,32] [--no-prism] [--json out.json]
    .venv/bin/python bench/prism_compare.py --startup-split       # where our start-up time goes

Starts our mock (`python -m mock_server --rate-limit off`, request validation on as
always) and Prism (`npx @stoplight/prism-cli@5 mock openapi.yaml -v error`), times each
from launch to the first 200 on availability, then loads them in turn with wrk
(Debian's `apt-get install wrk`) on four rows, GET /calls/{id}, POST /calls,
availability for one date and 7-day schedule tracking, at 1 and 32 connections,
`--repeat` times each (the servers alternate, so drift hits both alike). Prints
requests/s, p50 and p99 (the median over the repeats) per server and row, the ratio
ours/Prism of requests/s, start-up time and resident memory (VmRSS of the whole
process tree, after the load), and checks issue 14's targets: throughput >= 1.2x Prism
on GET /calls/{id}, POST /calls, availability and the one-record tracking row, p99 < 15 ms
on each at 32 connections, start-up < 0.4 s.

`--also NAME=COMMAND` adds servers to the same run, in turn with the others (`{port}` in
COMMAND is replaced; `--also-dir NAME=DIR` runs it from another checkout), e.g.

    --also "uvicorn=python bench/serve_with.py uvicorn --port {port}"
    --also "old=python -m mock_server --port {port} --rate-limit off" --also-dir old=/tmp/old-checkout

Prism serves the spec's paths without the servers' `/v1` base path; ours serves
them under `/v1`. Both get `Authorization: Bearer YOUR_API_KEY`."""
from __future__ import annotations

import argparse
import shutil
import json
import os
import platform
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
WRK_DIR = Path(__file__).resolve().parent / "wrk"
SPEC = ROOT / "openapi.yaml"
API_KEY = "YOUR_API_KEY"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
CALL_BODY = {"agent_id": "agent_123", "contact_number": "+919876543210"}
DATE = "2026-06-15"
DATE_TO = "2026-06-21"  # 7 days of schedule tracking
PRISM_PACKAGE = "@stoplight/prism-cli@5"

# row name -> (label, method, path under the API root; {call_id} filled per server, lua script)
ROWS = {
    "get_call": ("GET /calls/{id}", "GET", "/calls/{call_id}", "get.lua"),
    "post_calls": ("POST /calls", "POST", "/calls", "post_calls.lua"),
    "availability": (f"GET availability {DATE}", "GET", f"/appointment-slots/availability?date={DATE}", "get.lua"),
    # Not a target row (issue 14): Prism answers every tracking query with its one 467-byte
    # example, ours with the records asked for (34, 16 KB, over 7 days). Reported all the same.
    "schedule": ("GET schedule-tracking 7d*", "GET",
                 f"/appointment-slots/schedule-tracking?date_from={DATE}&date_to={DATE_TO}", "get.lua"),
    # The like-for-like tracking row: ours asked for one record, so both bodies are alike in size.
    "schedule_1": ("GET tracking, 1 record", "GET",
                   f"/appointment-slots/schedule-tracking?date_from={DATE}&date_to={DATE}&session=Afternoon",
                   "get.lua"),
}
TARGET_ROWS = ("get_call", "post_calls", "availability", "schedule_1")  # issue 14's target rows
P99_TARGET_MS = 15.0
STARTUP_TARGET_S = 0.4
EXPECTED = {"POST": 201, "GET": 200}
BUSY = 0.2  # cores used by other processes during a run above which the row is flagged


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- processes

def children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def process_tree(pid: int) -> list[int]:
    tree, out, todo = children_of(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(tree.get(p, []))
    return out


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


@dataclass
class Memory:
    total_mib: float          # VmRSS summed over the process tree
    main_mib: float           # the largest process (the Python server; Prism's node process)
    main_cmd: str

    def __str__(self) -> str:
        return f"{self.total_mib:.0f} MiB tree, {self.main_mib:.0f} MiB main process"


@dataclass
class Server:
    name: str
    cmd: list[str]
    cwd: Path
    api: str                 # the API root URL the rows are appended to
    log: Path
    proc: subprocess.Popen | None = None
    startups: list[float] = field(default_factory=list)
    call_id: str = ""

    @property
    def probe(self) -> str:
        return self.api + ROWS["availability"][2]

    def start(self, timeout: float = 90.0) -> float:
        """Launch and return seconds to the first 200 on availability."""
        logf = open(self.log, "ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(self.cmd, cwd=self.cwd, stdout=logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        logf.close()
        session = requests.Session()
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} before answering; see {self.log}")
            try:
                if session.get(self.probe, headers=AUTH, timeout=1).status_code == 200:
                    elapsed = time.perf_counter() - t0
                    self.startups.append(elapsed)
                    return elapsed
            except requests.RequestException:
                pass
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError(f"{self.name} did not answer 200 within {timeout} s; see {self.log}")
            time.sleep(0.002)

    def stop(self) -> None:
        """SIGTERM the whole process group (npx -> sh -> node for Prism), SIGKILL what is left after 5 s."""
        if self.proc is None:
            return
        pgid = self.proc.pid  # start_new_session: the group is ours and only ours

        def group_alive() -> bool:
            self.proc.poll()  # reap the leader so it does not linger as a zombie
            try:
                os.killpg(pgid, 0)
                return True
            except ProcessLookupError:
                return False

        for sig in (signal.SIGTERM, signal.SIGKILL):
            if not group_alive():
                break
            os.killpg(pgid, sig)
            deadline = time.monotonic() + 5
            while group_alive() and time.monotonic() < deadline:
                time.sleep(0.05)
        self.proc.wait(5)
        self.proc = None

    def memory(self) -> Memory:
        pids = process_tree(self.proc.pid)
        sizes = {p: rss_kib(p) for p in pids}
        main = max(sizes, key=sizes.get)
        return Memory(sum(sizes.values()) / 1024, sizes[main] / 1024, cmdline(main)[:120])


# ---------------------------------------------------------------- wrk

@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    server_cores: float = 0.0   # CPU the server's process tree used during the run, in cores
    other_cores: float = 0.0    # CPU used by everything else on the machine (not the server, not wrk)


UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(text: str) -> Run:
    def latency(pct: str) -> float:
        m = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        if not m:
            raise ValueError(f"no {pct}% latency in wrk output:\n{text}")
        return float(m.group(1)) * UNIT[m.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if not rps:
        raise ValueError(f"no Requests/sec in wrk output:\n{text}")
    return Run(rps=float(rps.group(1)), p50_ms=latency("50"), p99_ms=latency("99"),
               requests=int(total.group(1)) if total else 0,
               non_2xx=int(non2xx.group(1)) if non2xx else 0,
               socket_errors=sum(int(g) for g in sock.groups()) if sock else 0)


CLK_TCK = os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU-seconds all cores spent busy since boot (user, nice, system, irq, softirq, steal)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def tree_cpu(pid: int) -> float:
    """CPU-seconds used so far by a process tree (live processes only)."""
    total = 0
    for p in process_tree(pid):
        try:
            stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(stat[11]) + int(stat[12])  # utime, stime
    return total / CLK_TCK


def wrk(url: str, script: str, connections: int, duration: float, server_pid: int | None = None) -> Run:
    """One wrk run; with server_pid, also how much CPU the server and everything else used."""
    import resource
    before = (time.perf_counter(), machine_busy(), tree_cpu(server_pid) if server_pid else 0.0,
              resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF))
    threads = 1 if connections == 1 else 2
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency", "--timeout", "5s",
           "-s", str(WRK_DIR / script), url]
    out = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, HV_API_KEY=API_KEY),
                         timeout=duration + 60)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr}\n{out.stdout}")
    run = parse_wrk(out.stdout)
    if server_pid:
        wall = time.perf_counter() - before[0]
        children, me = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
        wrk_cpu = (children.ru_utime + children.ru_stime) - (before[3].ru_utime + before[3].ru_stime)
        own_cpu = (me.ru_utime + me.ru_stime) - (before[4].ru_utime + before[4].ru_stime)
        server = tree_cpu(server_pid) - before[2]
        run.server_cores = server / wall
        run.other_cores = max(0.0, (machine_busy() - before[1]) - server - wrk_cpu - own_cpu) / wall
    return run


def row_url(server: Server, row: str) -> str:
    return server.api + ROWS[row][2].format(call_id=server.call_id)


def check_row(server: Server, row: str) -> str | None:
    """One request by hand: the status and a snippet if it is not the expected one."""
    _, method, _, _ = ROWS[row]
    r = requests.request(method, row_url(server, row), headers=AUTH, json=CALL_BODY if method == "POST" else None,
                         timeout=10)
    if r.status_code != EXPECTED[method]:
        return f"{server.name} {ROWS[row][0]}: {r.status_code} {r.text[:200]}"
    return None


def create_call(server: Server) -> str:
    r = requests.post(server.api + "/calls", headers=AUTH, json=CALL_BODY, timeout=10)
    r.raise_for_status()
    return r.json()["data"]["call_id"]


# ---------------------------------------------------------------- versions

def versions(prism_cmd: list[str] | None) -> dict[str, str]:
    from importlib import metadata
    out = {"python": platform.python_version()}
    for pkg in ("connexion", "granian", "uvicorn", "starlette", "jsonschema", "jsonschema_rs", "uvloop", "httptools"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    w = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    out["wrk"] = (w.stdout + w.stderr).splitlines()[0].split(" [")[0] if (w.stdout + w.stderr) else "?"
    try:
        out["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        out["node"] = "?"
    if prism_cmd:
        v = subprocess.run(prism_cmd[:prism_cmd.index("mock")] + ["--version"], capture_output=True, text=True)
        out["prism"] = v.stdout.strip().splitlines()[-1] if v.stdout.strip() else f"? ({v.stderr.strip()[-200:]})"
    return out


def machine() -> dict[str, str]:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), "?")
    mem = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/meminfo").read_text().splitlines()
                if ln.startswith("MemTotal")), "?")
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "memory": mem, "kernel": platform.release()}


# ---------------------------------------------------------------- start-up split

SPLIT_SNIPPET = r"""
import asyncio, json, os, sys, time
t_launch = float(os.environ["BENCH_LAUNCH"])
t_main = time.time()
marks = {}
t = time.perf_counter()
import granian.server.embed, connexion, starlette, uvloop, jsonschema_rs  # third-party imports
marks["imports: granian + connexion + starlette + uvloop + jsonschema_rs"] = time.perf_counter() - t
t = time.perf_counter()
import mock_server.cli as cli, mock_server.app as app_module  # ours (and what they pull in)
marks["imports: mock_server"] = time.perf_counter() - t
captured = {}
real_create_app = app_module.create_app
def timed_create_app(*a, **kw):
    captured["state_done"] = time.perf_counter()
    app = real_create_app(*a, **kw)
    captured["app_done"] = time.perf_counter()
    return app
app_module.create_app = timed_create_app
cli.Serving.run = lambda self: captured.setdefault("app", self.app)
t = time.perf_counter()
cli.main(["--port", "1", "--rate-limit", "off"])
marks["State(): fixtures"] = captured["state_done"] - t
marks["create_app(): spec load + add_api"] = captured["app_done"] - captured["state_done"]
app = captured["app"]

async def call(scope, body=b""):
    sent = []
    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}
    async def send(message):
        sent.append(message)
    await app(scope, receive, send)
    return sent

async def lifespan():
    queue = asyncio.Queue()
    await queue.put({"type": "lifespan.startup"})
    done = asyncio.Event()
    async def receive():
        return await queue.get()
    async def send(message):
        if message["type"].startswith("lifespan.startup"):
            done.set()
    task = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send))
    await done.wait()
    return task

def scope():
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": "/v1/appointment-slots/availability", "raw_path": b"/v1/appointment-slots/availability",
            "root_path": "", "query_string": b"date=2026-06-15",
            "headers": [(b"host", b"127.0.0.1"), (b"authorization", b"Bearer YOUR_API_KEY")],
            "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 1), "state": {}, "extensions": {}}

async def main():
    t = time.perf_counter()
    task = await lifespan()
    marks["ASGI lifespan startup"] = time.perf_counter() - t
    t = time.perf_counter()
    sent = await call(scope())
    marks["first request (availability)"] = time.perf_counter() - t
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    t = time.perf_counter()
    await call(scope())
    marks["second request (availability)"] = time.perf_counter() - t
    task.cancel()
    return status

status = asyncio.run(main())
print(json.dumps({"interpreter start (launch -> first line)": t_main - t_launch, **marks, "status": status}))
"""


def startup_split(mock_dir: Path, trials: int) -> int:
    runs = []
    for _ in range(trials):
        env = dict(os.environ, BENCH_LAUNCH=repr(time.time()))
        out = subprocess.run([sys.executable, "-c", SPLIT_SNIPPET], cwd=mock_dir, capture_output=True, text=True,
                             env=env)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return 1
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"start-up split of our mock, median of {trials} in-process runs (ms):")
    total = 0.0
    for key in runs[0]:
        if key == "status":
            continue
        value = statistics.median(r[key] for r in runs) * 1000
        if not key.startswith("second"):
            total += value
        print(f"  {key:45} {value:8.1f}")
    print(f"  {'sum (without the second request)':45} {total:8.1f}   (first request answered {runs[0]['status']})")
    return 0


# ---------------------------------------------------------------- main

def fmt_ms(v: float) -> str:
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=int, default=10, help="whole seconds per wrk run (default 10)")
    p.add_argument("--repeat", type=int, default=2, help="runs per row, server and connection count (default 2)")
    p.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated, of {', '.join(ROWS)}")
    p.add_argument("--connections", default="1,32", help="comma-separated connection counts (default 1,32)")
    p.add_argument("--warmup", type=int, default=2,
                   help="whole seconds of unmeasured load per server and row, 0 for none (default 2)")
    p.add_argument("--startup-trials", type=int, default=3, help="launches per server to time start-up (default 3)")
    p.add_argument("--no-prism", action="store_true", help="only our mock")
    p.add_argument("--prism-cmd", default=f"npx --yes {PRISM_PACKAGE}",
                   help="how to run prism-cli (default: npx --yes @stoplight/prism-cli@5)")
    p.add_argument("--ours-args", default="", help="extra arguments for our mock, e.g. --validate-responses")
    p.add_argument("--mock-dir", type=Path, default=ROOT,
                   help="directory holding mock_server/, fixtures/ and openapi.yaml (default: this checkout)")
    p.add_argument("--also", action="append", default=[], metavar="NAME=COMMAND",
                   help="another server in the same run ({port} is filled in); repeatable")
    p.add_argument("--also-dir", action="append", default=[], metavar="NAME=DIR",
                   help="the directory an --also server runs in (default: --mock-dir)")
    p.add_argument("--json", type=Path, help="also write every run as JSON here")
    p.add_argument("--startup-split", action="store_true",
                   help="only time our start-up in parts: imports, fixtures, spec load, first request")
    args = p.parse_args()

    mock_dir = args.mock_dir.resolve()
    if args.startup_split:
        return startup_split(mock_dir, max(args.startup_trials, 3))
    if shutil.which("wrk") is None:
        print("prism_compare: wrk is not installed; install it with `apt-get install wrk` (Debian)", file=sys.stderr)
        return 2
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    conns = [int(c) for c in args.connections.split(",") if c.strip()]
    if unknown := [r for r in rows if r not in ROWS]:
        p.error(f"unknown rows {unknown}; choose from {list(ROWS)}")
    logdir = Path(tempfile.mkdtemp(prefix="prism_compare."))

    ours_port = free_port()
    servers = [Server("ours", [sys.executable, "-m", "mock_server", "--host", "127.0.0.1", "--port", str(ours_port),
                               "--rate-limit", "off", *shlex.split(args.ours_args)],
                      mock_dir, f"http://127.0.0.1:{ours_port}/v1", logdir / "ours.log")]
    dirs = dict(item.split("=", 1) for item in args.also_dir)
    for item in args.also:
        name, _, command = item.partition("=")
        port = free_port()
        cmd = [part.replace("{port}", str(port)) for part in shlex.split(command)]
        if cmd and cmd[0] == "python":
            cmd[0] = sys.executable
        servers.append(Server(name, cmd, Path(dirs.get(name, mock_dir)).resolve(), f"http://127.0.0.1:{port}/v1",
                              logdir / f"{name}.log"))
    prism_cmd = None
    if not args.no_prism:
        prism_port = free_port()
        prism_cmd = [*shlex.split(args.prism_cmd), "mock", str(mock_dir / "openapi.yaml"), "-p", str(prism_port),
                     "-h", "127.0.0.1", "-v", "error"]
        # Prism mounts the spec's paths at the root: the servers' /v1 is not part of its routes.
        servers.append(Server("prism", prism_cmd, mock_dir, f"http://127.0.0.1:{prism_port}", logdir / "prism.log"))

    info = {"machine": machine(), "versions": versions(prism_cmd), "duration_s": args.duration,
            "repeat": args.repeat, "warmup_s": args.warmup, "logs": str(logdir)}
    print("machine:", ", ".join(f"{k} {v}" for k, v in info["machine"].items()))
    print("versions:", ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    print(f"logs: {logdir}", flush=True)
    busy0, t0 = machine_busy(), time.perf_counter()
    time.sleep(1)
    idle_load = (machine_busy() - busy0) / (time.perf_counter() - t0)
    info["load_before_cores"] = idle_load
    print(f"CPU in use before starting: {idle_load:.2f} of {os.cpu_count()} cores"
          + ("  (the machine is not quiet: numbers will be noisy)" if idle_load > BUSY else ""), flush=True)

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    results: dict[tuple[str, str, int], list[Run]] = {}
    memory: dict[str, dict[str, Memory]] = {}
    try:
        # Start-up: one server at a time, nothing else running; the last launch stays up.
        for s in servers:
            for trial in range(args.startup_trials):
                s.start()
                if trial < args.startup_trials - 1:
                    s.stop()
            print(f"start-up {s.name}: " + ", ".join(f"{x:.3f}" for x in s.startups) + " s", flush=True)
        for s in servers:
            memory[s.name] = {"idle": s.memory()}
            s.call_id = create_call(s)
            for row in rows:
                if problem := check_row(s, row):
                    print(f"WARNING: {problem}", flush=True)
            for row in rows:
                if args.warmup > 0:
                    wrk(row_url(s, row), ROWS[row][3], max(conns), args.warmup)
        for rep in range(args.repeat):
            for row in rows:
                for c in conns:
                    order = servers if rep % 2 == 0 else servers[::-1]
                    for s in order:
                        run = wrk(row_url(s, row), ROWS[row][3], c, args.duration, s.proc.pid)
                        results.setdefault((s.name, row, c), []).append(run)
                        flag = f"  server {run.server_cores:.2f} cores, others {run.other_cores:.2f}"
                        flag += f"  non-2xx {run.non_2xx}" if run.non_2xx else ""
                        flag += f"  socket errors {run.socket_errors}" if run.socket_errors else ""
                        print(f"  [{rep + 1}/{args.repeat}] {s.name:8} {ROWS[row][0]:26} c={c:<3} "
                              f"{run.rps:9.0f} req/s  p50 {fmt_ms(run.p50_ms):>6} ms  p99 {fmt_ms(run.p99_ms):>6} ms"
                              f"{flag}", flush=True)
        for s in servers:
            memory[s.name]["after load"] = s.memory()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        for s in servers:
            s.stop()

    # ---- report
    def med(runs: list[Run], attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in runs)

    names = [s.name for s in servers]
    header = f"{'row':26} {'conns':>5} | {'ours req/s':>10} {'p50 ms':>7} {'p99 ms':>7}"
    if "prism" in names:
        header += f" | {'prism req/s':>11} {'p50 ms':>7} {'p99 ms':>7} | {'ours/prism':>10}"
    print()
    print(f"median of {args.repeat} x {args.duration:g} s wrk runs (wrk -t1 at 1 connection, -t2 otherwise)")
    print(header)
    print("-" * len(header))
    table = []
    for row in rows:
        for c in conns:
            ours = results[("ours", row, c)]
            line = f"{ROWS[row][0]:26} {c:>5} | {med(ours, 'rps'):>10.0f} {fmt_ms(med(ours, 'p50_ms')):>7} " \
                   f"{fmt_ms(med(ours, 'p99_ms')):>7}"
            entry = {"row": row, "label": ROWS[row][0], "connections": c,
                     "ours": {"rps": med(ours, "rps"), "p50_ms": med(ours, "p50_ms"), "p99_ms": med(ours, "p99_ms"),
                              "runs": [r.__dict__ for r in ours]}}
            if "prism" in names:
                prism = results[("prism", row, c)]
                ratio = med(ours, "rps") / med(prism, "rps")
                line += f" | {med(prism, 'rps'):>11.0f} {fmt_ms(med(prism, 'p50_ms')):>7} " \
                        f"{fmt_ms(med(prism, 'p99_ms')):>7} | {ratio:>9.2f}x"
                entry["prism"] = {"rps": med(prism, "rps"), "p50_ms": med(prism, "p50_ms"),
                                  "p99_ms": med(prism, "p99_ms"), "runs": [r.__dict__ for r in prism]}
                entry["ratio"] = ratio
            bad = sum(r.non_2xx + r.socket_errors for s in names for r in results[(s, row, c)])
            if bad:
                line += f"  ({bad} non-2xx/socket errors)"
            busy = max(r.other_cores for s in names for r in results[(s, row, c)])
            entry["max_other_cores"] = busy
            if busy > BUSY:
                line += f"  (machine busy: others used up to {busy:.2f} cores)"
            print(line)
            table.append(entry)
    extras = [n for n in names if n not in ("ours", "prism")]
    if extras:
        print(f"\nthe other servers of the same run (req/s, p99 ms, and req/s against ours)")
        for row in rows:
            for c in conns:
                ours_rps = med(results[("ours", row, c)], "rps")
                cells = []
                for n in extras:
                    runs = results[(n, row, c)]
                    cells.append(f"{n} {med(runs, 'rps'):>6.0f} {fmt_ms(med(runs, 'p99_ms')):>5} "
                                 f"({med(runs, 'rps') / ours_rps:.2f}x)")
                    next(e for e in table if e["row"] == row and e["connections"] == c)[n] = {
                        "rps": med(runs, "rps"), "p50_ms": med(runs, "p50_ms"), "p99_ms": med(runs, "p99_ms"),
                        "runs": [r.__dict__ for r in runs]}
                print(f"{ROWS[row][0]:26} {c:>5} | ours {ours_rps:>6.0f} | " + " | ".join(cells))
    # CPU per request barely moves when other processes compete for the cores, unlike
    # requests/s and latency: the fairer comparison on a shared machine.
    print(f"\nserver CPU per request, microseconds (median over runs; lower is better)")
    cpu_header = f"{'row':26} {'conns':>5} | {'ours':>8}" + (f" | {'prism':>8} | {'prism/ours':>10}" if "prism" in names else "")
    print(cpu_header)
    print("-" * len(cpu_header))
    for entry in table:
        row, c = entry["row"], entry["connections"]
        per = {n: statistics.median(r.server_cores / r.rps * 1e6 for r in results[(n, row, c)] if r.rps) for n in names}
        for n in names:
            entry[n]["cpu_us_per_request"] = per[n]
        line = f"{entry['label']:26} {c:>5} | {per['ours']:>8.0f}"
        if "prism" in names:
            line += f" | {per['prism']:>8.0f} | {per['prism'] / per['ours']:>9.2f}x"
        line += "".join(f" | {n} {per[n]:.0f}" for n in extras)
        print(line)
    print()
    for s in servers:
        print(f"start-up {s.name:8} (launch -> first 200 on availability): median "
              f"{statistics.median(s.startups):.3f} s over {len(s.startups)} launches "
              f"(min {min(s.startups):.3f}, max {max(s.startups):.3f})")
    for s in servers:
        for when, m in memory[s.name].items():
            print(f"memory   {s.name:8} {when:10}: {m}  [{m.main_cmd[:70]}]")

    print("\ntargets:")
    verdicts = []
    targeted = [e for e in table if e["row"] in TARGET_ROWS]
    at_32 = [e for e in targeted if e["connections"] == 32]
    if "prism" in names and at_32:
        worst = min(at_32, key=lambda e: e["ratio"])
        ok = worst["ratio"] >= 1.2
        verdicts.append(("throughput >= 1.2x Prism on every target row at 32 connections", ok,
                         f"worst {worst['ratio']:.2f}x ({worst['label']}, c={worst['connections']})"))
    big = [e for e in targeted if e["connections"] == 32]
    if big:
        worst = max(big, key=lambda e: e["ours"]["p99_ms"])
        verdicts.append((f"p99 < {P99_TARGET_MS:g} ms at 32 connections", worst["ours"]["p99_ms"] < P99_TARGET_MS,
                         f"worst {worst['ours']['p99_ms']:.1f} ms ({worst['label']})"))
    ours_start = statistics.median(servers[0].startups)
    verdicts.append((f"start-up < {STARTUP_TARGET_S:g} s", ours_start < STARTUP_TARGET_S, f"{ours_start:.3f} s"))
    for name, ok, detail in verdicts:
        print(f"  {'MET   ' if ok else 'MISSED'} {name}: {detail}")
    if any(e["row"] not in TARGET_ROWS for e in table):
        print("  (* not a target row: Prism answers it with one static example, see ROWS in this script)")

    if args.json:
        info.update(table=table, startup={s.name: s.startups for s in servers},
                    memory={n: {k: m.__dict__ for k, m in v.items()} for n, v in memory.items()},
                    targets=[{"target": n, "met": ok, "detail": d} for n, ok, d in verdicts])
        args.json.write_text(json.dumps(info, indent=2))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
