"""The contract suite as a team's CI meets it: a wrong TARGET or KEYS ends the run at
once with one sentence; a keys file without a throttled key skips the 429 checks; a
mock the suite did not start keeps its state; tests read the state they rely on; a
failure prints a command that reproduces it. Each test runs the real suite against a
real mock, as a subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, free_port, running_mock

sys.path.insert(0, str(ROOT))
from tests.variants.runner import SCRUBBED_ENV, serving  # noqa: E402

KEY = "YOUR_API_KEY"


def suite(*args: str, env: dict | None = None, cwd: Path = ROOT, timeout: float = 240) -> subprocess.CompletedProcess:
    """`python -m pytest <args>` on the contract suite, in the environment a user would have."""
    clean = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    clean.update(PROFILE="fast", SEED="7", PYTHONPATH=str(ROOT), **(env or {}))
    with tempfile.TemporaryDirectory(prefix="suite-harness-") as reports:  # not the project's reports/
        return subprocess.run([sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider", "-q",
                               "--report-dir", reports, "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml")],
                              cwd=cwd, env=clean, capture_output=True, text=True, timeout=timeout)


def control(base: str, method: str, path: str, body=None, session: str | None = None):
    origin = base.removesuffix("/v1")
    request = urllib.request.Request(f"{origin}/_mock{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json",
                                              **({"X-Mock-Session": session} if session else {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def api(base: str, method: str, path: str, body=None) -> tuple[int, dict]:
    request = urllib.request.Request(f"{base}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def one_sentence_exit(run: subprocess.CompletedProcess, *phrases: str) -> None:
    out = run.stdout + run.stderr
    assert run.returncode == 2, out[-3000:]
    assert "Traceback" not in out and "INTERNALERROR" not in out, out[-3000:]
    assert len(out.strip().splitlines()) <= 5, out
    for phrase in phrases:
        assert phrase in out, out


# ── a wrong TARGET or KEYS ends the run before any test ──────────────────────
def test_a_target_where_nothing_listens_ends_the_run_with_one_sentence():
    run = suite("contract_tests", "--target", f"http://127.0.0.1:{free_port()}/v1")
    one_sentence_exit(run, "nothing answers at TARGET")


def test_a_target_without_a_scheme_ends_the_run_with_one_sentence():
    run = suite("contract_tests", "--target", "127.0.0.1:4010/v1")
    one_sentence_exit(run, "is not an http(s) URL")


def test_a_target_whose_documented_paths_answer_404_ends_the_run_with_one_sentence(live_mock):
    """The base URL without /v1: GET /appointment-slots/availability is not there."""
    run = suite("contract_tests", "--target", live_mock.removesuffix("/v1"))
    one_sentence_exit(run, "answers 404", "ending in /v1")


@pytest.mark.parametrize("content,phrase", [
    (None, "does not exist"),
    ("keys:\n  - key: abc\n    scopes: [calls:read\n", "line 4: not valid YAML"),
    ("", "is empty"),
    ("keys:\n  - key: abc\n    scopes: [calls:reed]\n", "line 2: unknown scope calls:reed"),
])
def test_a_keys_file_that_cannot_be_used_ends_the_run_naming_the_file_and_the_line(live_mock, tmp_path, content, phrase):
    keys = tmp_path / "keys.yaml"
    if content is not None:
        keys.write_text(content)
    run = suite("contract_tests", "--target", live_mock, "--keys", str(keys))
    one_sentence_exit(run, f"KEYS file {keys}", phrase)


# ── a keys file without a throttled key ──────────────────────────────────────
def test_a_keys_file_without_a_throttled_key_skips_the_429_checks_instead_of_failing(live_mock, tmp_path):
    """A realistic keys file: one key, every scope, no rate_limit: nothing to provoke a 429 with."""
    keys = tmp_path / "keys.yaml"
    keys.write_text("keys:\n  - key: YOUR_API_KEY\n    scopes: [calls:create, calls:read, calls:cancel, calls:delete, "
                    "appointments:read, appointments:write, slots:read, slots:write]\n")
    run = suite("contract_tests/test_rate_limit.py", "--target", live_mock, "--keys", str(keys), "-rs")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "2 skipped" in run.stdout and "throttled key" in run.stdout, run.stdout[-3000:]


# ── a mock the suite did not start keeps its state ──────────────────────────
def test_the_suite_leaves_the_state_of_a_mock_it_did_not_start_alone():
    """The stateful test resets, the rate-limit test moves the clock: in the suite's own X-Mock-Session,
    which it drops at the end. A call seeded by hand and the clock as set stay as they were."""
    with running_mock() as base:
        call = control(base, "POST", "/calls", {"agent_id": "by_hand", "contact_number": "+919876543210",
                                                "status": "completed"})["data"]["call_id"]
        control(base, "PUT", "/clock", {"now": "2026-06-15T09:00:00Z", "frozen": True})
        run = suite("contract_tests/test_stateful.py", "contract_tests/test_rate_limit.py", "--target", base)
        assert run.returncode == 0, run.stdout[-3000:]
        assert api(base, "GET", f"/calls/{call}")[0] == 200
        assert control(base, "GET", "/clock")["now"].startswith("2026-06-15T09:00:00")
        assert not [s for s in control(base, "GET", "/sessions")["data"] if s["name"].startswith("contract-")]


def test_with_reset_target_the_suite_works_in_the_default_state_and_resets_it():
    with running_mock() as base:
        call = control(base, "POST", "/calls", {"agent_id": "by_hand", "contact_number": "+919876543210",
                                                "status": "completed"})["data"]["call_id"]
        run = suite("contract_tests/test_stateful.py", "--target", base, "--reset-target")
        assert run.returncode == 0, run.stdout[-3000:]
        assert api(base, "GET", f"/calls/{call}")[0] == 404


# ── tests read what they rely on ────────────────────────────────────────────
def test_the_patch_tests_hold_when_earlier_requests_left_the_next_week_overridden():
    """Off the mock nothing resets between tests: fuzzing may already have changed the record a week
    later (the second independent server took max_slots 100001). The tests read it first."""
    with running_mock("--no-control") as base:
        week_later = "a1b2c3d4-e5f6-7890-abcd-ef1234567890||2026-06-22||f47ac10b-58cc-4372-a567-0e02b2c3d479"
        status, body = api(base, "PATCH", f"/appointment-slots/tracking/{week_later}",
                           {"max_slots": 99, "status": "CLOSED"})
        assert status == 200, body
        run = suite("contract_tests/test_slots.py", "--target", base, "-k", "patch_max_slots or patch_status",
                    env={"ALLOW_WRITES": "1"})
        assert run.returncode == 0 and "2 passed" in run.stdout, run.stdout[-3000:]


# ── a failure says how to reproduce it ──────────────────────────────────────
def test_a_failure_prints_a_make_command_that_reproduces_it(tmp_path):
    test = "test_availability_slots_are_open_windows_of_that_date_with_their_arithmetic"
    with serving("availability_arithmetic_off_by_one", tmp_path, foreign=False) as (base, _):
        run = suite(f"contract_tests/test_slots.py::{test}", "--target", base)
        assert run.returncode == 1, run.stdout[-3000:]
        expected = f"make contract SEED=7 TARGET={base} K={test}"
        assert f"Reproduce with: {expected}" in run.stdout, run.stdout[-3000:]
        clean = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV and not k.startswith("MAKE")}
        again = subprocess.run(expected.split(), cwd=ROOT, env=clean, capture_output=True, text=True, timeout=240)
        assert again.returncode != 0 and f"{test} FAILED" in again.stdout.replace("::", " ") or \
            "1 failed" in again.stdout, again.stdout[-3000:]
