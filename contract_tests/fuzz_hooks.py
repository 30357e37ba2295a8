"""Schemathesis CLI hooks for `make fuzz` (loaded through SCHEMATHESIS_HOOKS):
count every request sent, and apply the suite's cross-field policy (a generated
"valid" case that breaks a rule JSON Schema cannot state is not held to
positive_data_acceptance, and a call id from an idempotent replay is not held to
ensure_resource_availability — the same rules as contract_tests/cross_field.py)."""
from __future__ import annotations

import atexit
from collections import Counter

import schemathesis
from schemathesis.openapi.checks import EnsureResourceAvailability, RejectedPositiveData

from contract_tests.cross_field import CreatedCalls, IdempotencyLedger, breaks_rule

STATUSES: Counter = Counter()
LEDGER = IdempotencyLedger()
BREAKS_RULE: set[int] = set()  # id() of cases that break a cross-field rule; the ledger must see every request
CREATED = CreatedCalls()


@schemathesis.hook
def after_call(ctx, case, response):
    STATUSES[response.status_code] += 1
    CREATED.note(case, response)
    if breaks_rule(case, LEDGER):
        BREAKS_RULE.add(id(case))


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    if isinstance(failure, EnsureResourceAvailability):
        return not CREATED.replayed(case)
    return not (isinstance(failure, RejectedPositiveData) and id(case) in BREAKS_RULE)


@atexit.register
def _report() -> None:
    total = sum(STATUSES.values())
    by_class = Counter(f"{status // 100}xx" for status in STATUSES.elements())
    print(f"\nfuzz: {total} requests sent; by status class: {dict(sorted(by_class.items()))}; "
          f"statuses: {dict(sorted(STATUSES.items()))}", flush=True)
