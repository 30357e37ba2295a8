"""SlotStore (mock_server/store/slots.py) with the default fixtures and with generated ones:
availability, schedule tracking, the tracking override (PATCH), regenerate, date ranges.

Docs: ../shared/api-docs/availability-and-schedule-tracking.txt; choices: docs/decisions.md
(D-closed-record-closes-window, D-availability-max-slots, D-available-not-negative,
D-regenerate-counters, D-two-part-id-in-patch, D-date-format, D-date-range-limit).
"""
from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.errors import NotFound, ValidationFailed
from mock_server.fixtures import load_slots
from mock_server.snapshot import export_slots
from mock_server.store.slots import (SESSIONS, WEEKDAYS, Appointment, AppointmentType, Branch,
                                     CalendarWindow, RegenerateResult, SlotStore, date_range,
                                     parse_date)

# The docs' example ids and date
DOC_WINDOW = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
CHECKUP = "f47ac10b-58cc-4372-a567-0e02b2c3d479"          # General Checkup
DOC_DAY = date(2026, 6, 15)                                 # a Monday
DOC_RECORD = f"{DOC_WINDOW}||2026-06-15||{CHECKUP}"
# Other windows of the default fixtures used below
INDIRANAGAR_MON_CLOSED = "c0a80102-0002-4000-8000-000000000001"  # Monday Morning, CLOSED, serves 3 types
INDIRANAGAR_WED_OPEN = "c0a80102-0002-4000-8000-000000000003"    # Wednesday Morning, OPEN, serves 3 types
PHYSIO = "b7e4c2d9-5a18-4f63-8e2b-9c0d1a6f3e57"
DENTAL = "3c9e1d2a-7b4f-4e8a-9d61-2a5b8c7e0f13"
STAMP = datetime(2026, 5, 1, 10, 0, tzinfo=timezone.utc)


# ── helpers ───────────────────────────────────────────────────────────────
@pytest.fixture
def store() -> SlotStore:
    return load_slots()


def records_of(store: SlotStore, calendar_id: str, day: date):
    return [r for r in store.tracking([day]) if r.window.calendar_id == calendar_id]


def the_record(store: SlotStore, calendar_id: str, day: date, type_id: str):
    [record] = [r for r in records_of(store, calendar_id, day) if r.appointment_type.appointment_type_id == type_id]
    return record


def listed(store: SlotStore, calendar_id: str, day: date) -> list:
    return [s for s in store.availability(day) if s.window.calendar_id == calendar_id]


def book(store: SlotStore, day: date, status: str = "confirmed", calendar_id: str = DOC_WINDOW,
         type_id: str = CHECKUP, n: int = 1) -> None:
    for _ in range(n):
        store.add_appointment(Appointment(str(uuid.uuid4()), calendar_id, day, type_id, status))


def refusals(store: SlotStore, cases) -> list:
    """The (slot_id, outcome) pairs whose override and record lookup did not raise the expected error."""
    wrong = []
    for slot_id, expected in cases:
        for attempt in (lambda: store.override(slot_id, status="CLOSED"), lambda: store.record(slot_id)):
            try:
                attempt()
                wrong.append((slot_id, "no error"))
            except expected:
                pass
            except Exception as exc:  # noqa: BLE001 - reported as a wrong outcome
                wrong.append((slot_id, repr(exc)))
    return wrong


def window(calendar_id: str, branch_id: str, day: str, type_id: str | None = None, **over) -> CalendarWindow:
    fields = dict(session="Morning", batch="MA", start_time="09:00", end_time="11:00", max_slots=10,
                  ai_slots=5, status="OPEN", created_at=STAMP, updated_at=STAMP)
    fields.update(over)
    return CalendarWindow(calendar_id=calendar_id, branch_id=branch_id, day=day,
                          appointment_type_id=type_id, **fields)


# ── the docs' picture ─────────────────────────────────────────────────────
def test_docs_availability_example_is_exactly_one_slot(store):
    """Docs: availability?date=2026-06-15&session=Morning returns the one slot a1b2…||2026-06-15 (20/10/3/7)."""
    [slot] = store.availability(DOC_DAY, session="Morning")
    assert slot.slot_id == f"{DOC_WINDOW}||2026-06-15"
    w = slot.window
    assert (w.calendar_id, w.branch_id, w.day, w.session, w.batch, w.start_time, w.end_time, w.appointment_type_id) == (
        DOC_WINDOW, "branch_uuid_here", "monday", "Morning", "MA", "09:00", "11:00", None)
    assert (slot.max_slots, slot.ai_slots, slot.filled_slots, slot.available_slots) == (20, 10, 3, 7)


def test_docs_tracking_example_is_the_general_checkup_record(store):
    """Docs: the tracking record a1b2…||2026-06-15||f47a…: General Checkup, max 20, filled 3, available 17, OPEN."""
    [record] = records_of(store, DOC_WINDOW, DOC_DAY)
    assert record.slot_id == DOC_RECORD
    assert record.appointment_type.name == "General Checkup"
    assert (record.max_slots, record.filled_slots, record.available_slots, record.status) == (20, 3, 17, "OPEN")
    assert store.record(DOC_RECORD) == record


def test_docs_regenerate_example_counts_sixteen_dates(store):
    """Docs: regenerate 2026-06-15..2026-06-30 → processed 16, skipped 0, errors 0, upserted 16."""
    assert store.regenerate(date_range("2026-06-15", "2026-06-30")) == RegenerateResult(
        processed=16, skipped=0, errors=0, upserted=16)


# ── counting ──────────────────────────────────────────────────────────────
def test_only_confirmed_appointments_fill_slots(store):
    """Docs: "filled_slots counts confirmed appointments for the window on that date"."""
    book(store, DOC_DAY, "pending", n=2)
    book(store, DOC_DAY, "cancelled", n=2)
    assert the_record(store, DOC_WINDOW, DOC_DAY, CHECKUP).filled_slots == 3
    assert listed(store, DOC_WINDOW, DOC_DAY)[0].filled_slots == 3
    book(store, DOC_DAY, "confirmed")
    assert the_record(store, DOC_WINDOW, DOC_DAY, CHECKUP).filled_slots == 4
    assert listed(store, DOC_WINDOW, DOC_DAY)[0].filled_slots == 4
    # another date of the same window is not touched
    assert the_record(store, DOC_WINDOW, DOC_DAY + timedelta(weeks=1), CHECKUP).filled_slots == \
        the_record(load_slots(), DOC_WINDOW, DOC_DAY + timedelta(weeks=1), CHECKUP).filled_slots


def test_available_slots_is_ai_or_max_minus_filled_and_never_negative(store):
    """Docs: "available_slots is computed as ai_slots − filled_slots"; D-available-not-negative: "never below 0"."""
    book(store, DOC_DAY, n=9)  # 12 filled: over ai_slots 10, under max_slots 20
    slot = listed(store, DOC_WINDOW, DOC_DAY)[0]
    record = the_record(store, DOC_WINDOW, DOC_DAY, CHECKUP)
    assert slot.filled_slots == record.filled_slots == 12
    assert slot.available_slots == 0
    assert record.available_slots == 20 - 12
    book(store, DOC_DAY, n=10)  # 22 filled: over max_slots too
    assert the_record(store, DOC_WINDOW, DOC_DAY, CHECKUP).available_slots == 0


# ── overrides (the tracking PATCH) ────────────────────────────────────────
def test_closing_a_single_type_window_removes_it_from_that_dates_availability_only(store):
    """Docs: PATCH status "overrides the window's status for this date only"; D-closed-record-closes-window."""
    closed = store.override(DOC_RECORD, status="CLOSED")
    assert closed.status == "CLOSED"
    assert store.availability(DOC_DAY, session="Morning") == []
    next_week = DOC_DAY + timedelta(weeks=1)
    assert [s.slot_id for s in store.availability(next_week, session="Morning")] == [f"{DOC_WINDOW}||{next_week}"]
    assert the_record(store, DOC_WINDOW, next_week, CHECKUP).status == "OPEN"


def test_closing_one_of_several_records_leaves_the_window_listed(store):
    """Decision D-closed-record-closes-window: "closing one of several leaves it listed"."""
    wednesday = date(2026, 6, 17)
    store.override(f"{INDIRANAGAR_WED_OPEN}||2026-06-17||{CHECKUP}", status="CLOSED")
    assert len(listed(store, INDIRANAGAR_WED_OPEN, wednesday)) == 1
    assert the_record(store, INDIRANAGAR_WED_OPEN, wednesday, CHECKUP).status == "CLOSED"


def test_a_closed_window_with_a_record_opened_is_listed_on_that_date_only(store):
    """Decision D-closed-record-closes-window: "a CLOSED window with a record overridden OPEN is listed"."""
    assert listed(store, INDIRANAGAR_MON_CLOSED, DOC_DAY) == []
    store.override(f"{INDIRANAGAR_MON_CLOSED}||2026-06-15||{PHYSIO}", status="OPEN")
    [slot] = listed(store, INDIRANAGAR_MON_CLOSED, DOC_DAY)
    assert slot.filled_slots == sum(r.filled_slots for r in records_of(store, INDIRANAGAR_MON_CLOSED, DOC_DAY))
    assert listed(store, INDIRANAGAR_MON_CLOSED, DOC_DAY + timedelta(weeks=1)) == []


def test_max_slots_override_shows_for_that_date_only(store):
    """Docs: "max_slots | Override the slot capacity for this date only"; D-availability-max-slots caps ai_slots."""
    record = store.override(DOC_RECORD, max_slots=5)
    assert (record.max_slots, record.filled_slots, record.available_slots) == (5, 3, 2)
    assert the_record(store, DOC_WINDOW, DOC_DAY, CHECKUP).max_slots == 5
    slot = listed(store, DOC_WINDOW, DOC_DAY)[0]
    assert (slot.max_slots, slot.ai_slots, slot.available_slots) == (5, 5, 2)
    assert the_record(store, DOC_WINDOW, DOC_DAY + timedelta(weeks=1), CHECKUP).max_slots == 20
    assert the_record(store, DOC_WINDOW, DOC_DAY - timedelta(weeks=1), CHECKUP).max_slots == 20


def test_a_later_override_keeps_the_field_it_does_not_send(store):
    """Docs: "Override the status or max_slots" — a PATCH of one field leaves the other override in place."""
    store.override(DOC_RECORD, status="CLOSED")
    record = store.override(DOC_RECORD, max_slots=7)
    assert (record.status, record.max_slots) == ("CLOSED", 7)


def test_override_with_neither_status_nor_max_slots_is_a_validation_error(store):
    """Docs: the PATCH fields are status and max_slots; decision: a body with neither is 400 VALIDATION_ERROR."""
    with pytest.raises(ValidationFailed) as exc:
        store.override(DOC_RECORD)
    assert exc.value.status == 400
    assert store.record(DOC_RECORD) == the_record(load_slots(), DOC_WINDOW, DOC_DAY, CHECKUP)


def test_unknown_tracking_record_is_404(store):
    """Docs: "404 | NOT_FOUND | Schedule tracking record not found (PATCH only)"."""
    assert refusals(store, [
        (f"{uuid.UUID(int=1)}||2026-06-15||{CHECKUP}", NotFound),    # no such window
        (f"{DOC_WINDOW}||2026-06-15||{uuid.UUID(int=2)}", NotFound),  # no such type
        (f"{DOC_WINDOW}||2026-06-15||{DENTAL}", NotFound),            # a type the window does not serve
        (f"{DOC_WINDOW}||2026-06-16||{CHECKUP}", NotFound),           # a Tuesday: not the window's day
    ]) == []


def test_tracking_id_not_of_the_3_part_form_is_400(store):
    """Decision D-two-part-id-in-patch: "a 2-part id, or any id not of the 3-part form, in the tracking PATCH is 400"."""
    assert refusals(store, [
        (DOC_WINDOW, ValidationFailed),                                   # 1 part
        (f"{DOC_WINDOW}||2026-06-15", ValidationFailed),                  # 2 parts: the availability id
        (f"{DOC_RECORD}||extra", ValidationFailed),                       # 4 parts
        ("||".join([DOC_WINDOW] * 100), ValidationFailed),                # 100 parts
        ("", ValidationFailed),
        ("||||", ValidationFailed),                                       # 3 empty parts
        (f"||2026-06-15||{CHECKUP}", ValidationFailed),                   # an empty part
        (f"{DOC_WINDOW}||||{CHECKUP}", ValidationFailed),                 # an empty date
    ]) == []


def test_tracking_id_with_a_bad_or_impossible_date_is_400_or_404(store):
    """Decision D-two-part-id-in-patch: malformed ids get 400 or 404, never another error; "2026-02-30 … is 404"."""
    assert refusals(store, [
        (f"{DOC_WINDOW}||2026-6-15||{CHECKUP}", (ValidationFailed, NotFound)),
        (f"{DOC_WINDOW}||15/06/2026||{CHECKUP}", (ValidationFailed, NotFound)),
        (f"{DOC_WINDOW}||2026-13-01||{CHECKUP}", (ValidationFailed, NotFound)),
        (f"{DOC_WINDOW}||0000-01-01||{CHECKUP}", (ValidationFailed, NotFound)),
        (f"{DOC_WINDOW}||2026-02-30||{CHECKUP}", NotFound),               # a date that does not exist
    ]) == []


def test_tracking_ids_are_case_insensitive(store):
    """Decision D-two-part-id-in-patch: "ids are case-insensitive"."""
    record = store.override(DOC_RECORD.upper(), max_slots=6)
    assert record.slot_id == DOC_RECORD
    assert store.record(DOC_RECORD).max_slots == 6


# ── regenerate ────────────────────────────────────────────────────────────
def test_regenerate_drops_overrides_in_range_and_keeps_those_outside(store):
    """Decision D-regenerate-counters: upserting "discards that date's PATCH overrides. Overrides outside the range are kept"."""
    mondays = {d: f"{DOC_WINDOW}||{d}||{CHECKUP}" for d in
               (date(2026, 6, 8), date(2026, 6, 15), date(2026, 6, 29), date(2026, 7, 6))}
    for slot_id in mondays.values():
        store.override(slot_id, status="CLOSED", max_slots=4)
    store.regenerate(date_range("2026-06-15", "2026-06-30"))
    after = {d: store.record(slot_id) for d, slot_id in mondays.items()}
    assert {d: (r.status, r.max_slots) for d, r in after.items()} == {
        date(2026, 6, 8): ("CLOSED", 4), date(2026, 6, 15): ("OPEN", 20),
        date(2026, 6, 29): ("OPEN", 20), date(2026, 7, 6): ("CLOSED", 4)}
    assert store.consistency_errors() == []


def test_regenerate_skips_dates_with_no_window_on_their_weekday():
    """Decision D-regenerate-counters: "A date with no calendar window on its weekday is skipped"."""
    store = SlotStore()
    store.add_appointment_type(AppointmentType(CHECKUP, "General Checkup"))
    store.add_branch(Branch("b", "Branch", [CHECKUP]))
    store.add_window(window(DOC_WINDOW, "b", "monday"))
    result = store.regenerate(date_range("2026-06-15", "2026-06-28"))  # two weeks
    assert result == RegenerateResult(processed=14, skipped=12, errors=0, upserted=2)


def test_regenerate_counts_an_unprojectable_date_as_an_error_and_leaves_it_as_it_was():
    """Decision D-regenerate-counters: a window whose branch is gone "is an error and left as it was"."""
    store = SlotStore()
    store.add_appointment_type(AppointmentType(CHECKUP, "General Checkup"))
    store.add_branch(Branch("b", "Branch", [CHECKUP]))
    store.add_window(window(DOC_WINDOW, "b", "monday"))
    store.add_window(window(INDIRANAGAR_WED_OPEN, "gone", "wednesday", CHECKUP))
    wed_record = f"{INDIRANAGAR_WED_OPEN}||2026-06-17||{CHECKUP}"
    store.override(wed_record, status="CLOSED")
    store.override(DOC_RECORD, status="CLOSED")
    result = store.regenerate(date_range("2026-06-15", "2026-06-21"))
    assert result == RegenerateResult(processed=7, skipped=5, errors=1, upserted=1)
    assert result.processed == result.upserted + result.skipped + result.errors
    assert store.record(wed_record).status == "CLOSED"
    assert store.record(DOC_RECORD).status == "OPEN"


# ── date ranges and dates ─────────────────────────────────────────────────
def test_date_to_defaults_to_date_from():
    """Docs: "date_to | No | End date — YYYY-MM-DD (defaults to date_from if omitted)"."""
    assert date_range("2026-06-15", None) == [DOC_DAY]
    assert date_range("2026-06-15", "2026-06-21") == [DOC_DAY + timedelta(days=i) for i in range(7)]


def test_date_to_before_date_from_is_a_validation_error():
    """Decision D-date-range-limit: "date_to before date_from is 400"."""
    with pytest.raises(ValidationFailed) as exc:
        date_range("2026-06-15", "2026-06-14")
    assert exc.value.field == "date_to"


def test_range_of_more_than_366_dates_is_a_validation_error():
    """Decision D-date-range-limit: "at most 366 dates per request (tracking and regenerate)"."""
    assert len(date_range("2024-01-01", "2024-12-31")) == 366  # a leap year: the largest allowed
    with pytest.raises(ValidationFailed):
        date_range("2024-01-01", "2025-01-01")
    with pytest.raises(ValidationFailed):
        date_range("0001-01-01", "9999-12-31")


def test_last_representable_date_works_without_overflow():
    """Decision D-date-format: "Dates far in the past or future are valid" — 9999-12-31 has no next day."""
    assert date_range("9999-12-31", None) == [date(9999, 12, 31)]
    assert date_range("9999-12-30", "9999-12-31") == [date(9999, 12, 30), date(9999, 12, 31)]
    assert load_slots().regenerate(date_range("9999-12-25", "9999-12-31")).processed == 7


def test_malformed_or_impossible_date_is_a_validation_error():
    """Decision D-date-format: "exactly YYYY-MM-DD and a real date (2026-02-30, 20260615, 0000-01-01 are 400)"."""
    accepted = []
    for value in ("0000-01-01", "2026-02-30", "2026-6-15", "20260615", "2026-06-15T00:00",
                  " 2026-06-15", "", "2026/06/15", "15-06-2026"):
        for args in ((value, None), ("2026-06-15", value)):
            try:
                date_range(*args)
                accepted.append(args)
            except ValidationFailed:
                pass
    assert accepted == []


def test_iso_week_date_is_not_accepted_as_yyyy_mm_dd():
    """Decision D-date-format: dates are "exactly YYYY-MM-DD"."""
    with pytest.raises(ValidationFailed):
        parse_date("2026-W25-1", "date")


# ── concurrency ───────────────────────────────────────────────────────────
def test_a_copy_reads_exactly_as_its_original(store):
    """SlotStore.copy: the same records, overrides, availability and tracking as the original."""
    store.override(DOC_RECORD, status="CLOSED", max_slots=7)
    book(store, DOC_DAY, n=2)
    week = [DOC_DAY + timedelta(days=i) for i in range(7)]

    copy = store.copy()

    assert export_slots(copy) == export_slots(store)
    assert copy.consistency_errors() == []
    assert [(r.slot_id, r.max_slots, r.filled_slots, r.status) for r in copy.tracking(week)] == \
        [(r.slot_id, r.max_slots, r.filled_slots, r.status) for r in store.tracking(week)]
    assert [(s.slot_id, s.available_slots) for s in copy.availability(DOC_DAY)] == \
        [(s.slot_id, s.available_slots) for s in store.availability(DOC_DAY)]


def test_changing_a_copy_never_changes_its_original_nor_the_reverse(store):
    """SlotStore.copy: an independent copy; a write to either store, or a record edited in place, stays there."""
    store.override(DOC_RECORD, max_slots=7)
    before = export_slots(store)
    copy = store.copy()

    book(copy, DOC_DAY, n=3)
    copy.override(DOC_RECORD, status="CLOSED")
    copy.windows[DOC_WINDOW].max_slots = 99
    next(iter(copy.branches.values())).appointment_type_ids.append("another-type")
    next(iter(copy.appointments.values())).status = "cancelled"
    copy.regenerate([DOC_DAY + timedelta(days=7)])
    copy.remove_window(INDIRANAGAR_WED_OPEN)

    assert export_slots(store) == before
    assert store.consistency_errors() == []

    untouched = export_slots(copy)
    book(store, DOC_DAY)
    store.remove_window(DOC_WINDOW)
    assert export_slots(copy) == untouched


def test_filled_counts_stay_consistent_under_concurrent_appointment_changes(store):
    """Design (slots.py consistency_errors): "What would make the projections lie" — nothing, after concurrent load."""
    mondays = [date(2026, 6, 1) + timedelta(weeks=w) for w in range(6)]
    baseline = {d: the_record(store, DOC_WINDOW, d, CHECKUP).filled_slots for d in mondays}

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        mine: list[str] = []
        for i in range(300):
            appt_id = f"t{seed}-{i}"
            store.add_appointment(Appointment(appt_id, DOC_WINDOW, rng.choice(mondays), CHECKUP,
                                              rng.choice(["confirmed", "confirmed", "pending", "cancelled"])))
            mine.append(appt_id)
            if rng.random() < 0.3:
                store.remove_appointment(rng.choice(mine))
            if rng.random() < 0.3:  # move or re-status an existing appointment
                store.add_appointment(Appointment(rng.choice(mine), DOC_WINDOW, rng.choice(mondays), CHECKUP,
                                                  rng.choice(["confirmed", "pending"])))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert store.consistency_errors() == []
    added = Counter(a.date for a in list(store.appointments.values())
                    if a.appointment_id.startswith("t") and a.status == "confirmed")
    for day in mondays:
        assert the_record(store, DOC_WINDOW, day, CHECKUP).filled_slots == baseline[day] + added[day]


# ── properties over generated fixtures ────────────────────────────────────
WEEK0 = date(2026, 6, 1)  # a Monday
DAYS = [WEEK0 + timedelta(days=i) for i in range(14)]


@st.composite
def slot_worlds(draw):
    """A SlotStore built from random branches, types, windows, appointments and overrides,
    with the confirmed counts the appointments should produce (the oracle)."""
    type_ids = draw(st.lists(st.uuids().map(str), min_size=1, max_size=4, unique=True))
    branches = [Branch(f"branch-{i}", f"Branch {i}",
                       draw(st.lists(st.sampled_from(type_ids), unique=True, max_size=len(type_ids))))
                for i in range(draw(st.integers(1, 3)))]
    calendar_ids = draw(st.lists(st.uuids().map(str), max_size=7, unique=True))
    store = SlotStore()
    for i, type_id in enumerate(type_ids):
        store.add_appointment_type(AppointmentType(type_id, f"Type {i}"))
    for branch in branches:
        store.add_branch(branch)
    served: dict[str, list[str]] = {}
    for calendar_id in calendar_ids:
        branch = draw(st.sampled_from(branches))
        type_id = draw(st.none() | st.sampled_from(branch.appointment_type_ids)) \
            if branch.appointment_type_ids else None
        max_slots = draw(st.integers(0, 25))
        store.add_window(window(
            calendar_id, branch.branch_id, draw(st.sampled_from(WEEKDAYS)), type_id,
            session=draw(st.sampled_from(SESSIONS)), start_time=draw(st.sampled_from(["09:00", "14:00", "18:00"])),
            max_slots=max_slots, ai_slots=draw(st.integers(0, max_slots)),
            status=draw(st.sampled_from(["OPEN", "CLOSED"]))))
        served[calendar_id] = [type_id] if type_id else list(branch.appointment_type_ids)
    confirmed: Counter = Counter()
    for calendar_id in calendar_ids:
        w = store.windows[calendar_id]
        if not served[calendar_id]:
            continue
        for week, type_id, status in draw(st.lists(st.tuples(
                st.integers(0, 1), st.sampled_from(served[calendar_id]),
                st.sampled_from(["confirmed", "pending", "cancelled"])), max_size=12)):
            day = WEEK0 + timedelta(days=WEEKDAYS.index(w.day) + 7 * week)
            store.add_appointment(Appointment(str(uuid.uuid4()), calendar_id, day, type_id, status))
            if status == "confirmed":
                confirmed[(calendar_id, day, type_id)] += 1
    records = list(store.tracking(DAYS))
    if records:
        for index, status, max_slots in draw(st.lists(st.tuples(
                st.integers(0, len(records) - 1), st.sampled_from([None, "OPEN", "CLOSED"]),
                st.none() | st.integers(0, 30)), max_size=4)):
            if status is not None or max_slots is not None:
                store.override(records[index].slot_id, status=status, max_slots=max_slots)
    return store, served, confirmed


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(slot_worlds())
def test_tracking_records_add_up_to_the_availability_slot(world):
    """Decision D-availability-max-slots: an availability slot's "filled_slots is the sum of its records' filled_slots"."""
    store, served, confirmed = world
    tracking = list(store.tracking(DAYS))
    assert len({r.slot_id for r in tracking}) == len(tracking)
    for day in DAYS:
        slots = {s.window.calendar_id: s for s in store.availability(day)}
        assert len(slots) == len(store.availability(day))
        for calendar_id, types in served.items():
            records = [r for r in tracking if r.window.calendar_id == calendar_id and r.day == day]
            if store.windows[calendar_id].day != WEEKDAYS[day.weekday()]:
                assert records == [] and calendar_id not in slots
                continue
            # one record per served type, counting that type's confirmed appointments
            assert sorted(r.appointment_type.appointment_type_id for r in records) == sorted(types)
            for r in records:
                assert r.filled_slots == confirmed[(calendar_id, day, r.appointment_type.appointment_type_id)]
                assert r.available_slots == max(0, r.max_slots - r.filled_slots)
            # listed while any record is OPEN, and then its filled count is the records' sum
            assert (calendar_id in slots) == any(r.status == "OPEN" for r in records)
            if calendar_id in slots:
                slot = slots[calendar_id]
                assert slot.filled_slots == sum(r.filled_slots for r in records)
                assert slot.available_slots == max(0, slot.ai_slots - slot.filled_slots)
                assert slot.ai_slots <= slot.max_slots


@PROPERTY
@given(slot_worlds(), st.data())
def test_filters_return_exactly_the_matching_subset(world, data):
    """Docs: branch_id / appointment_type_id / session "Filter by …" — the filtered list is the matching part of the unfiltered one."""
    store, _, _ = world
    branch_id = data.draw(st.none() | st.sampled_from([*store.branches, "no-such-branch"]))
    type_id = data.draw(st.none() | st.sampled_from([*store.appointment_types, str(uuid.UUID(int=0))]))
    session = data.draw(st.none() | st.sampled_from(SESSIONS))
    everything = list(store.tracking(DAYS))
    assert list(store.tracking(DAYS, branch_id=branch_id, appointment_type_id=type_id, session=session)) == [
        r for r in everything
        if branch_id in (None, r.window.branch_id) and session in (None, r.window.session)
        and type_id in (None, r.appointment_type.appointment_type_id)]
    for day in DAYS:
        assert store.availability(day, branch_id=branch_id, session=session) == [
            s for s in store.availability(day)
            if branch_id in (None, s.window.branch_id) and session in (None, s.window.session)]


@PROPERTY
@given(slot_worlds(), st.integers(0, 13), st.integers(0, 13))
def test_regenerate_counts_every_date_once(world, start, length):
    """Decision D-regenerate-counters: "processed equals the number of dates and the sum holds"."""
    store, _, _ = world
    days = DAYS[start:start + length + 1]
    result = store.regenerate(days)
    assert result.processed == len(days) == result.upserted + result.skipped + result.errors
    weekdays_with_windows = {w.day for w in store.windows.values()}
    assert result.skipped == sum(WEEKDAYS[d.weekday()] not in weekdays_with_windows for d in days)
    assert result.errors == 0  # every generated window is projectable
    assert store.consistency_errors() == []
