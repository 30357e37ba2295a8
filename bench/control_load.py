"""Does heavy control-API use stall the documented API? Latency of GET /v1/calls/{id}
at 8 connections while the mock exports and imports a state of 100,000 calls, reads
/_mock/calls and reads the journal; and whether export -> import round-trips byte for byte.

    .venv/bin/python bench/control_load.py [--calls 100000] [--connections 8] [--rounds 1]

Starts `huskyvoice-mock --rate-limit off` on a free loopback port and drives it over
HTTP from a separate process, so the load generator does not share the mock's GIL.
Unless --no-prism, the same load runs first against Prism (which has no state and no
control API: a reference for the latency of this load on this machine, in this run).
Figures are printed, never asserted: copy them into bench/RESULTS.md."""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AUTH = {"Authorization": "Bearer YOUR_API_KEY"}
JSON = {"Content-Type": "application/json"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 600) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def synthetic_calls(count: int) -> list[dict]:
    """Calls in every status, the way a long-running CI mock accumulates them."""
    statuses = ("scheduled", "in_progress", "completed", "failed", "cancelled")
    return [{"call_id": f"00000000-0000-4000-8000-{i:012d}", "status": statuses[i % len(statuses)],
             "agent_id": f"agent_{i % 20}", "contact_number": f"+91{9000000000 + i}",
             "contact_name": f"Contact {i}", "contact_email": f"contact.{i}@company{i % 100}.com",
             "additional_info": {"company": f"Company {i % 1000}", "deal_stage": "negotiation", "ref": i},
             "created_at": "2026-06-15T03:00:00Z"} for i in range(count)]


def load(port: int, call_ids: list[str], connections: int, stop, out, path_of) -> None:
    """Closed-loop GETs on `connections` keep-alive connections; (start, latency, status) each."""
    samples: list[tuple[float, float, int]] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine, n = [], index
        while not stop.is_set():
            path = path_of(call_ids[n % len(call_ids)])
            n += connections
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=AUTH)
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:  # counted as a failure (status 0), then a new connection
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                status = 0
            mine.append((start, time.perf_counter() - start, status))
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.send(samples)


def summary(samples: list[tuple[float, float, int]], start: float, end: float) -> str:
    window = sorted(lat for at, lat, _ in samples if start <= at < end)
    if not window:
        return "no requests"
    p = lambda q: window[min(len(window) - 1, int(q * len(window)))] * 1000  # noqa: E731
    bad = sum(1 for at, _, status in samples if start <= at < end and status != 200)
    return (f"{len(window):6d} requests  {len(window) / (end - start):6.0f} req/s  p50 {p(0.50):6.2f} ms  "
            f"p99 {p(0.99):7.2f} ms  max {window[-1] * 1000:7.1f} ms  non-200 {bad}")


def measure(port: int, path_of, call_ids: list[str], connections: int, seconds: float, headers=AUTH):
    """Closed-loop GETs for `seconds` with nothing else going on: (samples, start, end)."""
    stop = multiprocessing.Event()
    receiver, sender = multiprocessing.Pipe(duplex=False)
    loader = multiprocessing.Process(target=load, args=(port, call_ids, connections, stop, sender, path_of))
    loader.start()
    time.sleep(1.0)
    start = time.perf_counter()
    time.sleep(seconds)
    end = time.perf_counter()
    stop.set()
    samples = receiver.recv()
    loader.join()
    return samples, start, end


def prism_reference(connections: int) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from prism_compare import PRISM_PACKAGE, Server  # noqa: E402
    port = free_port()
    prism = Server("prism", ["npx", "--yes", PRISM_PACKAGE, "mock", str(ROOT / "openapi.yaml"), "-h", "127.0.0.1",
                             "-p", str(port), "-v", "error"], ROOT, f"http://127.0.0.1:{port}",
                   Path(os.environ.get("TMPDIR", "/tmp")) / "control_load_prism.log")
    prism.start()
    try:
        samples, start, end = measure(port, prism_path, ["550e8400-e29b-41d4-a716-446655440000"], connections, 3.0)
        return summary(samples, start, end)
    finally:
        prism.stop()


def prism_path(call_id: str) -> str:
    return f"/calls/{call_id}"


def mock_path(call_id: str) -> str:
    return f"/v1/calls/{call_id}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1, help="export+import rounds under load")
    parser.add_argument("--no-prism", action="store_true", help="skip the Prism reference (needs npx)")
    parser.add_argument("--mock-dir", type=Path, default=ROOT,
                        help="serve the mock_server of another checkout (e.g. a git worktree of an older commit)")
    args = parser.parse_args()
    prism = None if args.no_prism else prism_reference(args.connections)

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "mock_server", "--port", str(port), "--rate-limit", "off",
                               "--log-level", os.environ.get("MOCK_LOG", "warning")], cwd=args.mock_dir)
    try:
        for _ in range(200):
            try:
                if request(port, "GET", "/_mock/health", timeout=1)[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        request(port, "PUT", "/_mock/clock", json.dumps({"frozen": True}).encode(), JSON)
        status, body = request(port, "GET", "/_mock/state")
        document = json.loads(body)
        document["calls"] = synthetic_calls(args.calls)
        seed = json.dumps(document).encode()
        started = time.perf_counter()
        status, body = request(port, "PUT", "/_mock/state", seed, JSON)
        print(f"seeded {args.calls:,} calls ({len(seed) / 1e6:.1f} MB) in {time.perf_counter() - started:.2f} s: "
              f"{status}", flush=True)
        if status != 200:
            print(body[:500].decode(errors="replace"))
            return 1
        call_ids = [c["call_id"] for c in document["calls"]]

        stop = multiprocessing.Event()
        receiver, sender = multiprocessing.Pipe(duplex=False)
        loader = multiprocessing.Process(target=load, args=(port, call_ids, args.connections, stop, sender,
                                                            mock_path))
        loader.start()
        time.sleep(1.0)  # connections open, caches warm
        marks: dict[str, tuple[float, float]] = {}
        quiet_start = time.perf_counter()
        time.sleep(3.0)
        marks["before (no control traffic)"] = (quiet_start, time.perf_counter())

        def timed(label: str, method: str, path: str, body: bytes | None = None) -> bytes:
            start = time.perf_counter()
            status, out = request(port, method, path, body, JSON if body is not None else None)
            marks[label] = (start, time.perf_counter())
            print(f"  {label:36s} {status} in {marks[label][1] - start:6.2f} s, {len(out) / 1e6:6.1f} MB", flush=True)
            return out

        busy_start = time.perf_counter()
        identical = True
        for round_ in range(args.rounds):
            exported = timed(f"GET /_mock/state #{round_ + 1}", "GET", "/_mock/state")
            timed(f"PUT /_mock/state #{round_ + 1}", "PUT", "/_mock/state", exported)
            again = timed(f"GET /_mock/state again #{round_ + 1}", "GET", "/_mock/state")
            identical = identical and again == exported
            timed(f"GET /_mock/calls #{round_ + 1}", "GET", "/_mock/calls")
            timed(f"GET /_mock/journal?limit=1000 #{round_ + 1}", "GET", "/_mock/journal?limit=1000")
        marks["during all the control traffic"] = (busy_start, time.perf_counter())
        stop.set()
        samples = receiver.recv()
        loader.join()

        print(f"\nGET /v1/calls/{{id}} at {args.connections} connections, {args.calls:,} calls held:")
        if prism is not None:
            print(f"  {'Prism, same load (its static example)':36s} {prism}")
        for label, (start, end) in marks.items():
            print(f"  {label:36s} {summary(samples, start, end)}")
        print(f"\nexport -> import -> export byte for byte: {'yes' if identical else 'NO'} "
              f"({len(exported):,} bytes)")
        return 0 if identical else 1
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    sys.exit(main())
