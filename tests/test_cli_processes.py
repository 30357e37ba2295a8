"""The mock and the contract run as processes: a port that cannot be ours is said plainly
before any banner, and a contract run that is told to stop takes its mock with it."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import ROOT, _cli


def run_cli(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run([_cli(), *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def refuses_connections(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("value", ["70586", "0", "-1", "http"])
def test_a_port_that_is_not_a_tcp_port_is_refused_before_anything_binds(value):
    """--port 70586 used to bind 5050 (70586 mod 65536) under a banner saying 70586."""
    run = run_cli("--port", value)
    assert run.returncode == 2 and "--port" in run.stderr, run.stderr
    assert "HuskyVoice mock:" not in run.stdout
    if value == "70586":
        assert refuses_connections(70586 % 65536)


def test_a_port_in_use_is_said_plainly_with_no_banner_naming_the_other_server():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = run_cli("--port", str(port))
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in run.stderr and "Traceback" not in run.stderr
    assert "HuskyVoice mock:" not in run.stdout


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_contract_run_told_to_stop_stops_the_mock_it_started(tmp_path, signum):
    """SIGTERM (or SIGHUP) to `make test` during the contract phase used to leave the mock running, parent 1."""
    log = tmp_path / "run.log"
    env = {k: v for k, v in os.environ.items() if k not in ("TARGET", "HUSKYVOICE_TARGET")}
    with open(log, "w") as out:
        run = subprocess.Popen([sys.executable, "-m", "contract_tests.run", "--", "-p", "no:schemathesis",
                                "-k", "test_tracking", "--report-dir", str(tmp_path)],
                               cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    port = None
    while port is None and time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith("HuskyVoice mock: http://127.0.0.1:"):
                port = int(line.split("127.0.0.1:")[1].split("/")[0])
        time.sleep(0.05)  # polling the subprocess's output while it starts
    assert port is not None, log.read_text()
    run.send_signal(signum)
    assert run.wait(timeout=20) == 128 + signum
    deadline = time.monotonic() + 10
    while not refuses_connections(port) and time.monotonic() < deadline:
        time.sleep(0.05)  # the mock is stopping
    assert refuses_connections(port), f"the mock on {port} is still running after the run stopped"


@pytest.mark.parametrize("framing, part", [
    ("chunked", b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"age\r\n"),
    # A whole create body short of its Content-Length: taking the end of the stream for the end of
    # the body would create the call.
    ("length", b"Content-Length: 200\r\n\r\n" + b'{"agent_id": "agent_123", "contact_number": "+919876543210"}'),
], ids=["chunked", "content-length"])
def test_a_client_that_leaves_mid_body_is_journaled_as_a_400_not_a_crash(tmp_path, framing, part):
    """D-body-cut-short: a body that ends before it is whole is 400 VALIDATION_ERROR (a client that left
    never reads it), journaled so, nothing logged as an error, nothing created."""
    import json
    import urllib.request

    from conftest import free_port

    port, log = free_port(), tmp_path / "mock.log"
    with open(log, "w") as out:
        mock = subprocess.Popen([_cli(), "--port", str(port), "--log-level", "info"], stdout=out, stderr=subprocess.STDOUT,
                                cwd=ROOT)
    try:
        deadline = time.monotonic() + 20
        while refuses_connections(port) and time.monotonic() < deadline:
            time.sleep(0.05)  # the mock is starting
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(b"POST /v1/calls HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer YOUR_API_KEY\r\n"
                           b"Content-Type: application/json\r\n" + part)
            time.sleep(0.3)  # part of the body is in; then the client leaves
        time.sleep(0.5)
        base = f"http://127.0.0.1:{port}/_mock"
        entry = json.loads(urllib.request.urlopen(f"{base}/journal?limit=1", timeout=5).read())["data"][0]
        calls = json.loads(urllib.request.urlopen(f"{base}/calls", timeout=5).read())["data"]
    finally:
        mock.terminate()
        mock.wait(timeout=10)
    assert (entry["path"], entry["status"]) == ("/v1/calls", 400), entry
    assert calls == []
    text = log.read_text()
    assert "ERROR" not in text and "Traceback" not in text, text
