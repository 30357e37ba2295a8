"""The docs' own code, run against the real mock with only the host changed.

tests/docs_snippets/ holds the snippets exactly as the docs print them (the
flattened page lost indentation and blank lines; those are restored, nothing
else). Each test reads a file, swaps `https://api.huskyvoice.ai` for the live
mock's origin, writes the result to a temporary file and runs it with the tool
the docs meant: bash + curl + jq, Python + requests, node (the JavaScript uses
top-level await, so it runs as an ES module). The live mock is reset through
its control API before each run, since the PATCH snippet changes a record.
"""
from __future__ import annotations

import ast
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import DOCS_DIR

SNIPPETS = Path(__file__).resolve().parent / "docs_snippets"
DOCS_HOST = "https://api.huskyvoice.ai"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
CALLS_DOC = DOCS_DIR / "calls-and-api-keys.txt"
SLOTS_DOC = DOCS_DIR / "availability-and-schedule-tracking.txt"

from docs_examples import DOCS_AVAILABILITY_SLOT, DOCS_REGENERATE_RESULT, DOCS_TRACKING_RECORD  # noqa: E402

RUNNERS = {".sh": ["bash"], ".py": [sys.executable], ".mjs": ["node", "--input-type=module"]}
TOOLS = {".sh": ("bash", "curl", "jq"), ".py": (), ".mjs": ("node",)}
SNIPPET_FILES = sorted(p.name for p in SNIPPETS.iterdir() if p.suffix in RUNNERS)


def _origin(base: str) -> str:
    url = urlsplit(base)
    return f"{url.scheme}://{url.netloc}"


@pytest.fixture
def fresh_mock(live_mock):
    """The live mock, reset to its fixtures (POST /_mock/reset, the control API)."""
    url = urlsplit(live_mock)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        conn.request("POST", "/_mock/reset")
        assert conn.getresponse().status == 200
    finally:
        conn.close()
    return live_mock


def run_snippet(name: str, base: str, tmp_path: Path) -> str:
    source = SNIPPETS / name
    suffix = source.suffix
    missing = [tool for tool in TOOLS[suffix] if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed")
    text = source.read_text(encoding="utf-8")
    assert DOCS_HOST in text
    script = tmp_path / name
    script.write_text(text.replace(DOCS_HOST, _origin(base)), encoding="utf-8")
    env = {**os.environ, "APPEQ_API_KEY": "YOUR_API_KEY"}
    if suffix == ".mjs":
        done = subprocess.run(RUNNERS[suffix], input=script.read_text(encoding="utf-8"), env=env,
                              capture_output=True, text=True, timeout=60)
    else:
        done = subprocess.run([*RUNNERS[suffix], str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def parse_output(name: str, stdout: str):
    """curl prints the JSON body; Python prints `response.json()` (a dict repr); node prints util.inspect."""
    if name.endswith(".sh"):
        return json.loads(stdout)
    if name.endswith(".py"):
        return ast.literal_eval(stdout.strip())
    return stdout


def inspect_line(key: str, value) -> str:
    """How node's console.log prints one property of an object."""
    if value is None:
        shown = "null"
    elif isinstance(value, bool):
        shown = "true" if value else "false"
    elif isinstance(value, str):
        shown = "'" + value + "'"
    else:
        shown = str(value)
    return f"{key}: {shown}"


def assert_contains_record(name: str, stdout: str, record: dict) -> None:
    output = parse_output(name, stdout)
    if isinstance(output, str):
        for key, value in record.items():
            assert re.search(r"(^|[\s{,])" + re.escape(inspect_line(key, value)) + r"(,|\s|$)", output), key
        return
    rows = output.get("slots", output.get("data"))
    if isinstance(rows, dict):
        rows = [rows]
    assert record in rows, output


# ── the files are the docs ───────────────────────────────────────────────────
def _code_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("name", SNIPPET_FILES)
def test_snippet_file_is_the_docs_code_verbatim(name):
    """Each file is the docs' code, line for line; only indentation and blank lines were restored."""
    doc = CALLS_DOC if name.startswith("call_lifecycle") else SLOTS_DOC
    doc_lines = _code_lines(doc.read_text(encoding="utf-8"))
    lines = _code_lines((SNIPPETS / name).read_text(encoding="utf-8"))
    starts = [i for i, line in enumerate(doc_lines) if line == lines[0]]
    assert any(doc_lines[i:i + len(lines)] == lines for i in starts), f"{name} is not a run of lines in {doc.name}"


def test_every_documented_snippet_has_a_file():
    """The call lifecycle (cURL, Python, JavaScript) and the four slots examples in three languages each."""
    stems = ["call_lifecycle", "availability", "schedule_tracking", "update_tracking", "regenerate"]
    assert set(SNIPPET_FILES) == {stem + ext for stem in stems for ext in RUNNERS}


# ── the call lifecycle scripts ───────────────────────────────────────────────
LIFECYCLE_CANCELLED = {
    "call_lifecycle.sh": "Cancelled successfully",
    "call_lifecycle.py": "Cancelled: cancelled",
    "call_lifecycle.mjs": "Cancelled: cancelled",
}


@pytest.mark.parametrize("name", LIFECYCLE_CANCELLED)
def test_call_lifecycle_script_creates_reads_and_cancels_a_call(fresh_mock, tmp_path, name):
    """"Full working scripts covering create, status check, and cancel." — Created, Status: scheduled, Cancelled."""
    stdout = run_snippet(name, fresh_mock, tmp_path)
    lines = stdout.strip().splitlines()
    assert len(lines) == 3, stdout
    assert re.fullmatch(r"Created:? " + UUID, lines[0]), lines[0]
    assert lines[1] == "Status: scheduled"
    assert lines[2] == LIFECYCLE_CANCELLED[name]


@pytest.mark.parametrize("name", LIFECYCLE_CANCELLED)
def test_call_lifecycle_script_leaves_the_call_cancelled(fresh_mock, tmp_path, name):
    """"Cancel a call in pending or scheduled status." — the script's call reads back as cancelled."""
    stdout = run_snippet(name, fresh_mock, tmp_path)
    call_id = re.search(UUID, stdout).group(0)
    url = urlsplit(fresh_mock)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        conn.request("GET", f"/v1/calls/{call_id}", headers={"Authorization": "Bearer YOUR_API_KEY"})
        data = json.loads(conn.getresponse().read())["data"]
    finally:
        conn.close()
    assert data["status"] == "cancelled"
    assert (data["agent_id"], data["contact_name"]) == ("agent_123", "Raj Patel")


# ── the slots snippets ───────────────────────────────────────────────────────
@pytest.mark.parametrize("ext", RUNNERS)
def test_availability_snippet_prints_the_docs_slot(fresh_mock, tmp_path, ext):
    """Get Availability — Response 200 OK prints the slot a1b2c3d4-…||2026-06-15."""
    name = "availability" + ext
    stdout = run_snippet(name, fresh_mock, tmp_path)
    assert_contains_record(name, stdout, DOCS_AVAILABILITY_SLOT)


@pytest.mark.parametrize("ext", RUNNERS)
def test_schedule_tracking_snippet_prints_the_docs_record(fresh_mock, tmp_path, ext):
    """Get Schedule Tracking — Response 200 OK prints the record a1b2c3d4-…||2026-06-15||f47ac10b-…"""
    name = "schedule_tracking" + ext
    stdout = run_snippet(name, fresh_mock, tmp_path)
    assert_contains_record(name, stdout, DOCS_TRACKING_RECORD)


@pytest.mark.parametrize("ext", RUNNERS)
def test_update_tracking_snippet_closes_the_docs_record(fresh_mock, tmp_path, ext):
    """Update a Schedule Tracking Record — {"status": "CLOSED"}; D-patch-response: the updated record."""
    name = "update_tracking" + ext
    stdout = run_snippet(name, fresh_mock, tmp_path)
    assert_contains_record(name, stdout, {**DOCS_TRACKING_RECORD, "status": "CLOSED"})


@pytest.mark.parametrize("ext", RUNNERS)
def test_regenerate_snippet_prints_the_docs_counters(fresh_mock, tmp_path, ext):
    """Regenerate Schedule Tracking — Response 200 OK: processed 16, skipped 0, errors 0, upserted 16."""
    name = "regenerate" + ext
    stdout = run_snippet(name, fresh_mock, tmp_path)
    output = parse_output(name, stdout)
    if isinstance(output, str):
        for key, value in DOCS_REGENERATE_RESULT.items():
            assert inspect_line(key, value) in output, key
    else:
        assert output == DOCS_REGENERATE_RESULT
