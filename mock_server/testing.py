"""The mock from your own tests, in the spirit of moto: start one, put it in a state, check
what your code sent. The pytest plugin (`mock_server.pytest_plugin`) builds its fixtures
from these two pieces; they work without pytest too.

    with running_mock() as mock:
        control = Control(mock.origin, session="job-42")
        control.seed("appointments", [{...}])
        ...  # your code calls mock.base_url with X-Mock-Session: job-42
        assert control.requests_to("createCall")

Every call goes through the control API (mock_server/control.yaml), over HTTP."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import requests

DOCS_KEY = "YOUR_API_KEY"  # the docs' placeholder: a key with every scope in the bundled fixtures
SESSION_HEADER = "X-Mock-Session"


@dataclass(frozen=True)
class MockServer:
    """A running mock: `base_url` is the API root the docs write (…/v1)."""
    origin: str  # http://127.0.0.1:PORT
    api_key: str = DOCS_KEY

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_mock(*, fixtures: str | Path | None = None, rate_limit: str | None = None,
                 extra_args: tuple[str, ...] = (), timeout: float = 30.0) -> Iterator[MockServer]:
    """`huskyvoice-mock` on a free loopback port, stopped on exit. `rate_limit` is BURST/PER_SECOND or off."""
    port = _free_port()
    command = [sys.executable, "-m", "mock_server", "--port", str(port), *extra_args]
    if fixtures is not None:
        command += ["--fixtures", str(fixtures)]
    if rate_limit is not None:
        command += ["--rate-limit", rate_limit]
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
    server = MockServer(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"huskyvoice-mock exited with {process.returncode}: "
                                   f"{log.read().decode(errors='replace').strip()}")
            try:
                requests.get(f"{server.origin}/_mock/health", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"huskyvoice-mock did not answer within {timeout:g} s") from None
                time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


class ControlError(RuntimeError):
    """The control API refused a request; the message is its error envelope's."""


class Control:
    """The control API of one mock, in one `X-Mock-Session` (the default state with `session=None`)."""

    def __init__(self, origin: str, session: str | None = None, token: str | None = None,
                 api_key: str = DOCS_KEY) -> None:
        self.origin, self.session, self.api_key = origin.rstrip("/"), session, api_key
        self.headers = {**({SESSION_HEADER: session} if session else {}),
                        **({"X-Mock-Control-Token": token} if token else {})}
        self._http = requests.Session()

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    @property
    def api_headers(self) -> dict[str, str]:
        """What a request of the documented API needs to land in this session, with the key."""
        return {"Authorization": f"Bearer {self.api_key}",
                **({SESSION_HEADER: self.session} if self.session else {})}

    def _call(self, verb: str, path: str, body: Any = None, query: dict | None = None) -> Any:
        response = self._http.request(verb, f"{self.origin}/_mock{path}", json=body, headers=self.headers,
                                      params={k: v for k, v in (query or {}).items() if v is not None}, timeout=60)
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                message = f"{error['code']}: {error['message']}"
            except (ValueError, KeyError, TypeError):
                message = response.text[:300]
            raise ControlError(f"{verb} /_mock{path} answered {response.status_code}: {message}")
        return response.json()

    # ── state ─────────────────────────────────────────────────────────────
    def reset(self) -> None:
        """Back to the fixtures; faults and this session's journal cleared, the clock running from now."""
        self._call("POST", "/reset")

    def export_state(self) -> dict:
        return self._call("GET", "/state")

    def import_state(self, state: dict) -> None:
        self._call("PUT", "/state", state)

    def drop(self) -> None:
        """Forget this session's state (nothing for the default state)."""
        if self.session:
            self._http.delete(f"{self.origin}/_mock/sessions/{self.session}", headers=self.headers, timeout=10)

    # ── clock ─────────────────────────────────────────────────────────────
    def now(self) -> datetime:
        return datetime.fromisoformat(self._call("GET", "/clock")["now"].replace("Z", "+00:00"))

    def advance(self, seconds: float) -> int:
        """Move the clock on; returns how many calls changed status."""
        return self._call("POST", "/clock/advance", {"seconds": seconds})["calls_advanced"]

    def set_clock(self, at: datetime, frozen: bool | None = None) -> None:
        self._call("PUT", "/clock", {"now": at.isoformat(), **({} if frozen is None else {"frozen": frozen})})

    def freeze(self) -> None:
        self._call("PUT", "/clock", {"frozen": True})

    def unfreeze(self) -> None:
        self._call("PUT", "/clock", {"frozen": False})

    # ── calls and records ────────────────────────────────────────────────
    def calls(self) -> list[dict]:
        return self._call("GET", "/calls")["data"]

    def transition(self, call_id: str, status: str, error: dict | None = None) -> dict:
        """Force a call in_progress, completed or failed."""
        return self._call("POST", f"/calls/{call_id}/transition",
                          {"status": status, **({"error": error} if error else {})})

    def seed_call(self, **fields: Any) -> dict:
        """A call as given (agent_id and contact_number at least; any other field of a call)."""
        return self._call("POST", "/calls", fields)["data"]

    def seed(self, kind: str, records: list[dict] | dict) -> list[dict]:
        """Add records of `kind`: branches, appointment-types, calendar-windows or appointments."""
        return self._call("POST", f"/seed/{kind}", records)["data"]

    # ── faults ────────────────────────────────────────────────────────────
    def fault(self, operation_id: str = "*", status: int | None = None, *, latency_ms: int | None = None,
              probability: float | None = None, retry_after: int | None = None, times: int | None = None,
              seed: int | None = None) -> dict:
        given = {"operation_id": operation_id, "status": status, "latency_ms": latency_ms,
                 "probability": probability, "retry_after": retry_after, "times": times, "seed": seed}
        return self._call("POST", "/faults", {k: v for k, v in given.items() if v is not None})["data"]

    def clear_faults(self) -> int:
        return self._call("DELETE", "/faults")["cleared"]

    # ── what your code sent ──────────────────────────────────────────────
    def journal(self, *, limit: int = 100, method: str | None = None, path_prefix: str | None = None,
                status: int | None = None, operation_id: str | None = None) -> list[dict]:
        """This session's requests to the documented API, newest first (keys masked)."""
        return self._call("GET", "/journal", query={"limit": limit, "method": method, "path_prefix": path_prefix,
                                                    "status": status, "operation_id": operation_id})["data"]

    def requests_to(self, operation_id: str) -> list[dict]:
        """This session's requests to one documented operation (e.g. "createCall"), oldest first."""
        return list(reversed(self.journal(limit=1000, operation_id=operation_id)))
