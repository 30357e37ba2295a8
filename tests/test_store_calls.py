"""CallStore (mock_server/store/calls.py): create, the lifecycle on the mock clock,
cancel, delete (erasure) and the control plane's force().

Docs: ../shared/api-docs/calls-and-api-keys.txt; choices: docs/decisions.md
(D-call-lifecycle, D-pending-status, D-delete-without-engagement, D-erasure).
"""
from __future__ import annotations

import random
import sys
import threading
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from mock_server.clock import Clock
from mock_server.errors import ApiError, CallNotCancellable, CallNotDeletable, NotFound
from mock_server.store.calls import CallStore, Lifecycle
from walk import strings_in  # noqa: E402

T0 = datetime(2024, 1, 27, 3, 0, tzinfo=timezone.utc)  # the docs' created_at
START = timedelta(minutes=2)      # D-call-lifecycle: scheduled_at = created_at + 2 min
DURATION = timedelta(minutes=3)   # D-call-lifecycle: completed 3 minutes after it starts
TICK = timedelta(microseconds=1)


# ── helpers ───────────────────────────────────────────────────────────────
@pytest.fixture
def clock() -> Clock:
    clock = Clock(source=lambda: T0)
    clock.freeze()
    return clock


@pytest.fixture
def store() -> CallStore:
    return CallStore()


def pii() -> dict:
    """A contact with values unique to this test, so a scan cannot match another call's."""
    tag = uuid.uuid4().hex[:10]
    return {
        "contact_number": "+91" + str(random.randrange(10**9, 10**10)),
        "contact_name": f"Raj Patel {tag}",
        "contact_email": f"raj.{tag}@company.com",
    }


def create(store: CallStore, clock: Clock, **contact):
    fields = {"contact_number": "+919876543210", "contact_name": "Raj Patel",
              "contact_email": "raj@company.com", **contact}
    return store.create(agent_id="agent_123", additional_info={"company": "Acme Corp"},
                        now=clock.now(), **fields)


def in_state(state: str, clock: Clock):
    """A store holding one call that has reached `state` by the documented lifecycle."""
    store = CallStore(Lifecycle(outcome="failed") if state == "failed" else None)
    call = create(store, clock)
    if state == "in_progress":
        clock.advance(START)
    elif state in ("completed", "failed"):
        clock.advance(START + DURATION)
    elif state == "cancelled":
        store.cancel(call.call_id, clock.now())
    assert store.get(call.call_id, clock.now()).status == state
    return store, call.call_id


# ── create and the lifecycle ─────────────────────────────────────────────
def test_create_gives_scheduled_call_with_null_completed_at_and_error(store, clock):
    """Docs: 201 `"status": "scheduled"`; GET shows `"completed_at": null, "error": null`, scheduled_at after created_at."""
    call = create(store, clock)
    assert call.status == "scheduled"
    assert call.created_at == call.updated_at == clock.now()
    assert call.scheduled_at > call.created_at
    assert call.completed_at is None and call.error is None and call.cancelled_at is None
    assert call.engagement is None
    assert (call.agent_id, call.contact_number, call.additional_info) == (
        "agent_123", "+919876543210", {"company": "Acme Corp"})
    assert store.get(call.call_id, clock.now()).status == "scheduled"
    # decision D-call-lifecycle: "the GET example has created_at 03:00, scheduled_at 03:02"
    assert call.scheduled_at - call.created_at == timedelta(minutes=2)


def test_call_is_in_progress_from_scheduled_at(store, clock):
    """Decision D-call-lifecycle: "at scheduled_at the call is in_progress"."""
    call = create(store, clock)
    assert store.get(call.call_id, call.scheduled_at - TICK).status == "scheduled"
    got = store.get(call.call_id, call.scheduled_at)
    assert got.status == "in_progress"
    assert got.updated_at == call.scheduled_at
    assert got.completed_at is None and got.engagement is None


def test_call_completes_after_its_duration_with_a_recorded_engagement(store, clock):
    """Decision D-call-lifecycle: "after 3 minutes it is completed (with completed_at and a recorded engagement)"."""
    call = create(store, clock)
    ends = call.scheduled_at + DURATION
    assert store.get(call.call_id, ends - TICK).status == "in_progress"
    clock.set(ends)
    got = store.get(call.call_id, clock.now())
    assert got.status == "completed"
    assert got.completed_at == ends and got.error is None
    transcript, recording = got.engagement.transcript, got.engagement.recording
    assert transcript and all({"speaker", "text"} <= set(turn) for turn in transcript)
    assert recording["recording_id"] and recording["format"]
    assert recording["duration_seconds"] == DURATION.total_seconds()


def test_failed_outcome_sets_error_and_leaves_completed_at_null(clock):
    """Decision D-call-lifecycle: "with --call-outcome failed, failed with error set and completed_at null"."""
    store = CallStore(Lifecycle(outcome="failed"))
    call = create(store, clock)
    clock.advance(START + DURATION)
    got = store.get(call.call_id, clock.now())
    assert got.status == "failed"
    assert set(got.error) == {"code", "message"} and all(got.error.values())
    assert got.completed_at is None and got.engagement is None


def test_lifecycle_times_come_from_the_configured_lifecycle(clock):
    """Decision D-call-lifecycle: the flags --call-start-delay and --call-duration set the times."""
    store = CallStore(Lifecycle(start_delay=timedelta(seconds=10), duration=timedelta(hours=1)))
    call = create(store, clock)
    assert call.scheduled_at == clock.now() + timedelta(seconds=10)
    clock.advance(timedelta(minutes=30))
    assert store.get(call.call_id, clock.now()).status == "in_progress"
    clock.advance(timedelta(minutes=31))
    assert store.get(call.call_id, clock.now()).status == "completed"


def test_a_late_read_records_when_the_call_ended_not_when_it_was_read(store, clock):
    """Decision D-call-lifecycle: "Status is a function of the mock clock, computed on every read"."""
    call = create(store, clock)
    clock.advance(timedelta(days=3))
    got = store.get(call.call_id, clock.now())
    assert got.status == "completed"
    assert got.completed_at == got.updated_at == call.created_at + START + DURATION


def test_advance_all_moves_every_due_call(store, clock):
    """Design (calls.py): advance_all "Move[s] every call whose time has come; returns how many changed status"."""
    first = create(store, clock)                       # starts +2, ends +5
    clock.advance(timedelta(minutes=1))
    second = create(store, clock)                      # starts +3, ends +6
    clock.advance(timedelta(minutes=9))
    third = create(store, clock)                       # starts +12
    now = T0 + timedelta(minutes=5)
    assert store.advance_all(now) == 2
    # raw() does not advance, so these show what advance_all itself did
    assert [store.raw(c.call_id).status for c in (first, second, third)] == [
        "completed", "in_progress", "scheduled"]
    assert store.advance_all(now) == 0


# ── cancel ──────────────────────────────────────────────────────────────
def test_cancel_of_scheduled_call_sets_cancelled_and_cancelled_at(store, clock):
    """Docs: cancel returns `"status": "cancelled"` with `cancelled_at`."""
    call = create(store, clock)
    clock.advance(timedelta(minutes=1))
    got = store.cancel(call.call_id, clock.now())
    assert got.status == "cancelled"
    assert got.cancelled_at == got.updated_at == clock.now()


def test_cancelled_call_stays_cancelled_as_the_clock_advances(store, clock):
    """Docs: statuses "scheduled | in_progress | completed | failed | cancelled" — cancelled is final."""
    call = create(store, clock)
    store.cancel(call.call_id, clock.now())
    clock.advance(timedelta(days=1))
    assert store.advance_all(clock.now()) == 0
    for _ in range(3):
        got = store.get(call.call_id, clock.now())
        assert got.status == "cancelled"
        assert got.cancelled_at == T0
        assert got.completed_at is None and got.engagement is None
        clock.advance(timedelta(hours=1))


def test_cancel_of_started_or_ended_call_is_409(clock):
    """Docs: "Cancel a call in pending or scheduled status. Returns 409 if already started or completed."""
    for state in ("in_progress", "completed", "failed", "cancelled"):
        store, call_id = in_state(state, clock)
        with pytest.raises(CallNotCancellable) as exc:
            store.cancel(call_id, clock.now())
        assert exc.value.status == 409, state
        assert store.get(call_id, clock.now()).status == state


def test_pending_call_is_cancellable(store, clock):
    """Decision D-pending-status: "`pending` is in the CallStatus enum … and is cancellable"."""
    call = create(store, clock)
    store.raw(call.call_id).status = "pending"  # the mock never produces it itself
    assert store.cancel(call.call_id, clock.now()).status == "cancelled"


def test_unknown_call_id_is_404(store, clock):
    """Docs: "Returns 404 if the call is not found."; decision D-call-id-any-string (malformed ids too)."""
    create(store, clock)
    for operation in (store.get, store.cancel, store.delete):
        for call_id in (str(uuid.uuid4()), "", "not-a-uuid", "../etc/passwd"):
            with pytest.raises(NotFound) as exc:
                operation(call_id, clock.now())
            assert exc.value.status == 404


# ── delete (erasure) ────────────────────────────────────────────────────
def test_delete_of_completed_call_erases_it_and_its_pii_entirely(store, clock):
    """Docs: "Permanently deletes a completed call and erases all associated end-customer PII (transcript, contact details, recording metadata)"."""
    contact, other = pii(), pii()
    call = create(store, clock, **contact)
    kept = create(store, clock, **other)
    clock.advance(START + DURATION)
    engagement = store.get(call.call_id, clock.now()).engagement
    secrets = {*contact.values(), engagement.recording["recording_id"],
               *(turn["text"] for turn in engagement.transcript)}

    assert store.delete(call.call_id, clock.now()) == call.call_id

    assert store.raw(call.call_id) is None
    with pytest.raises(NotFound):
        store.get(call.call_id, clock.now())
    remaining = list(strings_in(store))
    leaked = [s for s in remaining for secret in secrets if secret in s]
    assert leaked == []
    # the scan does see PII that is still stored, so the empty result above means something
    # (a call keeps its request fields packed as one JSON text: look inside the strings)
    assert any(other["contact_name"] in s for s in remaining) and kept.call_id in remaining
    # "Returns 404 if the call is not found": a second delete finds nothing
    with pytest.raises(NotFound):
        store.delete(call.call_id, clock.now())


def test_delete_of_call_without_engagement_is_409(clock):
    """Docs: "Only works on calls that have a recorded engagement" — decision D-delete-without-engagement: 409."""
    for state in ("scheduled", "in_progress", "cancelled", "failed"):
        store, call_id = in_state(state, clock)
        with pytest.raises(CallNotDeletable) as exc:
            store.delete(call_id, clock.now())
        assert exc.value.status == 409, state
        assert store.raw(call_id) is not None


# ── force (control plane) ───────────────────────────────────────────────
def test_force_in_progress_starts_now_and_completes_on_schedule(store, clock):
    """Design (calls.py force): forcing in_progress starts the call now; the lifecycle then finishes it."""
    call = create(store, clock)
    got = store.force(call.call_id, "in_progress", clock.now())
    assert got.status == "in_progress" and got.started_at == T0
    with pytest.raises(CallNotCancellable):
        store.cancel(call.call_id, clock.now())
    clock.advance(START + DURATION)
    assert store.get(call.call_id, clock.now()).status == "completed"


def test_force_completed_records_an_engagement_so_the_call_is_deletable(store, clock):
    """Decision D-call-lifecycle: a completed call has completed_at and a recorded engagement."""
    call = create(store, clock)
    got = store.force(call.call_id, "completed", clock.now())
    assert got.status == "completed" and got.completed_at == T0 and got.engagement is not None
    store.delete(call.call_id, clock.now())
    assert store.raw(call.call_id) is None


def test_force_failed_uses_the_given_error(store, clock):
    """Decision D-call-error-shape: a failed call's error is {"code", "message"}."""
    call = create(store, clock)
    error = {"code": "BUSY", "message": "The line was busy"}
    got = store.force(call.call_id, "failed", clock.now(), error=error)
    assert got.status == "failed" and got.error == error
    assert got.completed_at is None and got.engagement is None
    clock.advance(timedelta(days=1))
    assert store.get(call.call_id, clock.now()).status == "failed"


def test_force_to_a_status_the_lifecycle_cannot_reach_is_refused(store, clock):
    """Design (calls.py force): only in_progress, completed and failed can be forced."""
    call = create(store, clock)
    for status in ("scheduled", "cancelled", "pending", "done"):
        with pytest.raises(ValueError):
            store.force(call.call_id, status, clock.now())
    assert store.raw(call.call_id).status == "scheduled"


def test_forcing_a_completed_call_to_failed_never_gives_a_failed_call_with_an_engagement(store, clock):
    """Decision D-call-lifecycle: a failed call has "error set and completed_at null" (and so is not deletable)."""
    call = create(store, clock)
    store.force(call.call_id, "completed", clock.now())
    try:
        got = store.force(call.call_id, "failed", clock.now())
    except (ApiError, ValueError):  # refusing to move an ended call is as good
        assert store.raw(call.call_id).status == "completed"
        return
    assert got.status == "failed"
    assert got.completed_at is None and got.engagement is None


# ── concurrency ─────────────────────────────────────────────────────────
def race_cancel_against_lifecycle(store: CallStore, call_id: str, before: datetime, after: datetime) -> list[str]:
    """Two threads cancel (at `before`) while two move the clock's calls on (to `after`), all released at once."""
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def cancel() -> None:
        barrier.wait()
        try:
            store.cancel(call_id, before)
            outcomes.append("cancelled")
        except CallNotCancellable:
            outcomes.append("refused")
        except BaseException as exc:  # noqa: BLE001 - reported through `outcomes`
            outcomes.append(repr(exc))

    def advance() -> None:
        barrier.wait()
        store.advance_all(after)
        store.get(call_id, after)

    threads = [threading.Thread(target=f) for f in (cancel, cancel, advance, advance)]
    random.shuffle(threads)  # the last to reach the barrier tends to run first: vary who that is
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_concurrent_cancels_and_clock_advances_leave_each_call_in_one_consistent_state(store, clock):
    """Docs: cancel works only before the call starts — a call is never both cancelled and started/completed."""
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so cancels and advances interleave
    try:
        for _ in range(150):
            call = create(store, clock)
            before = clock.now()                 # a cancel request that read the clock before the start
            after = before + START + DURATION    # while the clock moves past the call's end
            outcomes = race_cancel_against_lifecycle(store, call.call_id, before, after)
            assert sorted(set(outcomes)) in (["cancelled", "refused"], ["refused"]), outcomes
            got = store.get(call.call_id, after + timedelta(hours=1))
            if got.status == "cancelled":
                assert outcomes.count("cancelled") == 1
                assert got.cancelled_at == before
                assert got.started_at is None and got.completed_at is None and got.engagement is None
            else:
                assert got.status == "completed"
                assert "cancelled" not in outcomes
                assert got.cancelled_at is None and got.engagement is not None
            clock.advance(timedelta(minutes=1))
    finally:
        sys.setswitchinterval(switch)
