"""The contract suite catches broken servers.

For each variant in tests/broken/variants.py (a mock patched to break one
documented clause), a fresh `python -m tests.broken.serve VARIANT` is started on
a free loopback port and the contract suite is run against it as a subprocess,
restricted to the tests that enforce that clause (`enforcing_tests()[clause]`),
with PROFILE=fast and a fixed SEED (and Hypothesis seed). The suite must fail
(exit 1) and its report must name the clause ("Documented clause <ID>"). A
control run against the unpatched mock, over every clause the variants break,
must pass (exit 0), so each failure above is the variant's doing.

The runs are subprocess pairs that mostly wait on each other, so they are made
up front, BROKEN_VARIANT_WORKERS (default 2) at a time, for exactly the cases
pytest selected; each test then judges its own run. By default a
representative subset runs (REPRESENTATIVE: about 50 s on 2 idle cores);
FULL_BROKEN_VARIANTS=1 runs every variant (about 2 min). Runs that need no
Schemathesis test are made with `-p no:schemathesis`, which only skips loading
that plugin (about 0.6 s of each run's start).
Each run works in its own temporary directory, so no Hypothesis or Schemathesis
example database of the project picks up the broken servers' failures.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `tests` is not an installed package; `pytest` alone does not put ROOT first
    sys.path.insert(0, str(ROOT))

from contract_tests.clauses import catalogue, enforcing_tests
from tests.broken.serve import UNPATCHED
from tests.broken.variants import VARIANTS, Variant
from contract_tests.run import stop  # noqa: E402

SEED = "20260615"
WORKERS = max(1, int(os.environ.get("BROKEN_VARIANT_WORKERS", "2")))
RUN_TIMEOUT = 240.0  # seconds for one suite run; a hung server is killed after it
START_TIMEOUT = 30.0
# One variant per area (scopes, auth, rate limit, availability, tracking, PATCH, calls, schema),
# the two known detection gaps, and one Schemathesis-caught break: the default selection.
REPRESENTATIVE = {
    "get_call_ignores_its_scope", "availability_needs_no_key", "rate_limited_without_retry_after",
    "retry_after_is_always_zero", "availability_arithmetic_off_by_one",
    "availability_lists_windows_closed_by_definition", "tracking_date_to_defaults_to_the_next_day",
    "patch_override_applies_to_every_date", "idempotency_key_ignored", "cancel_of_started_or_completed_call_is_200",
    "delete_leaves_the_call_readable", "create_without_agent_id_accepted", "availability_slot_lacks_updated_at",
}
FULL = os.environ.get("FULL_BROKEN_VARIANTS") == "1"
SELECTED = [v for v in VARIANTS if FULL or v.name in REPRESENTATIVE]
# Environment that would point the suite elsewhere or change what it may do.
SCRUBBED_ENV = ("TARGET", "HUSKYVOICE_TARGET", "HUSKYVOICE_BUNDLED_MOCK", "KEYS", "ALLOW_WRITES",
                "TEST_CONTACT_NUMBER", "RATE_LIMIT_PROBE", "IN_PROGRESS_CALL_ID", "COMPLETED_CALL_ID",
                "DELETABLE_CALL_ID", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")


@dataclass
class SuiteRun:
    label: str
    node_ids: list[str]
    returncode: int
    output: str
    server_log: str
    seconds: float

    def explain(self) -> str:
        tail = self.output[-6000:]
        return (f"suite run against '{self.label}' exited {self.returncode} after {self.seconds:.1f} s\n"
                f"tests: {' '.join(self.node_ids)}\n--- suite output (tail) ---\n{tail}\n"
                f"--- server log (tail) ---\n{self.server_log[-2000:]}")


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
def serving(name: str, log_path: Path) -> Iterator[str]:
    """`python -m tests.broken.serve NAME` on a free port until the block ends; yields its base URL."""
    port = free_port()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "tests.broken.serve", name, "--port", str(port)],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        health = f"http://127.0.0.1:{port}/_mock/health"
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"serve {name} exited with {proc.returncode}: {log_path.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(health, timeout=2):
                    break
            except urllib.error.HTTPError as exc:  # it answered, but not healthy: no point waiting
                raise RuntimeError(f"serve {name}: GET /_mock/health is {exc.code}: "
                                   f"{log_path.read_text(errors='replace')}") from None
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"serve {name} did not answer within {START_TIMEOUT:.0f} s: "
                                       f"{log_path.read_text(errors='replace')}") from None
                time.sleep(0.05)  # polling a subprocess that is starting
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop(proc)


def run_suite(name: str, node_ids: list[str]) -> SuiteRun:
    """Serve `name` (a variant, or the unpatched mock) and run `node_ids` against it."""
    work = Path(tempfile.mkdtemp(prefix=f"broken-{name}-"))
    started = time.monotonic()
    try:
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
        env.update(PROFILE="fast", SEED=SEED, HYPOTHESIS_STORAGE_DIRECTORY=str(work / ".hypothesis"))
        uses_schemathesis = any("test_schema_conformance.py" in n or "test_stateful.py" in n for n in node_ids)
        with serving(name, work / "server.log") as base:
            command = [sys.executable, "-m", "pytest", *node_ids, "--target", base, "-p", "no:cacheprovider",
                       "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"),
                       f"--hypothesis-seed={SEED}", "-q", "--tb=short", "-rfE",
                       *([] if uses_schemathesis else ["-p", "no:schemathesis"])]
            try:
                done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True,
                                      timeout=RUN_TIMEOUT)
                code, output = done.returncode, done.stdout + done.stderr
            except subprocess.TimeoutExpired as exc:
                out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
                code, output = -1, f"{out}\n(timed out after {RUN_TIMEOUT:.0f} s)"
        server_log = (work / "server.log").read_text(errors="replace")
        return SuiteRun(name, node_ids, code, output, server_log, time.monotonic() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def control_clauses() -> list[str]:
    return sorted({v.clause for v in SELECTED})


@pytest.fixture(scope="session")
def suite_runs(request) -> dict[str, SuiteRun]:
    """Every run the selected cases need, made BROKEN_VARIANT_WORKERS at a time."""
    wanted: dict[str, list[str]] = {}
    for item in request.session.items:
        if item.module is not sys.modules[__name__]:
            continue
        params = getattr(item, "callspec", None)
        v = params.params.get("variant") if params else None
        if isinstance(v, Variant):
            wanted[v.name] = [v.clause]
        elif item.originalname == "test_suite_passes_on_the_unpatched_mock":
            wanted[UNPATCHED] = control_clauses()
    # The slowest (Schemathesis) runs first, so the pool does not end on one of them.
    order = sorted(wanted, key=lambda n: not any(c.startswith("SPEC-") for c in wanted[n]))
    # Test ids are read here, in one thread: CPython 3.11.7's ast.parse is not thread-safe
    # (two parses at once raised "AST constructor recursion depth mismatch" in CI).
    node_ids = {name: node_ids_for(wanted[name]) for name in order}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {name: pool.submit(run_suite, name, node_ids[name]) for name in order}
        return {name: future.result() for name, future in futures.items()}


def _caught_case(v: Variant):
    marks = [] if v.expected_caught else [pytest.mark.xfail(strict=True, reason=f"suite gap: {v.reason}")]
    return pytest.param(v, id=v.name, marks=marks)


def _report_case(v: Variant):
    gap = v.reason if not v.expected_caught else v.report_gap if not v.report_names_clause else None
    marks = [pytest.mark.xfail(strict=True, reason=f"suite gap: {gap}")] if gap else []
    return pytest.param(v, id=v.name, marks=marks)


def test_every_variant_breaks_a_catalogued_clause_that_some_test_enforces():
    """Each variant names a clause of clauses.yaml with enforcing tests; names are unique; at least 16."""
    assert len(VARIANTS) >= 16
    assert len({v.name for v in VARIANTS}) == len(VARIANTS)
    assert REPRESENTATIVE <= {v.name for v in VARIANTS}, REPRESENTATIVE - {v.name for v in VARIANTS}
    tests = enforcing_tests()
    for v in VARIANTS:
        assert v.clause in catalogue(), v.name
        assert tests.get(v.clause), f"{v.name}: no test enforces {v.clause}"
        assert v.expected_caught or v.reason, f"{v.name}: a gap needs its reason"
        assert v.report_names_clause or v.report_gap, f"{v.name}: a report gap needs its reason"


@pytest.mark.parametrize("variant", [_caught_case(v) for v in SELECTED])
def test_suite_fails_when_the_mock_breaks_the_clause(variant, suite_runs):
    """The tests enforcing the clause fail (pytest exit 1) on a mock broken in that clause."""
    run = suite_runs[variant.name]
    assert run.returncode == 1, run.explain()


@pytest.mark.parametrize("variant", [_report_case(v) for v in SELECTED])
def test_failure_report_names_the_broken_clause(variant, suite_runs):
    """That failing run's report says "Documented clause <ID>" for the clause the variant breaks."""
    run = suite_runs[variant.name]
    assert run.returncode == 1 and f"Documented clause {variant.clause}" in run.output, run.explain()


def test_suite_passes_on_the_unpatched_mock(suite_runs):
    """The same restricted runs, every clause the variants break, pass (exit 0) on the mock as shipped."""
    run = suite_runs[UNPATCHED]
    assert run.returncode == 0, run.explain()
