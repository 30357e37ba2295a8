"""Run the contract suite against one variant of the mock, as a team's CI would run it
against their server: `python -m tests.variants.serve` on a free loopback port, then
the suite as a subprocess, with PROFILE=fast and a fixed SEED (and Hypothesis seed).

Mock mode: the variant serves its control API, as the bundled mock does. Foreign mode:
it serves none, and the suite gets what a team would give it for their server: the
seeded call ids, ALLOW_WRITES=1 with a contact number, DOCS_EXAMPLES=1 (the fixtures
hold the docs' printed records) and RATE_LIMIT_PROBE (the keys file has a throttled key).

Each run works in its own temporary directory, so no Hypothesis or Schemathesis example
database of the project picks up a variant's failures.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from contract_tests.clauses import enforcing_tests
from contract_tests.run import stop

ROOT = Path(__file__).resolve().parent.parent.parent
SEED = "20260615"
RUN_TIMEOUT = 300.0  # seconds for one suite run; a hung server is killed after it
START_TIMEOUT = 30.0
# Environment that would point the suite elsewhere or change what it may do.
SCRUBBED_ENV = ("TARGET", "HUSKYVOICE_TARGET", "HUSKYVOICE_BUNDLED_MOCK", "KEYS", "ALLOW_WRITES",
                "TEST_CONTACT_NUMBER", "RATE_LIMIT_PROBE", "IN_PROGRESS_CALL_ID", "COMPLETED_CALL_ID",
                "DELETABLE_CALL_ID", "DOCS_EXAMPLES", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "SEED", "PROFILE")
FOREIGN_ENV = {"ALLOW_WRITES": "1", "TEST_CONTACT_NUMBER": "+919876543210", "DOCS_EXAMPLES": "1",
               "RATE_LIMIT_PROBE": "10"}
WHOLE_SUITE = [str(ROOT / "contract_tests")]


@dataclass
class SuiteRun:
    label: str
    foreign: bool
    node_ids: list[str]
    returncode: int
    output: str
    server_log: str
    seconds: float

    def explain(self) -> str:
        tail = self.output[-8000:]
        mode = "foreign" if self.foreign else "mock"
        return (f"suite run ({mode} mode) against '{self.label}' exited {self.returncode} after {self.seconds:.1f} s\n"
                f"tests: {' '.join(self.node_ids)}\n--- suite output (tail) ---\n{tail}\n"
                f"--- server log (tail) ---\n{self.server_log[-3000:]}")


def node_ids_for(clauses: list[str]) -> list[str]:
    """`contract_tests/<file>::<test>` for every test enforcing any of `clauses`, each once."""
    tests = enforcing_tests()
    ids: list[str] = []
    for clause in clauses:
        for test in tests.get(clause, []):
            node = str(ROOT / "contract_tests" / test.split("::")[0]) + "::" + test.split("::")[1]
            if node not in ids:
                ids.append(node)
    return ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(name: str, work: Path, foreign: bool) -> Iterator[tuple[str, dict]]:
    """The variant `name` on a free port until the block ends; yields its base URL and, in
    foreign mode, the environment naming its seeded calls."""
    port = free_port()
    log_path, env_path = work / "server.log", work / "seeded.json"
    command = [sys.executable, "-m", "tests.variants.serve", name, "--port", str(port),
               *(["--foreign", "--env-out", str(env_path)] if foreign else [])]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    probe = f"{base}/appointment-slots/availability" if foreign else f"http://127.0.0.1:{port}/_mock/health"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"serve {name} exited with {proc.returncode}: {log_path.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(probe, timeout=2):
                    break
            except urllib.error.HTTPError as exc:
                if foreign:
                    break  # it answered (401: no key), which is all a foreign target says
                raise RuntimeError(f"serve {name}: GET /_mock/health is {exc.code}: "
                                   f"{log_path.read_text(errors='replace')}") from None
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"serve {name} did not answer within {START_TIMEOUT:.0f} s: "
                                       f"{log_path.read_text(errors='replace')}") from None
                time.sleep(0.05)  # polling a subprocess that is starting
        yield base, (json.loads(env_path.read_text()) if foreign else {})
    finally:
        stop(proc)


def run_suite(name: str, node_ids: list[str], *, foreign: bool, seed: str = SEED) -> SuiteRun:
    """Serve `name` (a variant, or the unpatched mock) and run `node_ids` against it."""
    work = Path(tempfile.mkdtemp(prefix=f"variant-{name}-"))
    started = time.monotonic()
    try:
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
        env.update(PROFILE="fast", SEED=seed, HYPOTHESIS_STORAGE_DIRECTORY=str(work / ".hypothesis"),
                   PYTHONPATH=str(ROOT))
        if foreign:
            env.update(FOREIGN_ENV)
        uses_schemathesis = any(("test_schema_conformance.py" in n or "test_stateful.py" in n
                                 or n.endswith("contract_tests")) for n in node_ids)
        with serving(name, work, foreign) as (base, seeded):
            env.update(seeded)
            command = [sys.executable, "-m", "pytest", *node_ids, "--target", base, "-p", "no:cacheprovider",
                       "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"),
                       f"--hypothesis-seed={seed}", "-q", "--tb=short", "-rfE",
                       *([] if uses_schemathesis else ["-p", "no:schemathesis"])]
            try:
                done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True,
                                      timeout=RUN_TIMEOUT)
                code, output = done.returncode, done.stdout + done.stderr
            except subprocess.TimeoutExpired as exc:
                out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
                code, output = -1, f"{out}\n(timed out after {RUN_TIMEOUT:.0f} s)"
            server_log = (work / "server.log").read_text(errors="replace")
        return SuiteRun(name, foreign, node_ids, code, output, server_log, time.monotonic() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)
