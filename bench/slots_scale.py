"""Availability and tracking at scale: 10,000 calendar windows and 1,000,000
appointments, served over HTTP by the real app.

The store is built once in this process; a forked child serves it with uvicorn
(copy-on-write, no rebuild) and this process times real requests. Prints median
and p99 latencies of availability for one date, 7-day schedule tracking and a
365-day regenerate, and the server's resident memory.

    .venv/bin/python bench/slots_scale.py [--windows 10000] [--appointments 1000000] [--requests 200]
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import statistics
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mock_server.state import Settings, State  # noqa: E402
from mock_server.store.slots import (SESSIONS, WEEKDAYS, Appointment, AppointmentType,  # noqa: E402
                                     Branch, CalendarWindow, SlotStore)

AUTH = {"Authorization": "Bearer YOUR_API_KEY"}
START = date(2026, 1, 5)  # a Monday


def build(windows: int, appointments: int, seed: int = 1) -> SlotStore:
    rng = random.Random(seed)
    store = SlotStore()
    types = [AppointmentType(str(uuid.UUID(int=rng.getrandbits(128))), f"Service {i}") for i in range(20)]
    for kind in types:
        store.add_appointment_type(kind)
    branches = []
    for i in range(100):
        offered = [t.appointment_type_id for t in rng.sample(types, 3)]
        branches.append(Branch(f"branch-{i:03d}", f"Branch {i}", offered))
        store.add_branch(branches[-1])
    created = datetime(2026, 1, 1, tzinfo=timezone.utc)
    all_windows = []
    for i in range(windows):
        branch = branches[i % len(branches)]
        one_type = rng.random() < 0.5
        session = SESSIONS[i % 3]
        window = CalendarWindow(
            calendar_id=str(uuid.UUID(int=rng.getrandbits(128))), branch_id=branch.branch_id,
            day=WEEKDAYS[i % 7], session=session, batch=f"{session[0]}{i % 10}", start_time="09:00",
            end_time="11:00", appointment_type_id=rng.choice(branch.appointment_type_ids) if one_type else None,
            max_slots=40, ai_slots=20, status="OPEN" if rng.random() < 0.9 else "CLOSED",
            created_at=created, updated_at=created)
        store.add_window(window)
        all_windows.append((window, store.types_served(window)))
    for i in range(appointments):
        window, served = all_windows[rng.randrange(len(all_windows))]
        week = rng.randrange(52)
        day = START + timedelta(days=7 * week + WEEKDAYS.index(window.day))
        store.add_appointment(Appointment(f"a{i}", window.calendar_id, day, rng.choice(served).appointment_type_id,
                                          "confirmed" if rng.random() < 0.85 else "cancelled"))
    return store


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(state: State, port: int) -> None:
    import uvicorn

    from mock_server.app import create_app
    uvicorn.run(create_app(state), host="127.0.0.1", port=port, log_level="error", access_log=False)


def timed(session: requests.Session, method: str, url: str, n: int, **kwargs) -> tuple[list[float], int]:
    samples, size = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        response = session.request(method, url, **kwargs)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (response.status_code, response.text[:200])
        size = len(response.content)
    return samples, size


def p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--windows", type=int, default=10_000)
    parser.add_argument("--appointments", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    t0 = time.perf_counter()
    state = State(Settings(rate_limit=None))
    state.slots = build(args.windows, args.appointments)
    build_s = time.perf_counter() - t0
    port = free_port()
    pid = os.fork()
    if pid == 0:
        serve(state, port)
        os._exit(0)
    try:
        base = f"http://127.0.0.1:{port}/v1"
        session = requests.Session()
        session.headers.update(AUTH)
        for _ in range(200):
            try:
                session.get(f"{base}/appointment-slots/availability", params={"date": "2026-03-02"})
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        rows = []
        day = START + timedelta(days=7 * 10)
        runs = {
            "availability, one date": ("GET", f"{base}/appointment-slots/availability",
                                       args.requests, {"params": {"date": day.isoformat()}}),
            "schedule tracking, 7 days": ("GET", f"{base}/appointment-slots/schedule-tracking",
                                          max(10, args.requests // 10),
                                          {"params": {"date_from": day.isoformat(),
                                                      "date_to": (day + timedelta(days=6)).isoformat()}}),
            "regenerate, 365 days": ("POST", f"{base}/appointment-slots/regenerate", max(10, args.requests // 10),
                                     {"json": {"date_from": "2026-01-01", "date_to": "2026-12-31"}}),
        }
        for name, (method, url, n, kwargs) in runs.items():
            samples, size = timed(session, method, url, n, **kwargs)
            rows.append((name, n, statistics.median(samples), p(samples, 0.99), size))
        memory = rss_mb(pid)
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)

    print(f"slots at scale: {args.windows:,} windows, {args.appointments:,} appointments "
          f"(built in {build_s:.1f} s), Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print(f"{'request':28} {'n':>5} {'median ms':>10} {'p99 ms':>9} {'body bytes':>11}")
    for name, n, median, p99, size in rows:
        print(f"{name:28} {n:5d} {median:10.2f} {p99:9.2f} {size:11,d}")
    print(f"server resident memory: {memory:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
