"""The appointment-slots endpoints over HTTP: the docs' requests return the docs'
records; PATCH overrides; regenerate; validation; filters."""
from __future__ import annotations

import pytest

from conftest import assert_error, auth_header

AVAILABILITY = "/v1/appointment-slots/availability"
TRACKING = "/v1/appointment-slots/schedule-tracking"
REGENERATE = "/v1/appointment-slots/regenerate"
PATCH = "/v1/appointment-slots/tracking/"

CALENDAR_ID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
GENERAL_CHECKUP = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
DOCS_TRACKING_ID = f"{CALENDAR_ID}||2026-06-15||{GENERAL_CHECKUP}"
TIMESTAMPS = {"created_at", "updated_at"}

from docs_examples import DOCS_AVAILABILITY_SLOT, DOCS_TRACKING_RECORD  # noqa: E402


def availability(client, **params):
    return client.get(AVAILABILITY, params=params, headers=auth_header())


def tracking(client, **params):
    return client.get(TRACKING, params=params, headers=auth_header())


def patch(client, slot_id, body, **kwargs):
    return client.patch(PATCH + slot_id, json=body, headers=auth_header(), **kwargs)


def regenerate(client, body):
    return client.post(REGENERATE, json=body, headers=auth_header())


def without(record, keys=TIMESTAMPS):
    return {k: v for k, v in record.items() if k not in keys}


def window_ids(response) -> set[str]:
    return {s["calendar_id"] for s in response.json()["slots"]}


def docs_record(client, date="2026-06-15"):
    records = tracking(client, date_from=date).json()["data"]
    return next(r for r in records if r["calendar_id"] == CALENDAR_ID)


# ── the docs' requests, the docs' records ────────────────────────────────────
def test_docs_availability_request_returns_exactly_the_docs_slot(client):
    """Get Availability (date=2026-06-15&session=Morning) — Response 200 OK prints one slot."""
    response = availability(client, date="2026-06-15", session="Morning")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["success"], body["date"]) == (True, "2026-06-15")
    assert [without(s) for s in body["slots"]] == [without(DOCS_AVAILABILITY_SLOT)]


def test_availability_slot_id_is_calendar_id_and_date(client):
    """"The slot_id in availability results uses the 2-part format calendar_id||YYYY-MM-DD." """
    for slot in availability(client, date="2026-06-15").json()["slots"]:
        assert slot["slot_id"] == f"{slot['calendar_id']}||2026-06-15"


def test_availability_available_is_ai_minus_filled(client):
    """"available_slots is computed as ai_slots − filled_slots." (D-available-not-negative: never below 0)"""
    for date in ("2026-06-15", "2026-06-16", "2026-06-17", "2026-06-18", "2026-06-19", "2026-06-20", "2026-06-21"):
        for slot in availability(client, date=date).json()["slots"]:
            assert slot["available_slots"] == max(0, slot["ai_slots"] - slot["filled_slots"]), slot


def test_availability_lists_only_open_windows(client):
    """"Returns all open calendar windows for a specific date" """
    for date in ("2026-06-15", "2026-06-20"):
        slots = availability(client, date=date).json()["slots"]
        assert slots and all(s["status"] == "OPEN" for s in slots)
        closed = {r["calendar_id"] for r in tracking(client, date_from=date).json()["data"] if r["status"] == "CLOSED"}
        assert not closed & {s["calendar_id"] for s in slots}


def test_docs_tracking_request_contains_the_docs_record(client):
    """Get Schedule Tracking (date_from=2026-06-15&date_to=2026-06-21) — Response 200 OK prints this record."""
    response = tracking(client, date_from="2026-06-15", date_to="2026-06-21")
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    assert DOCS_TRACKING_RECORD in response.json()["data"]


def test_tracking_slot_id_is_calendar_id_date_and_type(client):
    """"The slot_id in schedule tracking results uses the 3-part format calendar_id||YYYY-MM-DD||appointment_type_id." """
    for record in tracking(client, date_from="2026-06-15", date_to="2026-06-21").json()["data"]:
        assert record["slot_id"] == f"{record['calendar_id']}||{record['date']}||{record['appointment_type_id']}"


def test_tracking_covers_every_date_of_the_range_and_no_other(client):
    """"date_from | Start date", "date_to | End date" — records of those dates only."""
    dates = {r["date"] for r in tracking(client, date_from="2026-06-15", date_to="2026-06-21").json()["data"]}
    assert dates == {f"2026-06-{d}" for d in range(15, 22)}


def test_tracking_date_to_defaults_to_date_from(client):
    """"date_to | No | End date — YYYY-MM-DD (defaults to date_from if omitted)" """
    alone = tracking(client, date_from="2026-06-15").json()["data"]
    explicit = tracking(client, date_from="2026-06-15", date_to="2026-06-15").json()["data"]
    assert alone == explicit
    assert {r["date"] for r in alone} == {"2026-06-15"}


# ── PATCH ────────────────────────────────────────────────────────────────────
def test_patch_docs_record_to_closed_is_200_with_the_record(client):
    """"Override the status or max_slots for a specific date's tracking record." — D-patch-response: the updated record."""
    response = patch(client, DOCS_TRACKING_ID, {"status": "CLOSED"})
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "data": {**DOCS_TRACKING_RECORD, "status": "CLOSED"}}


def test_patched_status_shows_in_the_next_tracking_read(client):
    """"status | "OPEN" or "CLOSED" — overrides the window's status for this date only" """
    patch(client, DOCS_TRACKING_ID, {"status": "CLOSED"})
    assert docs_record(client)["status"] == "CLOSED"


def test_patched_status_applies_to_that_date_only(client):
    """"overrides the window's status for this date only" — the next Monday is untouched."""
    patch(client, DOCS_TRACKING_ID, {"status": "CLOSED"})
    assert docs_record(client, "2026-06-22")["status"] == "OPEN"
    assert docs_record(client, "2026-06-08")["status"] == "OPEN"


def test_closing_the_only_record_removes_the_window_from_that_dates_availability(client):
    """D-closed-record-closes-window: "Returns all open calendar windows" — a closed window is not listed."""
    assert CALENDAR_ID in window_ids(availability(client, date="2026-06-15"))
    patch(client, DOCS_TRACKING_ID, {"status": "CLOSED"})
    assert CALENDAR_ID not in window_ids(availability(client, date="2026-06-15"))


def test_closing_a_record_leaves_the_window_on_other_dates(client):
    """"overrides the window's status for this date only" — 2026-06-22 still lists the window."""
    patch(client, DOCS_TRACKING_ID, {"status": "CLOSED"})
    assert CALENDAR_ID in window_ids(availability(client, date="2026-06-22"))


def test_patch_max_slots_overrides_capacity_for_that_date(client):
    """"max_slots | Override the slot capacity for this date only" """
    response = patch(client, DOCS_TRACKING_ID, {"max_slots": 5})
    assert response.json()["data"]["max_slots"] == 5
    assert docs_record(client)["max_slots"] == 5
    assert docs_record(client, "2026-06-22")["max_slots"] == DOCS_TRACKING_RECORD["max_slots"]


def test_patch_max_slots_recomputes_available(client):
    """"Filled and available counts are always computed from live appointment data" """
    record = patch(client, DOCS_TRACKING_ID, {"max_slots": 5}).json()["data"]
    assert record["filled_slots"] == DOCS_TRACKING_RECORD["filled_slots"]
    assert record["available_slots"] == 5 - DOCS_TRACKING_RECORD["filled_slots"]


def test_patch_max_slots_below_filled_leaves_zero_available(client):
    """D-max-slots-bounds: "Setting it below filled_slots is allowed (available becomes 0)." """
    record = patch(client, DOCS_TRACKING_ID, {"max_slots": 1}).json()["data"]
    assert (record["max_slots"], record["available_slots"]) == (1, 0)


def test_patch_status_keeps_an_earlier_max_slots_override(client):
    """"Override the status or max_slots" — the two overrides are independent."""
    patch(client, DOCS_TRACKING_ID, {"max_slots": 5})
    record = patch(client, DOCS_TRACKING_ID, {"status": "CLOSED"}).json()["data"]
    assert (record["max_slots"], record["status"]) == (5, "CLOSED")


@pytest.mark.parametrize("encoded", [
    DOCS_TRACKING_ID,
    DOCS_TRACKING_ID.replace("||", "%7C%7C"),
    DOCS_TRACKING_ID.replace("||", "%7c%7c"),
    DOCS_TRACKING_ID.replace("||", "|%7C", 1),
], ids=["raw", "%7C%7C", "%7c%7c", "mixed"])
def test_every_encoding_of_the_slot_id_reaches_the_same_record(client, encoded):
    """openapi.yaml: "Clients may send the `||` separators raw or percent-encoded (`%7C%7C`)." """
    response = patch(client, encoded, {"status": "CLOSED"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["slot_id"] == DOCS_TRACKING_ID
    assert docs_record(client)["status"] == "CLOSED"


def test_slot_id_is_case_insensitive(client):
    """D-two-part-id-in-patch: "ids are case-insensitive." """
    response = patch(client, DOCS_TRACKING_ID.upper(), {"status": "CLOSED"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["slot_id"] == DOCS_TRACKING_ID


# ── regenerate ───────────────────────────────────────────────────────────────
def test_docs_regenerate_request_returns_the_docs_counters(client):
    """Regenerate (2026-06-15..2026-06-30) — Response 200 OK: processed 16, skipped 0, errors 0, upserted 16."""
    response = regenerate(client, {"date_from": "2026-06-15", "date_to": "2026-06-30"})
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "processed": 16, "skipped": 0, "errors": 0, "upserted": 16}


def test_regenerate_discards_overrides_in_its_range(client):
    """D-regenerate-counters: an upserted date's records are recreated, which discards its PATCH overrides."""
    patch(client, DOCS_TRACKING_ID, {"status": "CLOSED", "max_slots": 5})
    regenerate(client, {"date_from": "2026-06-15", "date_to": "2026-06-30"})
    assert docs_record(client) == DOCS_TRACKING_RECORD
    assert CALENDAR_ID in window_ids(availability(client, date="2026-06-15"))


def test_regenerate_keeps_overrides_outside_its_range(client):
    """D-regenerate-counters: "Overrides outside the range are kept." """
    patch(client, DOCS_TRACKING_ID, {"status": "CLOSED"})
    regenerate(client, {"date_from": "2026-06-16", "date_to": "2026-06-30"})
    assert docs_record(client)["status"] == "CLOSED"


def test_regenerate_date_to_defaults_to_date_from(client):
    """"date_to | No | End of the range — YYYY-MM-DD (defaults to date_from if omitted)" """
    response = regenerate(client, {"date_from": "2026-06-15"})
    assert response.json()["processed"] == 1


def test_regenerate_counters_add_up(client):
    """D-regenerate-counters: processed = dates in the range = upserted + skipped + errors."""
    body = regenerate(client, {"date_from": "2026-01-01", "date_to": "2026-12-31"}).json()
    assert body["processed"] == 365
    assert body["processed"] == body["upserted"] + body["skipped"] + body["errors"]


# ── validation ───────────────────────────────────────────────────────────────
def test_availability_without_date_is_400_naming_it(client):
    """"400 | VALIDATION_ERROR | Missing required parameter (date or date_from)" """
    error = assert_error(client.get(AVAILABILITY, headers=auth_header()), 400, "VALIDATION_ERROR")
    assert error["field"] == "date"


def test_tracking_without_date_from_is_400_naming_it(client):
    """"400 | VALIDATION_ERROR | Missing required parameter (date or date_from)" """
    error = assert_error(tracking(client, date_to="2026-06-21"), 400, "VALIDATION_ERROR")
    assert error["field"] == "date_from"


def test_regenerate_without_date_from_is_400_naming_it(client):
    """"date_from | Yes | Start of the regeneration range" """
    error = assert_error(regenerate(client, {"date_to": "2026-06-30"}), 400, "VALIDATION_ERROR")
    assert error["field"] == "date_from"


BAD_DATES = ["2026-02-30", "2026-6-15", "20260615", "0000-01-01", "2026-13-01", "2026-06-15T00:00:00",
             "15-06-2026", "2026/06/15", "", " 2026-06-15", "2026-06-15 ", "２０２６-06-15", "2026-06-1５"]


@pytest.mark.parametrize("value", BAD_DATES)
def test_availability_with_malformed_date_is_400(client, value):
    """D-date-format: "exactly YYYY-MM-DD and a real date (2026-02-30, 20260615, 0000-01-01 are 400)" """
    error = assert_error(availability(client, date=value), 400, "VALIDATION_ERROR")
    assert error["field"] == "date"


@pytest.mark.parametrize("name", ["date_from", "date_to"])
@pytest.mark.parametrize("value", BAD_DATES)
def test_tracking_with_malformed_date_is_400(client, name, value):
    """D-date-format: "exactly YYYY-MM-DD and a real date" """
    params = {"date_from": "2026-06-15", name: value}
    error = assert_error(tracking(client, **params), 400, "VALIDATION_ERROR")
    assert error["field"] == name


@pytest.mark.parametrize("name", ["date_from", "date_to"])
@pytest.mark.parametrize("value", BAD_DATES + [20260615, None])
def test_regenerate_with_malformed_date_is_400(client, name, value):
    """D-date-format: "exactly YYYY-MM-DD and a real date" """
    body = {"date_from": "2026-06-15", name: value}
    error = assert_error(regenerate(client, body), 400, "VALIDATION_ERROR")
    assert error["field"] == name


def test_far_future_date_is_valid(client):
    """D-date-format: "Dates far in the past or future are valid." (9999-12-31)"""
    assert availability(client, date="9999-12-31").status_code == 200
    assert tracking(client, date_from="9999-12-31").status_code == 200


def test_first_real_date_is_valid(client):
    """D-date-format: "Dates far in the past or future are valid." (0001-01-01)"""
    assert availability(client, date="0001-01-01").status_code == 200


@pytest.mark.parametrize("session", ["morning", "MORNING", "Night", "", "Morning,Evening"])
def test_unknown_session_is_400(client, session):
    """"session | Filter by session: Morning, Afternoon, or Evening" """
    error = assert_error(availability(client, date="2026-06-15", session=session), 400, "VALIDATION_ERROR")
    assert error["field"] == "session"


@pytest.mark.parametrize("path, params, unknown", [
    (AVAILABILITY, {"date": "2026-06-15", "sesion": "Morning"}, "sesion"),
    (AVAILABILITY, {"date": "2026-06-15", "date_from": "2026-06-15"}, "date_from"),
    (TRACKING, {"date_from": "2026-06-15", "date": "2026-06-15"}, "date"),
    (TRACKING, {"date_from": "2026-06-15", "branch": "branch_uuid_here"}, "branch"),
])
def test_unknown_query_parameter_is_400_naming_it(client, path, params, unknown):
    """D-strict-query: an unknown query parameter is 400 naming it (`sesion=Morning` must not be ignored)."""
    error = assert_error(client.get(path, params=params, headers=auth_header()), 400, "VALIDATION_ERROR")
    assert error["field"] == unknown


def test_tracking_date_to_before_date_from_is_400(client):
    """D-date-range-limit: `date_to` before `date_from` is 400."""
    error = assert_error(tracking(client, date_from="2026-06-21", date_to="2026-06-15"), 400, "VALIDATION_ERROR")
    assert error["field"] == "date_to"


def test_regenerate_date_to_before_date_from_is_400(client):
    """D-date-range-limit: `date_to` before `date_from` is 400."""
    assert_error(regenerate(client, {"date_from": "2026-06-21", "date_to": "2026-06-15"}), 400, "VALIDATION_ERROR")


def test_tracking_range_of_366_dates_is_200(client):
    """D-date-range-limit: at most 366 dates per request — 366 is allowed."""
    assert tracking(client, date_from="2028-01-01", date_to="2028-12-31").status_code == 200


def test_tracking_range_over_366_dates_is_400(client):
    """D-date-range-limit: at most 366 dates per request."""
    assert_error(tracking(client, date_from="2026-01-01", date_to="2027-01-02"), 400, "VALIDATION_ERROR")


def test_regenerate_range_over_366_dates_is_400(client):
    """D-date-range-limit: at most 366 dates per request (tracking and regenerate)."""
    assert_error(regenerate(client, {"date_from": "2026-01-01", "date_to": "2027-01-02"}), 400, "VALIDATION_ERROR")


def test_tracking_range_up_to_9999_12_31_is_200(client):
    """D-date-format: far-future dates are valid — the range may end on the last date there is."""
    response = tracking(client, date_from="9999-12-25", date_to="9999-12-31")
    assert response.status_code == 200
    assert {r["date"] for r in response.json()["data"]} <= {f"9999-12-{d}" for d in range(25, 32)}


@pytest.mark.parametrize("field", ["filled_slots", "available_slots"])
def test_patch_setting_a_computed_count_is_400(client, field):
    """"Filled and available counts are always computed from live appointment data and cannot be set directly." """
    error = assert_error(patch(client, DOCS_TRACKING_ID, {field: 0}), 400, "VALIDATION_ERROR")
    assert error["field"] == field
    assert docs_record(client) == DOCS_TRACKING_RECORD


@pytest.mark.parametrize("body", [{}, None, [], "CLOSED"], ids=["{}", "null", "[]", "string"])
def test_patch_without_status_or_max_slots_is_400(client, body):
    """TrackingRecordPatch: "At least one of them" (status, max_slots)."""
    assert_error(patch(client, DOCS_TRACKING_ID, body), 400, "VALIDATION_ERROR")


def test_patch_with_empty_body_is_400(client):
    """TrackingRecordPatch: "At least one of them" — an empty body has neither."""
    response = client.patch(PATCH + DOCS_TRACKING_ID, content=b"",
                            headers={**auth_header(), "Content-Type": "application/json"})
    assert_error(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("value", [-1, 1.5, 10**12, 100001, "5", True, None])
def test_patch_with_invalid_max_slots_is_400(client, value):
    """D-max-slots-bounds: "an integer 0–100000; negative, fractional or larger values are 400" """
    error = assert_error(patch(client, DOCS_TRACKING_ID, {"max_slots": value}), 400, "VALIDATION_ERROR")
    assert error["field"] == "max_slots"
    assert docs_record(client) == DOCS_TRACKING_RECORD


@pytest.mark.parametrize("value", [0, 100000])
def test_patch_max_slots_bounds_are_inclusive(client, value):
    """D-max-slots-bounds: "an integer 0–100000" """
    assert patch(client, DOCS_TRACKING_ID, {"max_slots": value}).json()["data"]["max_slots"] == value


@pytest.mark.parametrize("value", ["closed", "Closed", "DISABLED", "", None, 0])
def test_patch_with_invalid_status_is_400(client, value):
    """"status | "OPEN" or "CLOSED" """
    error = assert_error(patch(client, DOCS_TRACKING_ID, {"status": value}), 400, "VALIDATION_ERROR")
    assert error["field"] == "status"


@pytest.mark.parametrize("slot_id", [
    f"{CALENDAR_ID}||2026-06-16||{GENERAL_CHECKUP}",  # a Tuesday: the window is a Monday one
    f"{CALENDAR_ID}||2026-06-15||3c9e1d2a-7b4f-4e8a-9d61-2a5b8c7e0f13",  # a type the window does not serve
    f"00000000-0000-4000-8000-000000000000||2026-06-15||{GENERAL_CHECKUP}",  # no such window
    f"{CALENDAR_ID}||2026-02-30||{GENERAL_CHECKUP}",  # D-two-part-id-in-patch: a date that does not exist
], ids=["wrong-weekday", "type-not-served", "unknown-window", "impossible-date"])
def test_patch_of_unknown_record_is_404_not_found(client, slot_id):
    """"404 | NOT_FOUND | Schedule tracking record not found (PATCH only)" """
    assert_error(patch(client, slot_id, {"status": "CLOSED"}), 404, "NOT_FOUND")


MALFORMED_IDS = {
    "1-part": CALENDAR_ID,
    "2-part": f"{CALENDAR_ID}||2026-06-15",
    "4-part": f"{DOCS_TRACKING_ID}||{GENERAL_CHECKUP}",
    "100-part": "||".join([CALENDAR_ID] * 100),
    "empty-first": f"||2026-06-15||{GENERAL_CHECKUP}",
    "empty-middle": f"{CALENDAR_ID}||||{GENERAL_CHECKUP}",
    "empty-last": f"{CALENDAR_ID}||2026-06-15||",
    "only-separators": "||||",
    "single-bars": f"{CALENDAR_ID}|2026-06-15|{GENERAL_CHECKUP}",
    "dot-dot-slash": "..%2F..",
    "encoded-slash-inside": DOCS_TRACKING_ID.replace("||", "%2F"),
    "nul": "%00",
    "nul-inside": DOCS_TRACKING_ID + "%00",
    "10KB": "a" * 10_240,
    "10KB-parts": "||".join(["a" * 3400] * 3),
    "not-uuid-parts": "a||2026-06-15||b",
    "bad-date-form": f"{CALENDAR_ID}||20260615||{GENERAL_CHECKUP}",
    "percent-garbage": "%ZZ%7C%7C",
    "unicode": "%E2%80%8B" + DOCS_TRACKING_ID,
    "trailing-newline": DOCS_TRACKING_ID + "%0A",
    "trailing-space": DOCS_TRACKING_ID + "%20",
}


@pytest.mark.parametrize("slot_id", MALFORMED_IDS.values(), ids=MALFORMED_IDS.keys())
def test_patch_with_malformed_slot_id_is_400_or_404_never_5xx(client, slot_id):
    """D-two-part-id-in-patch: "malformed ids must get 400 or 404 everywhere (never 5xx)" """
    response = patch(client, slot_id, {"status": "CLOSED"})
    assert response.status_code in (400, 404), response.text
    assert_error(response, response.status_code)
    assert docs_record(client) == DOCS_TRACKING_RECORD


def test_patch_with_two_part_id_is_400(client):
    """D-two-part-id-in-patch: "a 2-part id … in the tracking PATCH is 400 VALIDATION_ERROR" """
    assert_error(patch(client, f"{CALENDAR_ID}||2026-06-15", {"status": "CLOSED"}), 400, "VALIDATION_ERROR")


# ── filters ──────────────────────────────────────────────────────────────────
BRANCHES = ["branch_uuid_here", "6a0c2f4e-1b3d-4c5e-8f7a-9b0c1d2e3f41", "7b1d3e5f-2c4a-4d6b-9e8f-0a1b2c3d4e52"]
WEEK = {"date_from": "2026-06-15", "date_to": "2026-06-21"}


@pytest.mark.parametrize("branch", BRANCHES)
def test_availability_branch_filter_keeps_only_that_branch(client, branch):
    """"branch_id | No | Filter by branch UUID" """
    everything = availability(client, date="2026-06-15").json()["slots"]
    filtered = availability(client, date="2026-06-15", branch_id=branch).json()["slots"]
    assert filtered == [s for s in everything if s["branch_id"] == branch]


@pytest.mark.parametrize("session", ["Morning", "Afternoon", "Evening"])
def test_availability_session_filter_keeps_only_that_session(client, session):
    """"session | No | Filter by session: Morning, Afternoon, or Evening" """
    everything = availability(client, date="2026-06-15").json()["slots"]
    filtered = availability(client, date="2026-06-15", session=session).json()["slots"]
    assert filtered == [s for s in everything if s["session"] == session]


def test_availability_branch_and_session_filters_combine(client):
    """"branch_id" and "session" filters together: both must match."""
    everything = availability(client, date="2026-06-15").json()["slots"]
    filtered = availability(client, date="2026-06-15", branch_id=BRANCHES[2], session="Evening").json()["slots"]
    expected = [s for s in everything if s["branch_id"] == BRANCHES[2] and s["session"] == "Evening"]
    assert expected and filtered == expected


@pytest.mark.parametrize("branch", BRANCHES)
def test_tracking_branch_filter_keeps_only_that_branch(client, state, branch):
    """"branch_id | No | Filter by branch UUID" """
    everything = tracking(client, **WEEK).json()["data"]
    filtered = tracking(client, **WEEK, branch_id=branch).json()["data"]
    expected = [r for r in everything if state.slots.windows[r["calendar_id"]].branch_id == branch]
    assert expected and filtered == expected


def test_tracking_branch_filters_partition_the_records(client):
    """"branch_id | Filter by branch UUID" — each record belongs to exactly one branch."""
    everything = tracking(client, **WEEK).json()["data"]
    parts = [tracking(client, **WEEK, branch_id=b).json()["data"] for b in BRANCHES]
    assert sorted(r["slot_id"] for part in parts for r in part) == sorted(r["slot_id"] for r in everything)


@pytest.mark.parametrize("type_id", [GENERAL_CHECKUP, "e1a9f3c6-2d84-4b05-b7c1-4f8e6a2d9b30"])
def test_tracking_appointment_type_filter_keeps_only_that_type(client, type_id):
    """"appointment_type_id | No | Filter by service UUID" """
    everything = tracking(client, **WEEK).json()["data"]
    filtered = tracking(client, **WEEK, appointment_type_id=type_id).json()["data"]
    assert filtered and filtered == [r for r in everything if r["appointment_type_id"] == type_id]


@pytest.mark.parametrize("session", ["Morning", "Afternoon", "Evening"])
def test_tracking_session_filter_keeps_only_that_session(client, session):
    """"session | No | Filter by session" """
    everything = tracking(client, **WEEK).json()["data"]
    filtered = tracking(client, **WEEK, session=session).json()["data"]
    assert filtered and filtered == [r for r in everything if r["session"] == session]


def test_tracking_filters_combine(client):
    """branch_id, appointment_type_id and session together: all must match."""
    params = dict(WEEK, branch_id=BRANCHES[0], appointment_type_id=GENERAL_CHECKUP, session="Morning")
    filtered = tracking(client, **params).json()["data"]
    by_branch = {r["slot_id"] for r in tracking(client, **WEEK, branch_id=BRANCHES[0]).json()["data"]}
    expected = [r for r in tracking(client, **WEEK).json()["data"]
                if r["slot_id"] in by_branch and r["appointment_type_id"] == GENERAL_CHECKUP and r["session"] == "Morning"]
    assert DOCS_TRACKING_RECORD in filtered
    assert filtered == expected


@pytest.mark.parametrize("name", ["branch_id", "appointment_type_id"])
def test_tracking_unknown_filter_id_gives_an_empty_list(client, name):
    """D-filter-ids: "an id that matches nothing gives an empty list, not 404." """
    response = tracking(client, **WEEK, **{name: "00000000-0000-4000-8000-000000000000"})
    assert response.status_code == 200
    assert response.json()["data"] == []


def test_availability_unknown_branch_gives_an_empty_list(client):
    """D-filter-ids: "an id that matches nothing gives an empty list, not 404." """
    response = availability(client, date="2026-06-15", branch_id="no-such-branch")
    assert response.status_code == 200
    assert response.json()["slots"] == []


def test_availability_branch_id_need_not_be_a_uuid(client):
    """D-filter-ids: the docs print "branch_id": "branch_uuid_here", so any non-empty string is accepted."""
    slots = availability(client, date="2026-06-15", branch_id="branch_uuid_here").json()["slots"]
    assert CALENDAR_ID in {s["calendar_id"] for s in slots}


def test_empty_branch_id_is_400(client):
    """FilterId: any non-empty string (minLength 1)."""
    assert_error(availability(client, date="2026-06-15", branch_id=""), 400, "VALIDATION_ERROR")
