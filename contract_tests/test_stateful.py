"""Schemathesis' state machine over the spec's links: create → get → cancel → get
→ delete, and schedule tracking → PATCH, with use_after_free and
ensure_resource_availability. Creates calls and changes slots, so off the bundled
mock it needs ALLOW_WRITES=1 and TEST_CONTACT_NUMBER; every call it creates then
dials TEST_CONTACT_NUMBER, whatever number was generated."""
from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.openapi.checks import EnsureResourceAvailability

from . import profiles
from . import schema as schema_module
from .control import control_for
from .cross_field import CreatedCalls, IdempotencyLedger, breaks_rule, operation_id

# Checks by name, as `--checks` and `[checks]` select them. The per-operation data checks
# (negative/positive data, auth probes, methods) run in test_schema_conformance; here,
# what only a sequence of calls can show.
STATEFUL_CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
                   "response_headers_conformance", "response_schema_conformance",
                   "use_after_free", "ensure_resource_availability"]


@pytest.mark.clause("SPEC-LINKS")
@pytest.mark.writes("calls")
def test_links_between_operations_hold_over_random_workflows(target, seed):
    """Following the spec's links (create → get/cancel/delete, tracking → PATCH) never breaks the contract."""
    key = target.full_key()
    if key is None:
        pytest.skip("the keys file has no key at all")
    schema = schema_module.load(target, seed, key_secret=key.secret, calls_to_test_number=True)
    schema.config.checks.update(included_check_names=STATEFUL_CHECKS)
    contact = target.contact_number
    ledger, created = IdempotencyLedger(), CreatedCalls()
    control = control_for(target)

    @schema.hooks.hook("filter_failure")
    def replayed_calls_are_excused_from_resource_availability(ctx, failure, case, response):
        # A call id a create already answered with came from an idempotent replay, perhaps of
        # a call deleted since: its 404 is no "created resource not found" (cross_field.CreatedCalls;
        # fuzz_hooks.py applies the same rule to `make fuzz`).
        return not (isinstance(failure, EnsureResourceAvailability) and created.replayed(case))

    class Workflow(schema.as_state_machine()):
        def setup(self):
            # Each example starts from the fixtures: Hypothesis needs the same
            # choices to meet the same server, or it reports flaky generation.
            # (The suite's own session, unless it started the mock itself.)
            if control:
                control.reset()

        def before_call(self, case):
            if operation_id(case) == "createCall":
                # Never dial a generated number: every created call goes to the test number.
                if isinstance(case.body, dict):
                    case.body["contact_number"] = contact
                # A fresh Idempotency-Key each time: a key reused across examples would replay an earlier
                # example's call (or be refused with another body), and off the mock, where nothing resets
                # between examples, the same steps would then meet other answers (Hypothesis calls that
                # flaky generation). Replays are checked by test_calls.
                headers = {k.lower(): k for k in (case.headers or {})}
                if "idempotency-key" in headers:
                    case.headers[headers["idempotency-key"]] = f"contract-{uuid.uuid4()}"

        def after_call(self, response, case):
            # Schemathesis' own after_call first: the machine it builds keeps each response there,
            # and use_after_free and ensure_resource_availability read the earlier steps from it.
            super().after_call(response, case)
            breaks_rule(case, ledger)
            created.note(case, response)

    profile = profiles.current()
    try:
        Workflow.run(settings=settings(max_examples=profile.stateful_examples,
                                       stateful_step_count=profile.stateful_steps, deadline=None,
                                       suppress_health_check=list(HealthCheck), database=None,
                                       # Replaying a run against a live server cannot reproduce its state, so
                                       # shrinking only hides the first failure behind a FlakyStrategyDefinition.
                                       phases=[Phase.explicit, Phase.generate]))
    except FlakyStrategyDefinition as flaky:
        # Off the mock nothing resets between examples, so a server whose state moved on (other
        # clients, time) can answer the same steps otherwise, and Hypothesis stops exploring. That
        # is no verdict on the contract: a check failure met before it is raised as itself.
        failure = flaky.__context__
        if target.is_mock:
            raise
        if isinstance(failure, (AssertionError, BaseExceptionGroup)):
            raise failure from None
        pytest.skip("the target answered the same steps differently in two examples (its state moved on; nothing "
                    "resets off the mock), so the workflows could not be explored further; no check failed")
