"""The conformance report (contract_tests/report.py), from real runs of the contract suite:
a few of its tests, as a subprocess, against a variant of the mock served on a free port
(tests/variants/runner.py `serving`): a foreign-looking one that differs only where the docs
are silent, a broken one in mock mode, and one Schemathesis catches. The three runs take a
few seconds each, are made at once, and once per module."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `tests` is not an installed package
    sys.path.insert(0, str(ROOT))

from contract_tests.clauses import catalogue  # noqa: E402
from contract_tests.report import ConformanceReport  # noqa: E402
from contract_tests.target import DEFAULT_KEYS, load_keys  # noqa: E402
from tests.variants.runner import SCRUBBED_ENV, SEED, free_port, serving  # noqa: E402

SUITE = ROOT / "contract_tests"
SUMMARY = re.compile(r"HuskyVoice contract: (\d+) of (\d+) clauses pass, (\d+) fail(?: \([^)]*\))?, (\d+) skipped(.*)")
SECRETS = [k.secret for k in load_keys(DEFAULT_KEYS)]


@dataclass
class Run:
    returncode: int
    output: str
    md: str
    html: str

    @property
    def lines(self) -> list[str]:
        return self.output.rstrip().splitlines()

    def verdict(self, clause_id: str) -> str:
        row = re.search(rf"^\| \[{re.escape(clause_id)}\]\(#[^)]*\) \| (\w+) \|", self.md, re.M)
        assert row, f"no row for {clause_id} in conformance.md"
        return row.group(1)

    def details(self, clause_id: str) -> str:
        """The clause's entry in conformance.md, up to the next one."""
        return self.md.split(f"\n### {clause_id}\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]


def run_suite(work: Path, base: str, tests: list[str], *extra: str, keys: Path | None = None) -> Run:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV and k != "REPORT_DIR"}
    env.update(PROFILE="fast", SEED=SEED, PYTHONPATH=str(ROOT), HYPOTHESIS_STORAGE_DIRECTORY=str(work / ".hypothesis"))
    if keys is not None:
        env["KEYS"] = str(keys)
    # cwd is `work`, so the relative --report-dir lands there (and no example database of the project fills).
    command = [sys.executable, "-m", "pytest", *(f"{SUITE}/{t}" for t in tests), "--target", base,
               "--report-dir", "out", "-p", "no:cacheprovider", "-p", "no:warnings", "-q", "-rN",
               "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), f"--hypothesis-seed={SEED}", *extra]
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=120)
    out = work / "out"
    read = lambda name: (out / name).read_text(encoding="utf-8") if (out / name).exists() else ""  # noqa: E731
    return Run(done.returncode, done.stdout + done.stderr, read("conformance.md"), read("conformance.html"))


def foreign(work: Path) -> Run:
    """A server without the control API that answers 200 for 2026-02-30 (D-date-format, left open),
    with a keys file lacking the throttled key, so the 429 tests skip."""
    keys = yaml.safe_load(DEFAULT_KEYS.read_text())
    keys["keys"] = [k for k in keys["keys"] if "rate_limit" not in k]
    (work / "keys.yaml").write_text(yaml.safe_dump(keys))
    with serving("impossible_dates_roll_over", work, foreign=True) as (base, _):
        return run_suite(work, base, [
            "test_slots.py::test_availability_without_date_is_400_validation_error",
            "test_slots.py::test_availability_for_a_date_that_does_not_exist_is_400",
            "test_auth_matrix.py::test_rejected_key_is_never_echoed",
            "test_calls.py::test_create_with_a_contact_name_that_is_not_text_is_400",
            "test_rate_limit.py",
        ], keys=work / "keys.yaml")


def broken(work: Path) -> Run:
    """The mock with available_slots off by one (it serves its control API: a bundled mock)."""
    with serving("availability_arithmetic_off_by_one", work, foreign=False) as (base, _):
        return run_suite(work, base, [
            "test_slots.py::test_availability_slots_are_open_windows_of_that_date_with_their_arithmetic",
            "test_slots.py::test_availability_for_a_date_that_does_not_exist_is_400",
        ], "-p", "no:schemathesis")


def schemathesis(work: Path) -> Run:
    """A server whose availability slots lack updated_at, met as a foreign one (reads only)."""
    with serving("availability_slot_lacks_updated_at", work, foreign=True) as (base, _):
        return run_suite(work, base, ["test_schema_conformance.py"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Run]:
    # At once: each run mostly waits on its server's and pytest's start.
    with ThreadPoolExecutor(3) as pool:
        futures = {make.__name__: pool.submit(make, tmp_path_factory.mktemp(make.__name__))
                   for make in (foreign, broken, schemathesis)}
        return {name: future.result() for name, future in futures.items()}


@pytest.fixture(scope="module")
def foreign_run(runs) -> Run:
    return runs["foreign"]


@pytest.fixture(scope="module")
def broken_run(runs) -> Run:
    return runs["broken"]


@pytest.fixture(scope="module")
def schemathesis_run(runs) -> Run:
    return runs["schemathesis"]


def test_every_clause_gets_one_verdict_and_the_summary_counts_add_up(foreign_run, broken_run, schemathesis_run):
    for run in (foreign_run, broken_run, schemathesis_run):
        rows = re.findall(r"^\| \[([A-Z0-9-]+)\]", run.md, re.M)
        assert rows == list(catalogue()), run.output
        passed, total, failed, skipped, _ = SUMMARY.search(run.output).groups()
        assert int(passed) + int(failed) + int(skipped) == int(total) == len(catalogue())
        assert [run.verdict(c) for c in catalogue()].count("failed") == int(failed)


def test_the_run_ends_with_the_summary_line(foreign_run, broken_run, schemathesis_run):
    """'The run ends with one line: "HuskyVoice contract: 48 of 52 clauses pass, …"' — after pytest's own count."""
    for run in (foreign_run, broken_run, schemathesis_run):
        assert SUMMARY.fullmatch(run.lines[-1]), run.output
        assert re.search(r"[\w ,]+ in [\d.]+s", run.lines[-3]), run.output
        assert sum(bool(SUMMARY.search(line)) for line in run.lines) == 1
        assert run.lines[-1] in run.md and run.lines[-1] in run.html


def test_a_passing_clause_says_passed_and_an_open_point_does_not_fail_it(foreign_run):
    assert foreign_run.returncode == 0, foreign_run.output
    assert foreign_run.verdict("SLOTS-400") == "passed"
    # AVAIL-DATE's other test found the target choosing otherwise where the docs are silent.
    assert foreign_run.verdict("AVAIL-DATE") == "passed"
    assert "1 recorded (open point)" in foreign_run.details("AVAIL-DATE")


def test_a_clause_whose_tests_all_skipped_says_what_to_set(foreign_run):
    assert foreign_run.verdict("RATE-429") == "skipped"
    details = foreign_run.details("RATE-429")
    assert "provoking a 429 needs a throttled key" in details
    assert "To run it, set RATE_LIMIT_PROBE=N." in details
    assert "set RATE_LIMIT_PROBE=N" in SUMMARY.search(foreign_run.output).group(5)
    assert "no test of this run enforces it (not selected)" in foreign_run.details("CALLS-CANCEL")


def test_open_points_record_the_targets_answer_with_its_exchange(foreign_run):
    points = foreign_run.md.split("\n## Open points\n", 1)[1]
    chose_otherwise = re.search(r"\*\*D-date-format\*\* `[^`]+`: chose otherwise\n\n(.*?)\n\n- ", points, re.S)
    assert chose_otherwise, points
    assert "curl -s -i -X GET 'http://127.0.0.1:" in chose_otherwise.group(1)
    assert "date=2026-02-30" in chose_otherwise.group(1) and "Response: 200" in chose_otherwise.group(1)
    assert re.search(r"\*\*D-key-never-echoed\*\* `[^`]+`: matched the mock's choice", points)
    assert re.search(r"\*\*D-text-field-limits\*\* `[^`]+`: checked on the bundled mock only", points)
    assert foreign_run.verdict("CALLS-400") == "skipped"


def test_a_failing_clause_shows_the_failing_request_as_curl_and_the_response(broken_run):
    assert broken_run.returncode == 1, broken_run.output
    assert broken_run.verdict("AVAIL-ARITHMETIC") == "failed"
    details = broken_run.details("AVAIL-ARITHMETIC")
    assert "Failure of `contract_tests/test_slots.py::test_availability_slots_are_open_windows" in details
    assert re.search(r"curl -s -i -X GET 'http://127\.0\.0\.1:\d+/v1/appointment-slots/availability\?date=", details)
    assert '-H "Authorization: Bearer ${HUSKYVOICE_API_KEY}"' in details and "Response: 200" in details
    assert "curl -s -i -X GET" in broken_run.html
    assert "AVAIL-ARITHMETIC" in SUMMARY.search(broken_run.output).group(0)


def test_a_schemathesis_failure_of_one_operation_fails_its_clause_with_schemathesis_curl(schemathesis_run):
    assert schemathesis_run.returncode == 1, schemathesis_run.output
    assert schemathesis_run.verdict("SPEC-CONFORMANCE") == "failed"
    details = schemathesis_run.details("SPEC-CONFORMANCE")
    assert "conforms_to_the_spec[GET /appointment-slots/availability]`:" in details
    failure = details.split("Schemathesis found", 1)[1]
    assert '"updated_at" is a required property' in failure
    assert re.search(r"Reproduce with:\n\n +curl -X GET -H 'Authorization: \[Filtered\]' 'http://127", failure)
    assert not re.search(r"^ *\| ", failure, re.M)  # the exception group's frame is gone


def test_on_the_bundled_mock_a_mock_only_test_is_judged_and_counts(broken_run):
    assert broken_run.verdict("AVAIL-DATE") == "passed"
    assert "test_availability_for_a_date_that_does_not_exist_is_400`: 1 passed" in broken_run.details("AVAIL-DATE")
    assert re.search(r"\*\*D-date-format\*\* `[^`]+`: passed", broken_run.md)


def test_the_header_names_the_target_seed_time_profile_and_the_command_to_rerun(foreign_run, broken_run):
    assert re.search(r"- \*\*Target:\*\* http://127\.0\.0\.1:\d+/v1 \(external server\)", foreign_run.md)
    assert re.search(r"- \*\*Target:\*\* http://127\.0\.0\.1:\d+/v1 \(bundled mock", broken_run.md)
    for run in (foreign_run, broken_run):
        assert f"- **Seed:** {SEED}" in run.md and "- **Profile:** fast" in run.md
        assert re.search(r"- \*\*Run:\*\* \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", run.md)
        assert re.search(rf"- \*\*Reproduce:\*\* `make contract SEED={SEED} TARGET=http://127\.0\.0\.1:\d+/v1", run.md)


def test_no_api_key_appears_in_any_report(foreign_run, broken_run, schemathesis_run):
    for run in (foreign_run, broken_run, schemathesis_run):
        for secret in SECRETS:
            assert secret not in run.md and secret not in run.html


class Tags(HTMLParser):
    VOID = {"meta", "br", "hr", "img", "link", "input", "col", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.mismatched: list[str] = []
        self.references: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.references += [v for k, v in attrs if k in ("src", "href") and v and not v.startswith("#")]
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.mismatched.append(tag)


def test_the_html_report_is_one_well_formed_file_with_nothing_to_fetch(foreign_run, broken_run, schemathesis_run):
    for run in (foreign_run, broken_run, schemathesis_run):
        parser = Tags()
        parser.feed(run.html)
        parser.close()
        assert not parser.mismatched and not parser.open
        assert parser.references == [] and not re.search(r"(src|href)\s*=\s*[\"']?https?:", run.html)
        assert "script" not in parser.tags and "style" in parser.tags
        assert '<td class="failed">failed</td>' in broken_run.html


def test_a_run_that_ends_before_any_test_writes_no_report(tmp_path):
    run = run_suite(tmp_path, f"http://127.0.0.1:{free_port()}/v1", ["test_slots.py"])
    assert run.returncode == 2 and "nothing answers at TARGET" in run.output
    assert not (tmp_path / "out").exists() and not SUMMARY.search(run.output)


def test_a_key_in_a_failure_text_is_hidden(tmp_path):
    """Belt and braces: the suite's curl never prints a key, but a server or a test may."""
    config = SimpleNamespace(huskyvoice_target=SimpleNamespace(keys=load_keys(DEFAULT_KEYS)),
                             invocation_params=SimpleNamespace(dir=tmp_path), getoption=lambda name: "out")
    exchange = f'Last exchange:\nResponse: 401\n  {{"key": "{SECRETS[3]}"}}'
    report = pytest.TestReport("t.py::test", ("t.py", 1, "test"), {}, "failed", when="call",
                               longrepr=f"AssertionError: {SECRETS[2]} echoed",
                               sections=[("HuskyVoice contract", exchange)])
    evidence = ConformanceReport(config).evidence(report, None)
    assert "Response: 401" in evidence and "[key hidden]" in evidence
    assert not any(secret in evidence for secret in SECRETS)
