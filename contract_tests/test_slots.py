"""Availability and schedule tracking: documented arithmetic, id formats, filters
and defaults as Hypothesis properties over dates, on any target; overrides and
regeneration where writes are allowed; the docs' own examples where the target holds
them (the bundled mock, or DOCS_EXAMPLES=1).

Records are compared by slot_id, on the fields the docs print: the order of a list
and any field a server adds are its own business."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .conftest import need_key
from .exchange_checks import assert_holds, explain, from_response, regenerate_processed, violations_of, watched

NIL = "00000000-0000-0000-0000-000000000000"
DOCS_DATE = date(2026, 6, 15)
DOCS_SLOT = {
    "slot_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890||2026-06-15",
    "calendar_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "branch_id": "branch_uuid_here", "day": "monday",
    "session": "Morning", "batch": "MA", "start_time": "09:00", "end_time": "11:00", "appointment_type": None,
    "max_slots": 20, "ai_slots": 10, "filled_slots": 3, "available_slots": 7, "status": "OPEN",
}
DOCS_RECORD = {
    "slot_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890||2026-06-15||f47ac10b-58cc-4372-a567-0e02b2c3d479",
    "calendar_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "appointment_type_id": "f47ac10b-58cc-4372-a567-0e02b2c3d479",
    "appointment_type_name": "General Checkup", "date": "2026-06-15", "day_of_week": "monday", "session": "Morning",
    "batch": "MA", "start_time": "09:00", "end_time": "11:00", "max_slots": 20, "filled_slots": 3,
    "available_slots": 17, "status": "OPEN",
}
# Fields the docs print only as null: any shape, or left out (D-availability-appointment-type).
SHOWN_ONLY_AS_NULL = {"appointment_type"}
# Dates around the docs' examples, where the bundled fixtures hold appointments.
dates = st.dates(min_value=date(2026, 5, 25), max_value=date(2026, 7, 20))


def availability_response(api, key, day, **filters):
    response = api.get("/appointment-slots/availability", key=key, params={"date": day.isoformat(), **filters})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["date"] == day.isoformat()
    return response


def read_availability(api, key, day, **filters):
    return availability_response(api, key, day, **filters).json()["slots"]


def tracking_response(api, key, date_from, date_to=None, **filters):
    params = {"date_from": date_from.isoformat(), **filters}
    if date_to is not None:
        params["date_to"] = date_to.isoformat()
    response = api.get("/appointment-slots/schedule-tracking", key=key, params=params)
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    return response


def read_tracking(api, key, date_from, date_to=None, **filters):
    return tracking_response(api, key, date_from, date_to, **filters).json()["data"]


def by_id(records: list[dict], fields=tuple(DOCS_RECORD)) -> dict[str, dict]:
    """slot_id → the record's documented fields (a server may add others, and order as it likes)."""
    return {r["slot_id"]: {k: r.get(k) for k in fields} for r in records}


def expected_available(capacity: int, filled: int, is_mock: bool) -> set[int]:
    """'computed as ai_slots − filled_slots'; below zero the docs are silent (D-available-not-negative)."""
    if capacity >= filled:
        return {capacity - filled}
    return {0} if is_mock else {0, capacity - filled}


def documented_slot(slot: dict, is_mock: bool) -> dict:
    fields = [k for k in DOCS_SLOT if is_mock or k not in SHOWN_ONLY_AS_NULL]
    return {k: slot.get(k) for k in fields}


# ── availability ─────────────────────────────────────────────────────────────
@pytest.mark.clause("AVAIL-OPEN-WINDOWS", "AVAIL-SLOT-ID", "AVAIL-ARITHMETIC")
@given(day=dates)
def test_availability_slots_are_open_windows_of_that_date_with_their_arithmetic(api, target, day):
    """'Returns all open calendar windows for a specific date'; 'calendar_id||YYYY-MM-DD'; 'available_slots = ai_slots − filled_slots'."""
    response = availability_response(api, need_key(target, "slots:read"), day)
    assert_holds(response, api.base_url, "AVAIL-OPEN-WINDOWS", "AVAIL-SLOT-ID", "AVAIL-ARITHMETIC", "AVAIL-DATE")
    for slot in response.json()["slots"]:  # the docs' reading is shared; below zero, the mock's choice
        assert slot["available_slots"] in expected_available(slot["ai_slots"], slot["filled_slots"], target.is_mock)


@pytest.mark.clause("AVAIL-BRANCH-FILTER", "AVAIL-SESSION-FILTER")
@given(day=dates, session=st.sampled_from(["Morning", "Afternoon", "Evening", None]), pick_branch=st.booleans(),
       branch_index=st.integers(min_value=0, max_value=10))
def test_availability_filters_return_exactly_the_matching_slots(api, target, day, session, pick_branch, branch_index):
    """'branch_id — Filter by branch UUID'; 'session — Filter by session': nothing else, nothing missing."""
    key = need_key(target, "slots:read")
    everything = read_availability(api, key, day)
    filters = {}
    if session:
        filters["session"] = session
    branches = sorted({s["branch_id"] for s in everything})
    if pick_branch and branches:
        filters["branch_id"] = branches[branch_index % len(branches)]
    response = availability_response(api, key, day, **filters)
    assert_holds(response, api.base_url, "AVAIL-BRANCH-FILTER", "AVAIL-SESSION-FILTER")  # nothing else
    filtered = response.json()["slots"]
    expected = [s for s in everything if all(s[k] == v for k, v in filters.items())]  # nothing missing
    assert sorted(s["slot_id"] for s in filtered) == sorted(s["slot_id"] for s in expected)


@pytest.mark.clause("AVAIL-OPEN-WINDOWS", "REGEN")
@pytest.mark.writes
@given(day=dates)
def test_after_regenerating_a_date_availability_lists_the_windows_its_records_keep_open(api, target, day):
    """'Returns all open calendar windows for a specific date'; regenerate 'Recreates schedule tracking records …
    from the current calendar window definitions', and a record's status is the window's 'for this date'."""
    read, write = need_key(target, "slots:read"), need_key(target, "slots:write")
    assert api.post("/appointment-slots/regenerate", key=write, json_body={"date_from": day.isoformat()}).status_code == 200
    records: dict[str, list[dict]] = defaultdict(list)
    for record in read_tracking(api, read, day):
        records[record["calendar_id"]].append(record)
    slots = read_availability(api, read, day)
    for slot in slots:
        mine = records.get(slot["calendar_id"])
        assert mine, f"window {slot['calendar_id']} is listed as open on {day} but has no tracking record that date"
        for record in mine:
            window = tuple(record[k] for k in ("session", "batch", "start_time", "end_time"))
            assert window == tuple(slot[k] for k in ("session", "batch", "start_time", "end_time")), record["slot_id"]
    listed = {s["calendar_id"] for s in slots}
    for calendar_id, mine in records.items():
        statuses = {r["status"] for r in mine}
        if statuses == {"OPEN"}:
            assert calendar_id in listed, f"every record of window {calendar_id} is OPEN on {day}, yet it is not listed"
        if statuses == {"CLOSED"}:
            assert calendar_id not in listed, f"every record of window {calendar_id} is CLOSED on {day}, yet it is listed"


@pytest.mark.clause("AVAIL-FILLED", "TRACK-RECORDS")
@pytest.mark.mock_only("D-tracking-computed-live", observe=True)
@given(day=dates)
def test_tracking_fill_counts_add_up_to_the_availability_fill_count(api, target, day):
    """'filled_slots counts confirmed appointments for the window on that date' = the sum over its per-type records (D-tracking-computed-live)."""
    key = need_key(target, "slots:read")
    records = read_tracking(api, key, day)
    for slot in read_availability(api, key, day):
        mine = [r for r in records if r["calendar_id"] == slot["calendar_id"]]
        assert mine, f"no tracking record for open window {slot['calendar_id']}"
        assert sum(r["filled_slots"] for r in mine) == slot["filled_slots"]


@pytest.mark.clause("AVAIL-OPEN-WINDOWS")
@pytest.mark.mock_only("D-closed-record-closes-window", observe=True)
@given(day=dates)
def test_availability_lists_exactly_the_windows_with_an_open_record_that_date(api, target, day):
    """'Returns all open calendar windows': a window is open on a date while one of its records is OPEN (D-closed-record-closes-window)."""
    key = need_key(target, "slots:read")
    open_windows = {r["calendar_id"] for r in read_tracking(api, key, day) if r["status"] == "OPEN"}
    listed = {s["calendar_id"] for s in read_availability(api, key, day)}
    assert listed == open_windows


def needs_docs_examples(api, target):
    """Skip unless the target holds the docs' printed records; where writes are allowed, put the docs'
    record back as printed first (earlier requests, fuzzing among them, may have overridden it, and a
    server may keep an override through a regenerate)."""
    if not target.holds_docs_examples:
        pytest.skip("checks the docs' printed records: set DOCS_EXAMPLES=1 if the target holds them")
    if target.can_change_slots:
        response = api.patch(f"/appointment-slots/tracking/{DOCS_RECORD['slot_id']}", key=need_key(target, "slots:write"),
                             json_body={"status": DOCS_RECORD["status"], "max_slots": DOCS_RECORD["max_slots"]})
        assert 200 <= response.status_code < 300, f"the docs' record could not be put back as printed: {response.text}"


@pytest.mark.clause("AVAIL-EXAMPLE", "AVAIL-FILLED")
def test_docs_availability_request_returns_the_docs_slot(api, target):
    """The docs' 'date=2026-06-15&session=Morning' returns the printed slot (timestamps aside)."""
    needs_docs_examples(api, target)
    slots = read_availability(api, need_key(target, "slots:read"), DOCS_DATE, session="Morning")
    assert [documented_slot(s, target.is_mock) for s in slots] == [documented_slot(DOCS_SLOT, target.is_mock)]


@pytest.mark.clause("AVAIL-DATE", "SLOTS-400")
def test_availability_without_date_is_400_validation_error(api, target):
    """'date | Yes'; '400 | VALIDATION_ERROR | Missing required parameter (date or date_from)'."""
    response = api.get("/appointment-slots/availability", key=need_key(target, "slots:read"))
    assert response.status_code == 400
    assert_holds(response, api.base_url, "AVAIL-DATE", "SLOTS-400")


@pytest.mark.clause("AVAIL-DATE")
@pytest.mark.parametrize("value", ["15-06-2026", "tomorrow", "2026/06/15", "20260615"])
def test_availability_with_a_date_not_written_yyyy_mm_dd_is_refused(api, target, value):
    """'Date to check — YYYY-MM-DD': another form is refused (400 on the mock; the docs name no status for it)."""
    response = api.get("/appointment-slots/availability", key=need_key(target, "slots:read"), params={"date": value})
    assert response.status_code == 400 if target.is_mock else 400 <= response.status_code < 500


@pytest.mark.clause("AVAIL-DATE")
@pytest.mark.mock_only("D-date-format", observe=True)
def test_availability_for_a_date_that_does_not_exist_is_400(api, target):
    """D-date-format: 2026-02-30 is written YYYY-MM-DD but is no date: 400 on the mock."""
    response = api.get("/appointment-slots/availability", key=need_key(target, "slots:read"),
                       params={"date": "2026-02-30"})
    assert response.status_code == 400


@pytest.mark.clause("AVAIL-SESSION-FILTER")
def test_availability_for_a_session_not_documented_lists_no_slot_of_another_session(api, target):
    """'session: Morning, Afternoon, or Evening': Night is refused (400 on the mock), or filters everything out."""
    response = api.get("/appointment-slots/availability", key=need_key(target, "slots:read"),
                       params={"date": DOCS_DATE.isoformat(), "session": "Night"})
    if target.is_mock:
        assert response.status_code == 400
    elif response.status_code == 200:
        assert [s["session"] for s in response.json()["slots"] if s.get("session") != "Night"] == []
    else:
        assert 400 <= response.status_code < 500


# ── schedule tracking ───────────────────────────────────────────────────────
@pytest.mark.clause("TRACK-RECORDS", "TRACK-SLOT-ID")
@given(start=dates, days=st.integers(min_value=1, max_value=7))
def test_tracking_records_cover_the_range_with_their_ids_and_arithmetic(api, target, start, days):
    """Per-date records; 'calendar_id||YYYY-MM-DD||appointment_type_id'; available = max_slots − filled_slots."""
    end = start + timedelta(days=days - 1)
    response = tracking_response(api, need_key(target, "slots:read"), start, end)
    assert_holds(response, api.base_url, "TRACK-RECORDS", "TRACK-SLOT-ID")
    for record in response.json()["data"]:  # the docs' reading is shared; below zero, the mock's choice
        assert record["available_slots"] in expected_available(record["max_slots"], record["filled_slots"], target.is_mock)
        assert record["status"] in ("OPEN", "CLOSED")


@pytest.mark.clause("TRACK-DATE-TO-DEFAULT")
@given(day=dates)
def test_tracking_date_to_defaults_to_date_from(api, target, day):
    """'date_to … (defaults to date_from if omitted)'."""
    key = need_key(target, "slots:read")
    defaulted = tracking_response(api, key, day)
    assert_holds(defaulted, api.base_url, "TRACK-DATE-TO-DEFAULT")
    assert by_id(defaulted.json()["data"]) == by_id(read_tracking(api, key, day, day))


@pytest.mark.clause("TRACK-FILTERS")
@given(start=dates, days=st.integers(min_value=1, max_value=4), which=st.sampled_from(["session", "appointment_type_id"]),
       index=st.integers(min_value=0, max_value=20))
def test_tracking_filters_return_exactly_the_matching_records(api, target, start, days, which, index):
    """'appointment_type_id — Filter by service UUID'; 'session — Filter by session'."""
    key = need_key(target, "slots:read")
    end = start + timedelta(days=days - 1)
    everything = by_id(read_tracking(api, key, start, end))
    values = sorted({r[which] for r in everything.values()}) or (["Morning"] if which == "session" else [NIL])
    value = values[index % len(values)]
    response = tracking_response(api, key, start, end, **{which: value})
    assert_holds(response, api.base_url, "TRACK-FILTERS")  # nothing else
    filtered = by_id(response.json()["data"])
    assert filtered == {sid: r for sid, r in everything.items() if r[which] == value}  # nothing missing


@pytest.mark.clause("TRACK-FILTERS", "AVAIL-BRANCH-FILTER")
@given(day=dates, index=st.integers(min_value=0, max_value=20))
def test_tracking_branch_filter_keeps_exactly_that_branchs_windows(api, target, day, index):
    """'branch_id — Filter by branch UUID' (branches of windows are read from availability)."""
    key = need_key(target, "slots:read")
    branch_of = {s["calendar_id"]: s["branch_id"] for s in read_availability(api, key, day)}
    if not branch_of:
        return
    branch = sorted(set(branch_of.values()))[index % len(set(branch_of.values()))]
    everything = by_id(read_tracking(api, key, day))
    filtered = by_id(read_tracking(api, key, day, branch_id=branch))
    assert set(filtered) <= set(everything), f"records no unfiltered read returns: {set(filtered) - set(everything)}"
    for slot_id, record in everything.items():
        if branch_of.get(record["calendar_id"]) == branch:
            assert slot_id in filtered, f"record {slot_id} of branch {branch} is missing"
        elif record["calendar_id"] in branch_of:
            assert slot_id not in filtered, f"record {slot_id} of another branch was returned"


@pytest.mark.clause("TRACK-EXAMPLE")
def test_docs_tracking_request_contains_the_docs_record(api, target):
    """The docs' 'date_from=2026-06-15&date_to=2026-06-21' returns the printed record."""
    needs_docs_examples(api, target)
    records = by_id(read_tracking(api, need_key(target, "slots:read"), DOCS_DATE, date(2026, 6, 21)))
    assert records.get(DOCS_RECORD["slot_id"]) == DOCS_RECORD


@pytest.mark.clause("TRACK-DATE-FROM", "SLOTS-400")
def test_tracking_without_date_from_is_400_validation_error(api, target):
    """'date_from | Yes'; '400 | VALIDATION_ERROR | Missing required parameter (date or date_from)'."""
    response = api.get("/appointment-slots/schedule-tracking", key=need_key(target, "slots:read"),
                       params={"date_to": "2026-06-21"})
    assert response.status_code == 400
    assert_holds(response, api.base_url, "TRACK-DATE-FROM", "SLOTS-400")


# ── the tracking PATCH ──────────────────────────────────────────────────────
@pytest.mark.clause("PATCH-404")
def test_patch_of_a_record_that_does_not_exist_is_404_not_found(api, target):
    """'404 | NOT_FOUND | Schedule tracking record not found (PATCH only)'."""
    response = api.patch(f"/appointment-slots/tracking/{NIL}||2026-06-15||{NIL}",
                         key=need_key(target, "slots:write"), json_body={"status": "OPEN"})
    assert response.status_code == 404
    assert_holds(response, api.base_url, "PATCH-404")


@pytest.mark.clause("PATCH-THREE-PART")
@pytest.mark.parametrize("slot_id", [f"{NIL}||2026-06-15", NIL, f"{NIL}||2026-06-15||{NIL}||{NIL}", "||||", "x" * 300])
def test_patch_with_an_id_not_of_the_three_part_form_is_refused(api, target, slot_id):
    """'The {slot_id} must be the 3-part format from a schedule-tracking response'."""
    response = api.patch(f"/appointment-slots/tracking/{slot_id}", key=need_key(target, "slots:write"),
                         json_body={"status": "OPEN"})
    if target.is_mock:
        assert response.status_code in (400, 404)
    else:
        assert 400 <= response.status_code < 500 and response.status_code not in (401, 403, 429)


def find(records, calendar_id, type_id):
    return next(r for r in records if r["calendar_id"] == calendar_id and r["appointment_type_id"] == type_id)


def read_after_patch(api, patch_response, read_response, clause):
    """The records of a tracking read that followed a PATCH, once the shared cross-exchange check
    (exchange_checks.Watcher, as the proxy runs it) found the PATCH reflected in them."""
    found = watched(api.base_url, patch_response, read_response, clauses=[clause])
    assert not found, explain(found)
    return read_response.json()["data"]


@pytest.fixture
def record(api, target):
    """An OPEN tracking record, as it is now, with the same record a week later as it is now;
    the record's status and capacity are put back afterwards. Read here, not assumed: off the
    mock nothing resets between tests, and earlier ones (fuzzing among them) may have changed both."""
    key = need_key(target, "slots:read")
    write = need_key(target, "slots:write")
    for offset in range(0, 28):
        day = DOCS_DATE + timedelta(days=offset)
        found = [r for r in read_tracking(api, key, day) if r["status"] == "OPEN"]
        later = by_id(read_tracking(api, key, day + timedelta(days=7)))
        for chosen in found:
            twin = next((r for r in later.values() if r["calendar_id"] == chosen["calendar_id"]
                         and r["appointment_type_id"] == chosen["appointment_type_id"]), None)
            if twin is None:
                continue
            yield {**chosen, "week_later": twin}
            api.patch(f"/appointment-slots/tracking/{chosen['slot_id']}", key=write,
                      json_body={"status": chosen["status"], "max_slots": chosen["max_slots"]})
            return
    pytest.skip("no OPEN tracking record in the four weeks from 2026-06-15 with a record a week later")


@pytest.mark.clause("PATCH-STATUS", "PATCH-PASS-SLOT-ID")
@pytest.mark.writes
def test_patch_status_overrides_that_date_only(api, target, record):
    """'status — overrides the window's status for this date only'; the slot_id is passed as returned."""
    read, write = need_key(target, "slots:read"), need_key(target, "slots:write")
    day = date.fromisoformat(record["date"])
    response = api.request("PATCH", f"{target.base_url}/appointment-slots/tracking/{record['slot_id']}",
                           key=write, json_body={"status": "CLOSED"}, raw_path=True)
    assert 200 <= response.status_code < 300
    after = read_after_patch(api, response, tracking_response(api, read, day), "PATCH-STATUS")
    assert find(after, record["calendar_id"], record["appointment_type_id"])["status"] == "CLOSED"
    week_later = find(read_tracking(api, read, day + timedelta(days=7)), record["calendar_id"], record["appointment_type_id"])
    assert week_later["status"] == record["week_later"]["status"], "the override reached another date"


@pytest.mark.clause("PATCH-MAX-SLOTS", "PATCH-PASS-SLOT-ID")
@pytest.mark.writes
def test_patch_max_slots_overrides_that_date_only_and_counts_follow(api, target, record):
    """'max_slots — Override the slot capacity for this date only' (sent percent-encoded, as encodeURIComponent does)."""
    read, write = need_key(target, "slots:read"), need_key(target, "slots:write")
    day = date.fromisoformat(record["date"])
    new_max = record["filled_slots"] + 5
    if new_max == record["week_later"]["max_slots"]:
        new_max += 1  # so that a capacity leaking to the next week shows
    encoded = record["slot_id"].replace("||", "%7C%7C")
    response = api.request("PATCH", f"{target.base_url}/appointment-slots/tracking/{encoded}",
                           key=write, json_body={"max_slots": new_max}, raw_path=True)
    assert 200 <= response.status_code < 300
    read_response = tracking_response(api, read, day)
    after = find(read_after_patch(api, response, read_response, "PATCH-MAX-SLOTS"),
                 record["calendar_id"], record["appointment_type_id"])
    assert after["max_slots"] == new_max and after["available_slots"] == new_max - after["filled_slots"]
    week_later = find(read_tracking(api, read, day + timedelta(days=7)), record["calendar_id"], record["appointment_type_id"])
    assert week_later["max_slots"] == record["week_later"]["max_slots"], "the override reached another date"


@pytest.mark.clause("PATCH-COMPUTED")
@pytest.mark.writes
@pytest.mark.parametrize("field", ["filled_slots", "available_slots"])
def test_patch_cannot_set_computed_counts(api, target, record, field):
    """'Filled and available counts are always computed from live appointment data and cannot be set directly.'
    (Refused with 400 on the mock, D-unknown-body-fields; elsewhere refused or ignored, never set.)"""
    read, write = need_key(target, "slots:read"), need_key(target, "slots:write")
    response = api.patch(f"/appointment-slots/tracking/{record['slot_id']}", key=write,
                         json_body={field: record[field] + 7})
    assert response.status_code == 400 if target.is_mock else response.status_code < 500
    after = find(read_tracking(api, read, date.fromisoformat(record["date"])),
                 record["calendar_id"], record["appointment_type_id"])
    assert after[field] == record[field], f"{field} was set to {after[field]}"


@pytest.mark.clause("AVAIL-OPEN-WINDOWS", "PATCH-STATUS")
@pytest.mark.mock_only("D-closed-record-closes-window")
def test_closing_the_docs_record_closes_the_docs_window_that_date(api, target):
    """D-closed-record-closes-window: the docs' PATCH {"status": "CLOSED"} removes the window from that date's availability."""
    read, write = need_key(target, "slots:read"), need_key(target, "slots:write")
    response = api.patch(f"/appointment-slots/tracking/{DOCS_RECORD['slot_id']}", key=write, json_body={"status": "CLOSED"})
    try:
        assert response.status_code == 200 and response.json()["data"]["status"] == "CLOSED"
        assert DOCS_SLOT["slot_id"] not in [s["slot_id"] for s in read_availability(api, read, DOCS_DATE)]
        next_week = [s["calendar_id"] for s in read_availability(api, read, DOCS_DATE + timedelta(days=7))]
        assert DOCS_SLOT["calendar_id"] in next_week
    finally:
        api.patch(f"/appointment-slots/tracking/{DOCS_RECORD['slot_id']}", key=write, json_body={"status": "OPEN"})


# ── regenerate ──────────────────────────────────────────────────────────────
@pytest.mark.clause("REGEN", "REGEN-DATES", "REGEN-RESPONSE")
@pytest.mark.writes
def test_regenerate_answers_its_four_counts(api, target):
    """'Recreates schedule tracking records for a date range' and answers processed/skipped/errors/upserted.
    Whether the counts are of dates or of records the docs leave open (D-regenerate-counters); either way,
    every date of the range that has records is something processed."""
    start, end = DOCS_DATE, DOCS_DATE + timedelta(days=6)
    records = read_tracking(api, need_key(target, "slots:read"), start, end)
    response = api.post("/appointment-slots/regenerate", key=need_key(target, "slots:write"),
                        json_body={"date_from": start.isoformat(), "date_to": end.isoformat()})
    assert response.status_code == 200
    found = violations_of(response, api.base_url, "REGEN-DATES", "REGEN-RESPONSE")
    found += regenerate_processed(from_response(response, api.base_url), {r["date"] for r in records})
    assert not found, explain(found)
    body = response.json()
    if target.is_mock:
        assert body["processed"] == 7 == body["upserted"] + body["skipped"] + body["errors"]


@pytest.mark.clause("REGEN-RESPONSE")
@pytest.mark.mock_only("D-regenerate-counters", observe=True)
@pytest.mark.writes
def test_docs_regenerate_request_returns_the_docs_counts(api, target):
    """The docs' regenerate of 2026-06-15..2026-06-30 answers processed 16, skipped 0, errors 0, upserted 16:
    sixteen dates, counted as dates (D-regenerate-counters; the docs print no data for the other dates)."""
    response = api.post("/appointment-slots/regenerate", key=need_key(target, "slots:write"),
                        json_body={"date_from": "2026-06-15", "date_to": "2026-06-30"})
    body = response.json()
    assert response.status_code == 200
    assert {k: body.get(k) for k in ("success", "processed", "skipped", "errors", "upserted")} == \
        {"success": True, "processed": 16, "skipped": 0, "errors": 0, "upserted": 16}


@pytest.mark.clause("REGEN")
@pytest.mark.mock_only("D-regenerate-counters")
def test_regenerate_recreates_records_from_windows_dropping_overrides_in_range_only(api, target):
    """D-regenerate-counters: records are recreated from the window definitions, so in-range overrides go."""
    read, write = need_key(target, "slots:read"), need_key(target, "slots:write")
    inside, outside = DOCS_RECORD["slot_id"], DOCS_RECORD["slot_id"].replace("2026-06-15", "2026-06-22")
    for slot_id in (inside, outside):
        assert api.patch(f"/appointment-slots/tracking/{slot_id}", key=write, json_body={"max_slots": 4}).status_code == 200
    try:
        assert api.post("/appointment-slots/regenerate", key=write, json_body={"date_from": "2026-06-15"}).status_code == 200
        assert find(read_tracking(api, read, DOCS_DATE), DOCS_RECORD["calendar_id"], DOCS_RECORD["appointment_type_id"])["max_slots"] == 20
        assert find(read_tracking(api, read, date(2026, 6, 22)), DOCS_RECORD["calendar_id"], DOCS_RECORD["appointment_type_id"])["max_slots"] == 4
    finally:
        api.post("/appointment-slots/regenerate", key=write, json_body={"date_from": "2026-06-22"})


@pytest.mark.clause("REGEN-DATES", "SLOTS-400")
def test_regenerate_without_date_from_is_400(api, target):
    """'date_from | Yes | Start of the regeneration range'; '400 | VALIDATION_ERROR | Missing required parameter (date or date_from)'."""
    response = api.post("/appointment-slots/regenerate", key=need_key(target, "slots:write"),
                        json_body={"date_to": "2026-06-30"})
    assert response.status_code == 400
    assert_holds(response, api.base_url, "REGEN-DATES", "SLOTS-400")
