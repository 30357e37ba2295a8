"""Where the mock's CPU goes under load, by layer: py-spy samples the server while wrk
loads one row of bench/prism_compare.py, and each sample of the event loop's thread is charged to the innermost
frame that belongs to a layer (stdlib helpers such as `re` or `typing` count for their
caller).

    .venv/bin/pip install py-spy
    apt-get install -y wrk
    .venv/bin/python bench/profile_layers.py [--rows get_call,post_calls,schedule] [--seconds 10]

Prints one table, a column per row, and the heaviest functions of each row.
"""
from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from prism_compare import AUTH, CALL_BODY, ROWS, WRK_DIR, free_port  # noqa: E402

import requests  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# (layer, path fragments), first match wins; order matters ("mock_server/store" before "mock_server/").
LAYERS = [
    ("HTTP server and the socket write", ("granian/", "uvicorn/", "httptools")),
    ("request validation (Connexion validators, jsonschema, ours)",
     ("connexion/validators/", "jsonschema/", "jsonschema_rs", "referencing/", "mock_server/validation.py")),
    ("Connexion per-request plumbing (request object, parameters, response)",
     ("connexion/decorators/", "connexion/lifecycle.py", "connexion/uri_parsing.py", "connexion/utils.py",
      "connexion/context.py", "connexion/apps/", "connexion/jsonifier.py", "connexion/frameworks/",
      "mock_server/speedups.py", "werkzeug/")),
    ("middleware stack and routing (Starlette, Connexion)", ("starlette/", "connexion/middleware/")),
    ("our middleware (journal, session, auth, faults)",
     ("mock_server/middleware.py", "mock_server/journal.py", "mock_server/sessions.py", "mock_server/faults.py",
      "mock_server/store/keys.py", "mock_server/store/ratelimit.py")),
    ("handlers and store", ("mock_server/",)),
    ("JSON encode/decode", ("json/",)),
    ("event loop", ("asyncio/", "uvloop", "<frozen runpy>")),
]
FRAME = re.compile(r"(?P<func>.*) \((?P<file>.*):(?P<line>\d+)\)$")


def layer_of(path: str) -> str | None:
    for name, fragments in LAYERS:
        if any(f in path for f in fragments):
            return name
    return None


def charge(raw: Path) -> tuple[collections.Counter, collections.Counter, int]:
    layers, functions, total = collections.Counter(), collections.Counter(), 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        if not stack.startswith("_run_module_as_main"):
            continue  # not the event loop's thread (an idle worker thread of anyio's pool)
        n = int(count)
        total += n
        frames = [FRAME.match(f) for f in stack.split(";")]
        frames = [f for f in frames if f]
        for f in reversed(frames):
            name = layer_of(f["file"])
            if name:
                layers[name] += n
                break
        else:
            layers["other"] += n
        if frames:
            inner = frames[-1]
            functions[f"{inner['func']} ({inner['file'].split('site-packages/')[-1].split(str(ROOT) + '/')[-1]})"] += n
    return layers, functions, total


def profile_row(row: str, seconds: int, connections: int, pyspy: str) -> Path:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "mock_server", "--host", "127.0.0.1", "--port", str(port),
                               "--rate-limit", "off"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}/v1"
        for _ in range(500):
            try:
                requests.get(base + "/calls/probe", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.02)  # polling a subprocess that is starting
        call_id = requests.post(base + "/calls", json=CALL_BODY, headers=AUTH, timeout=5).json()["data"]["call_id"]
        label, method, path, script = ROWS[row]
        url = base + path.format(call_id=call_id)
        wrk = subprocess.Popen(["wrk", "-t2", f"-c{connections}", f"-d{seconds + 3}s", "-s", str(WRK_DIR / script), url],
                               stdout=subprocess.DEVNULL)
        time.sleep(1.5)  # past wrk's connection set-up
        out = Path(tempfile.mkdtemp(prefix="profile_layers.")) / f"{row}.txt"
        subprocess.run([pyspy, "record", "--pid", str(server.pid), "-r", "250", "-d", str(seconds), "--format", "raw",
                        "-o", str(out)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wrk.wait()
        return out
    finally:
        server.terminate()
        server.wait()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", default="get_call,post_calls,schedule")
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--top", type=int, default=8, help="heaviest functions to list per row")
    args = p.parse_args()
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(pyspy).exists() or not shutil.which("wrk"):
        print("needs py-spy (pip install py-spy) and wrk (apt-get install -y wrk)", file=sys.stderr)
        return 2
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    results = {}
    for row in rows:
        raw = profile_row(row, args.seconds, args.connections, pyspy)
        results[row] = charge(raw)
        print(f"{ROWS[row][0]}: {results[row][2]} samples ({raw})", flush=True)
    names = [name for name, _ in LAYERS] + ["other"]
    print(f"\nshare of the server's samples, wrk -t2 -c{args.connections}, {args.seconds} s per row\n")
    print(f"{'layer':72}" + "".join(f" | {ROWS[r][0][:24]:>24}" for r in rows))
    print("-" * (72 + 27 * len(rows)))
    for name in names:
        cells = "".join(f" | {100 * results[r][0][name] / max(1, results[r][2]):>23.1f}%" for r in rows)
        print(f"{name:72}{cells}")
    for row in rows:
        _, functions, total = results[row]
        print(f"\nheaviest functions (self time), {ROWS[row][0]}:")
        for func, n in functions.most_common(args.top):
            print(f"  {100 * n / total:5.1f}%  {func}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
