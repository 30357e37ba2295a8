"""The contract suite's verdicts, proved both ways.

- It fails every broken variant (tests/variants/broken.py: a mock patched to break one
  documented clause), in foreign mode (no control API, seeds by environment, as a team's
  server is met) and in mock mode, and its report names the broken clause.
- It passes every legitimate variant (tests/variants/legitimate.py: a mock that differs
  only where the docs are silent) in foreign mode, the whole suite.
- Controls: the same runs pass on the mock as shipped, so each failure is the variant's.

Broken runs are restricted to the tests that enforce the variant's clause
(`enforcing_tests()[clause]`); legitimate runs are the whole suite. The runs are
subprocess pairs that mostly wait on each other, so they are made up front,
VARIANT_WORKERS (default 2) at a time, for exactly the cases pytest selected; each test
then judges its own run. Mock-mode runs cover a representative subset unless
FULL_BROKEN_VARIANTS=1. `make test` prints the two counts at the end.
"""
from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `tests` is not an installed package; `pytest` alone does not put ROOT first
    sys.path.insert(0, str(ROOT))

from contract_tests.clauses import catalogue, enforcing_tests  # noqa: E402
from tests.variants.broken import VARIANTS as BROKEN  # noqa: E402
from tests.variants.legitimate import VARIANTS as LEGITIMATE  # noqa: E402
from tests.variants.base import Variant  # noqa: E402
from tests.variants.runner import WHOLE_SUITE, node_ids_for, run_suite  # noqa: E402
from tests.variants.serve import UNPATCHED  # noqa: E402

WORKERS = max(1, int(os.environ.get("VARIANT_WORKERS", os.environ.get("BROKEN_VARIANT_WORKERS", "2"))))
# One variant per area (scopes, auth, rate limit, availability, tracking, PATCH, calls, schema):
# the mock-mode selection by default.
REPRESENTATIVE = {
    "get_call_ignores_its_scope", "availability_needs_no_key", "rate_limited_without_retry_after",
    "retry_after_is_always_zero", "availability_arithmetic_off_by_one",
    "availability_lists_windows_closed_by_definition", "tracking_date_to_defaults_to_the_next_day",
    "patch_override_applies_to_every_date", "idempotency_key_ignored", "cancel_of_started_or_completed_call_is_200",
    "delete_leaves_the_call_readable", "create_without_agent_id_accepted", "availability_slot_lacks_updated_at",
}
FULL = os.environ.get("FULL_BROKEN_VARIANTS") == "1"
MOCK_MODE = [v for v in BROKEN if FULL or v.name in REPRESENTATIVE]
FOREIGN, MOCK = True, False


def _run_key(variant: str, foreign: bool) -> tuple[str, bool]:
    return variant, foreign


@pytest.fixture(scope="session")
def suite_runs(request) -> dict[tuple[str, bool], object]:
    """Every run the selected cases need, made VARIANT_WORKERS at a time."""
    wanted: dict[tuple[str, bool], list[str]] = {}
    for item in request.session.items:
        if item.module is not sys.modules[__name__]:
            continue
        params = getattr(item, "callspec", None)
        v = params.params.get("variant") if params else None
        foreign = params.params.get("foreign", FOREIGN) if params else FOREIGN
        if isinstance(v, Variant):
            wanted[_run_key(v.name, foreign)] = WHOLE_SUITE if v.legitimate else node_ids_for([v.clause])
        elif item.originalname == "test_suite_passes_the_unpatched_mock_on_every_clause_the_variants_break":
            wanted[_run_key(UNPATCHED, MOCK)] = node_ids_for(sorted({v.clause for v in MOCK_MODE}))
        elif item.originalname == "test_suite_passes_the_unpatched_mock_in_foreign_mode":
            wanted[_run_key(UNPATCHED, FOREIGN)] = WHOLE_SUITE
    # The slowest runs (whole suite, or Schemathesis) first, so the pool does not end on one of them.
    slow = lambda key: wanted[key] == WHOLE_SUITE or any("schema" in n or "stateful" in n for n in wanted[key])  # noqa: E731
    order = sorted(wanted, key=lambda key: not slow(key))
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {key: pool.submit(run_suite, key[0], wanted[key], foreign=key[1]) for key in order}
        runs = {key: future.result() for key, future in futures.items()}
    request.config.huskyvoice_variant_runs = runs
    return runs


def _broken_case(v: Variant, foreign: bool):
    marks = [] if v.expected_caught else [pytest.mark.xfail(strict=True, reason=f"suite gap: {v.reason}")]
    return pytest.param(v, foreign, id=f"{v.name}-{'foreign' if foreign else 'mock'}", marks=marks)


def _broken_cases():
    return [_broken_case(v, FOREIGN) for v in BROKEN] + [_broken_case(v, MOCK) for v in MOCK_MODE]


def test_every_variant_is_well_formed():
    """Broken ones name a catalogued clause some test enforces; legitimate ones name a decision of
    docs/decisions.md; names are unique across both; at least 15 of each."""
    assert len(BROKEN) >= 15 and len(LEGITIMATE) >= 15, (len(BROKEN), len(LEGITIMATE))
    names = [v.name for v in (*BROKEN, *LEGITIMATE)]
    assert len(set(names)) == len(names)
    assert REPRESENTATIVE <= {v.name for v in BROKEN}, REPRESENTATIVE - {v.name for v in BROKEN}
    tests = enforcing_tests()
    for v in BROKEN:
        assert not v.legitimate and v.clause in catalogue(), v.name
        assert tests.get(v.clause), f"{v.name}: no test enforces {v.clause}"
        assert v.expected_caught or v.reason, f"{v.name}: a gap needs its reason"
        assert v.report_names_clause or v.report_gap, f"{v.name}: a report gap needs its reason"
    decisions = (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")
    for v in LEGITIMATE:
        assert v.legitimate and f"### {v.clause} " in decisions, f"{v.name}: {v.clause} is not in docs/decisions.md"


@pytest.mark.parametrize("variant,foreign", _broken_cases())
def test_suite_fails_when_the_mock_breaks_the_clause(variant, foreign, suite_runs):
    """The tests enforcing the clause fail (pytest exit 1) on a mock broken in that clause, and the failure
    report says "Documented clause <ID>"."""
    run = suite_runs[_run_key(variant.name, foreign)]
    assert run.returncode == 1, run.explain()
    if variant.report_names_clause:
        assert f"Documented clause {variant.clause}" in run.output, run.explain()


@pytest.mark.parametrize("variant,foreign", [pytest.param(v, FOREIGN, id=v.name) for v in LEGITIMATE])
def test_suite_passes_a_server_that_differs_only_where_the_docs_are_silent(variant, foreign, suite_runs):
    """The whole suite passes (exit 0) in foreign mode on a legitimate variant."""
    run = suite_runs[_run_key(variant.name, foreign)]
    assert run.returncode == 0, run.explain()


def test_suite_passes_the_unpatched_mock_on_every_clause_the_variants_break(suite_runs):
    """The mock-mode runs' tests pass (exit 0) on the mock as shipped, so each failure above is the variant's."""
    run = suite_runs[_run_key(UNPATCHED, MOCK)]
    assert run.returncode == 0, run.explain()


def test_suite_passes_the_unpatched_mock_in_foreign_mode(suite_runs):
    """The whole suite passes (exit 0) on the mock as shipped, met as a foreign server."""
    run = suite_runs[_run_key(UNPATCHED, FOREIGN)]
    assert run.returncode == 0, run.explain()
