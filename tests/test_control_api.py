"""The mock control API (mock_server/control.yaml) over HTTP: reset, fixture sets,
export/import, seeding, the clock, call transitions, faults, Prefer, and safety
(no /_mock without control, the control token, the CLI's loopback rule, Swagger UI).

Journal and sessions are in test_control_sessions_journal.py. Every test runs on the
shared in-process mock of conftest (responses validated), whose clock stands at FIXED
until a test moves it through /_mock/clock.
"""
from __future__ import annotations

import shutil
import time
from types import SimpleNamespace
from pathlib import Path

import pytest
import yaml

from conftest import DOCS_CREATE_BODY, FIXED, ROOT, assert_error, auth_header, reset_mock
from mock_server import cli
from mock_server.app import create_app
from mock_server.clock import Clock, isoformat_z
from mock_server.state import Settings, State

DOCS_WINDOW = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
CHECKUP = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
DOCS_TRACKING_ID = f"{DOCS_WINDOW}||2026-06-15||{CHECKUP}"
DOCS_DATE = "2026-06-15"  # a Monday: the docs' availability date
AVAILABILITY = f"/v1/appointment-slots/availability?date={DOCS_DATE}&session=Morning"

NEW_TYPE = "11111111-2222-4333-8444-555555555555"
NEW_BRANCH = "hsr-layout-clinic"
NEW_WINDOW = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
SEED_CALL = {"agent_id": "agent_123", "contact_number": "+919876543210", "contact_name": "Raj Patel"}


def new_type() -> dict:
    return {"appointment_type_id": NEW_TYPE, "name": "Hearing Test"}


def new_branch() -> dict:
    return {"branch_id": NEW_BRANCH, "name": "HSR Layout Clinic", "appointment_type_ids": [NEW_TYPE]}


def new_window(**changes) -> dict:
    return {"calendar_id": NEW_WINDOW, "branch_id": NEW_BRANCH, "day": "monday", "session": "Morning",
            "batch": "MB", "start_time": "10:00", "end_time": "12:00", "appointment_type_id": None,
            "max_slots": 9, "ai_slots": 4, "status": "OPEN", "created_at": "2026-05-01T10:00:00.000Z",
            "updated_at": "2026-05-01T10:00:00.000Z", **changes}


def new_appointments(**changes) -> dict:
    return {"calendar_id": NEW_WINDOW, "date": DOCS_DATE, "appointment_type_id": NEW_TYPE,
            "status": "confirmed", "count": 2, **changes}


def health(client, session: str | None = None) -> dict:
    response = client.get("/_mock/health", headers=session_header(session))
    assert response.status_code == 200, response.text
    return response.json()


def session_header(session: str | None) -> dict[str, str]:
    return {} if session is None else {"X-Mock-Session": session}


def availability(client, query: str = f"date={DOCS_DATE}&session=Morning", session: str | None = None) -> list[dict]:
    response = client.get(f"/v1/appointment-slots/availability?{query}",
                          headers={**auth_header(), **session_header(session)})
    assert response.status_code == 200, response.text
    return response.json()["slots"]


def tracking_record(client, slot_id: str = DOCS_TRACKING_ID, session: str | None = None) -> dict | None:
    window, day, type_id = slot_id.split("||")
    response = client.get(f"/v1/appointment-slots/schedule-tracking?date_from={day}",
                          headers={**auth_header(), **session_header(session)})
    assert response.status_code == 200, response.text
    return next((r for r in response.json()["data"] if r["slot_id"] == slot_id), None)


def seed_call(client, **fields) -> dict:
    response = client.post("/_mock/calls", json={**SEED_CALL, **fields})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def get_call(client, call_id: str):
    return client.get(f"/v1/calls/{call_id}", headers=auth_header())


def create_documented_call(client, session: str | None = None, headers: dict | None = None) -> str:
    response = client.post("/v1/calls", json=DOCS_CREATE_BODY,
                           headers={**auth_header(), **session_header(session), **(headers or {})})
    assert response.status_code == 201, response.text
    return response.json()["data"]["call_id"]


def fixture_copy(tmp_path: Path) -> Path:
    target = tmp_path / "fixtures"
    shutil.copytree(ROOT / "fixtures", target)
    return target


def set_window_field(directory: Path, calendar_id: str, name: str, value) -> None:
    path = directory / "calendar_windows.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    window = next(w for w in document["calendar_windows"] if w["calendar_id"] == calendar_id)
    window[name] = value
    path.write_text(yaml.safe_dump(document), encoding="utf-8")


# ── reset ────────────────────────────────────────────────────────────────────
def test_reset_restores_the_fixtures_dropping_calls_overrides_and_faults(client):
    """controlReset: "Drops every call, idempotency record, rate-limit bucket, override and fault ... reloads the fixtures"."""
    for _ in range(3):  # a reset is cheap enough to run before every test of an integration
        create_documented_call(client)
        seed_call(client, status="completed")
        patched = client.patch(f"/v1/appointment-slots/tracking/{DOCS_TRACKING_ID}", json={"max_slots": 4},
                               headers=auth_header())
        assert patched.status_code == 200, patched.text
        assert client.post("/_mock/faults", json={"operation_id": "getCall", "status": 503}).status_code == 201
        assert health(client)["calls"] == 2
        assert tracking_record(client)["max_slots"] == 4

        response = client.post("/_mock/reset")
        assert response.status_code == 200, response.text
        assert response.json()["calls"] == 0
        assert response.json()["mock"] == "huskyvoice"
        assert client.get("/_mock/calls").json()["data"] == []
        assert client.get("/_mock/faults").json()["data"] == []
        assert tracking_record(client)["max_slots"] == 20
        assert client.get("/_mock/state").json()["overrides"] == []
        assert get_call(client, "550e8400-e29b-41d4-a716-446655440000").status_code == 404


def test_reset_forgets_idempotency_keys_and_rate_limit_buckets(client):
    """controlReset: "Drops every call, idempotency record, rate-limit bucket, override and fault"."""
    first = create_documented_call(client, headers={"Idempotency-Key": "reset-me"})
    throttled = auth_header("sk_test_throttled")
    statuses = [client.get(AVAILABILITY, headers=throttled).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]

    assert client.post("/_mock/reset").status_code == 200

    assert create_documented_call(client, headers={"Idempotency-Key": "reset-me"}) != first
    assert client.get(AVAILABILITY, headers=throttled).status_code == 200


def dirty_everything(client, session: str | None = None) -> None:
    """Change every part a reset covers: clock, calls, idempotency, overrides, seeded records,
    rate-limit buckets, faults and the journal (in `session`, the default state without one)."""
    where = session_header(session)
    assert client.put("/_mock/clock", json={"now": "2027-03-04T05:06:07Z", "frozen": True},
                      headers=where).status_code == 200
    create_documented_call(client, session, headers={"Idempotency-Key": "dirty"})
    assert client.post("/_mock/calls", json=SEED_CALL, headers=where).status_code == 201
    assert client.patch(f"/v1/appointment-slots/tracking/{DOCS_TRACKING_ID}", json={"max_slots": 4},
                        headers={**auth_header(), **where}).status_code == 200
    assert client.post("/_mock/seed/appointment-types", json=new_type(), headers=where).status_code == 201
    client.get(AVAILABILITY, headers={**auth_header("sk_test_throttled"), **where})
    assert client.post("/_mock/faults", json={"operation_id": "getCall", "latency_ms": 1},
                       headers=where).status_code == 201
    assert client.get("/_mock/journal", headers=where).json()["data"]


def fresh_view(client, session: str | None = None) -> dict:
    """What the control API shows of a state: its export (clock, slots, calls), faults and journal."""
    where = session_header(session)
    return {"state": client.get("/_mock/state", headers=where).json(),
            "faults": client.get("/_mock/faults", headers=where).json()["data"],
            "journal": client.get("/_mock/journal", headers=where).json()["data"],
            "health": client.get("/_mock/health", headers=where).json()}


def without_appointment_ids(document: dict) -> dict:
    """An export with the appointments' ids left out: fixture records with a `count` get new ids at each load."""
    return {**document, "appointments": [{k: v for k, v in a.items() if k != "appointment_id"}
                                         for a in document["appointments"]]}


def test_reset_returns_clock_calls_slots_faults_and_journal_to_a_fresh_states(client):
    """controlReset: "Makes this state as fresh as a new one ... the clock runs again from now"."""
    fresh = State(Settings(), clock=Clock(source=lambda: FIXED))
    dirty_everything(client)

    assert client.post("/_mock/reset").status_code == 200

    view = fresh_view(client)
    assert without_appointment_ids(view["state"]) == without_appointment_ids(fresh.export())
    assert view["state"]["clock"] == {"now": isoformat_z(FIXED), "frozen": False}
    assert view["faults"] == [] and view["journal"] == []
    assert create_documented_call(client, headers={"Idempotency-Key": "dirty"})  # a new call, not a replay
    assert client.get(AVAILABILITY, headers=auth_header("sk_test_throttled")).status_code == 200


def test_the_control_reset_and_the_test_suite_reset_leave_equal_states(client, app):
    """One reset: POST /_mock/reset and the tests' reset_mock (conftest) come to the same state."""
    dirty_everything(client)
    assert client.post("/_mock/reset").status_code == 200
    by_control = fresh_view(client)

    dirty_everything(client)
    reset_mock(app)
    by_tests = fresh_view(client)

    assert by_control == by_tests


def test_reset_reads_the_fixture_files_again_when_they_changed(client, tmp_path):
    """controlReset: "reloads the fixtures (read again if their files changed ...)"."""
    directory = fixture_copy(tmp_path)
    assert client.post("/_mock/fixtures/load", json={"directory": str(directory)}).status_code == 200
    assert [s["max_slots"] for s in availability(client)] == [20]
    set_window_field(directory, DOCS_WINDOW, "max_slots", 31)

    assert client.post("/_mock/reset").status_code == 200

    assert [s["max_slots"] for s in availability(client)] == [31]


def test_reset_of_a_fixture_set_broken_on_disk_is_refused_and_nothing_changes(client, tmp_path):
    """controlReset: "a set that no longer loads is refused and nothing changes"."""
    directory = fixture_copy(tmp_path)
    assert client.post("/_mock/fixtures/load", json={"directory": str(directory)}).status_code == 200
    call_id = create_documented_call(client)
    set_window_field(directory, DOCS_WINDOW, "max_slots", "many")

    error = assert_error(client.post("/_mock/reset"), 400, "VALIDATION_ERROR")

    assert "calendar_windows.yaml" in error["message"] and "max_slots" in error["message"], error
    assert get_call(client, call_id).status_code == 200
    assert [s["max_slots"] for s in availability(client)] == [20]


def test_the_test_suite_reset_drops_every_session_and_a_loaded_fixture_set(client, app, tmp_path):
    """Sessions.reset(every_session=True): the whole mock as it started (conftest's reset_mock)."""
    directory = fixture_copy(tmp_path)
    set_window_field(directory, DOCS_WINDOW, "max_slots", 30)
    assert client.post("/_mock/fixtures/load", json={"directory": str(directory)}).status_code == 200
    create_documented_call(client, "alpha")

    reset_mock(app)

    assert client.get("/_mock/sessions").json()["data"] == []
    assert client.get("/_mock/journal").json()["data"] == []
    assert [s["max_slots"] for s in availability(client)] == [20]


# ── load another fixture set ─────────────────────────────────────────────────
def test_loading_another_fixture_set_changes_what_availability_reads(client, tmp_path):
    """controlLoadFixtures: "Switches this state to another fixture directory (on the mock's machine) and resets it"."""
    directory = fixture_copy(tmp_path)
    set_window_field(directory, DOCS_WINDOW, "max_slots", 30)
    create_documented_call(client)
    assert [s["max_slots"] for s in availability(client)] == [20]

    response = client.post("/_mock/fixtures/load", json={"directory": str(directory)})

    assert response.status_code == 200, response.text
    assert response.json()["calls"] == 0  # and reset
    assert [s["max_slots"] for s in availability(client)] == [30]
    # a later reset goes back to the loaded set, not the bundled one
    assert client.post("/_mock/reset").status_code == 200
    assert [s["max_slots"] for s in availability(client)] == [30]


def test_loading_a_fixture_set_resets_the_clock_and_faults_but_keeps_the_journal(client, tmp_path):
    """controlLoadFixtures: "resets it as /reset does, the clock included, but keeps the journal"."""
    assert client.post("/_mock/clock/advance", json={"seconds": 3600}).status_code == 200
    assert client.post("/_mock/faults", json={"operation_id": "getCall", "latency_ms": 1}).status_code == 201
    create_documented_call(client)

    assert client.post("/_mock/fixtures/load", json={"directory": str(fixture_copy(tmp_path))}).status_code == 200

    assert client.get("/_mock/clock").json() == {"now": isoformat_z(FIXED), "frozen": False}
    assert client.get("/_mock/faults").json()["data"] == []
    assert [e["operation_id"] for e in client.get("/_mock/journal").json()["data"]] == ["createCall"]


def test_a_malformed_fixture_set_is_refused_naming_the_file_and_field_and_nothing_changes(client, tmp_path):
    """controlLoadFixtures: "A malformed set is refused and nothing changes"."""
    directory = fixture_copy(tmp_path)
    set_window_field(directory, DOCS_WINDOW, "max_slots", "many")
    call_id = create_documented_call(client)

    response = client.post("/_mock/fixtures/load", json={"directory": str(directory)})

    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "calendar_windows.yaml" in error["message"], error
    assert "max_slots" in error["message"], error
    assert get_call(client, call_id).status_code == 200
    assert [s["max_slots"] for s in availability(client)] == [20]
    assert client.post("/_mock/reset").status_code == 200  # still the bundled set
    assert [s["max_slots"] for s in availability(client)] == [20]


def test_loading_a_missing_fixture_directory_is_refused(client, tmp_path):
    """controlLoadFixtures: "A malformed set is refused and nothing changes"."""
    response = client.post("/_mock/fixtures/load", json={"directory": str(tmp_path / "nowhere")})
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "file not found" in error["message"], error
    assert [s["max_slots"] for s in availability(client)] == [20]


def test_loading_fixtures_in_a_session_leaves_the_default_state_and_other_sessions_alone(client, tmp_path):
    """controlLoadFixtures: "Switches this state to another fixture directory" (only the header's session)."""
    directory = fixture_copy(tmp_path)
    set_window_field(directory, DOCS_WINDOW, "max_slots", 30)
    loaded = client.post("/_mock/fixtures/load", json={"directory": str(directory)}, headers={"X-Mock-Session": "a"})
    assert loaded.status_code == 200, loaded.text
    assert [s["max_slots"] for s in availability(client, session="a")] == [30]
    assert [s["max_slots"] for s in availability(client)] == [20]

    assert client.post("/_mock/reset").status_code == 200

    assert [s["max_slots"] for s in availability(client)] == [20]
    assert [s["max_slots"] for s in availability(client, session="b")] == [20]


# ── export / import ──────────────────────────────────────────────────────────
def test_importing_an_export_restores_the_exported_state(client):
    """controlExportState / controlImportState: "Replaces slots and calls with an export's"."""
    seed_call(client, status="completed")
    seed_call(client, status="failed", error={"code": "BUSY", "message": "Line busy"})
    create_documented_call(client)
    exported = client.get("/_mock/state")
    assert exported.status_code == 200, exported.text
    before = exported.json()
    assert before["format"] == "huskyvoice-mock-state/1"
    assert len(before["calls"]) == 3 and before["overrides"] == []

    create_documented_call(client)
    patched = client.patch(f"/v1/appointment-slots/tracking/{DOCS_TRACKING_ID}", json={"status": "CLOSED"},
                           headers=auth_header())
    assert patched.status_code == 200, patched.text
    seeded = client.post("/_mock/seed/appointments", json=new_appointments(
        calendar_id=DOCS_WINDOW, appointment_type_id=CHECKUP, count=1))
    assert seeded.status_code == 201, seeded.text
    assert client.get("/_mock/state").json() != before

    imported = client.put("/_mock/state", json=before)

    assert imported.status_code == 200, imported.text
    assert imported.json()["calls"] == 3
    assert client.get("/_mock/state").json() == before
    assert tracking_record(client)["status"] == "OPEN"
    assert availability(client)[0]["filled_slots"] == 3


def test_an_export_with_overrides_imports_them(client):
    """controlExportState: "Slots, appointments, overrides and calls (with engagements) as one JSON document"."""
    patched = client.patch(f"/v1/appointment-slots/tracking/{DOCS_TRACKING_ID}", json={"max_slots": 7},
                           headers=auth_header())
    assert patched.status_code == 200, patched.text
    document = client.get("/_mock/state").json()
    assert document["overrides"] == [{"calendar_id": DOCS_WINDOW, "date": DOCS_DATE, "appointment_type_id": CHECKUP,
                                      "status": None, "max_slots": 7}]
    assert client.post("/_mock/reset").status_code == 200
    assert tracking_record(client)["max_slots"] == 20

    assert client.put("/_mock/state", json=document).status_code == 200

    assert tracking_record(client)["max_slots"] == 7
    assert client.get("/_mock/state").json() == document


def test_importing_a_document_of_another_format_is_refused(client):
    """controlImportState: refused (400) unless the document is an export."""
    call_id = create_documented_call(client)
    document = client.get("/_mock/state").json()
    document["format"] = "something-else/2"
    document["calls"] = []

    error = assert_error(client.put("/_mock/state", json=document), 400, "VALIDATION_ERROR")

    assert "format" in error["message"], error
    assert get_call(client, call_id).status_code == 200


def test_importing_a_malformed_record_is_refused_naming_it_and_nothing_changes(client):
    """controlImportState: a bad record is refused with its place named."""
    call_id = create_documented_call(client)
    document = client.get("/_mock/state").json()
    document["calendar_windows"][0]["max_slots"] = -1
    document["calls"] = []

    error = assert_error(client.put("/_mock/state", json=document), 400, "VALIDATION_ERROR")

    assert "state.calendar_windows[0].max_slots" in error["message"], error
    assert get_call(client, call_id).status_code == 200


# ── seed: branches, appointment types, calendar windows, appointments ────────
@pytest.mark.parametrize("kind, id_field", [("branches", "branch_id"), ("appointment-types", "appointment_type_id"),
                                            ("calendar-windows", "calendar_id"), ("appointments", "appointment_id")])
def test_listing_records_of_a_kind_returns_the_fixture_records(client, kind, id_field):
    """controlListRecords: "List records of one kind" (shaped like the kind's fixture file)."""
    response = client.get(f"/_mock/seed/{kind}")
    assert response.status_code == 200, response.text
    records = response.json()["data"]
    assert records and all(id_field in r for r in records)
    expected = {"branches": "branch_uuid_here", "appointment-types": CHECKUP, "calendar-windows": DOCS_WINDOW}
    if kind in expected:
        assert expected[kind] in {r[id_field] for r in records}


def test_seeded_records_of_every_kind_show_in_availability_and_tracking(client):
    """controlSeedRecords: "One record or a list, shaped like the kind's fixture file (appointments may carry `count`)"."""
    for kind, body in (("appointment-types", new_type()), ("branches", new_branch()),
                       ("calendar-windows", new_window()), ("appointments", new_appointments())):
        response = client.post(f"/_mock/seed/{kind}", json=body)
        assert response.status_code == 201, (kind, response.text)
    appointments = client.get("/_mock/seed/appointments").json()["data"]
    assert len([a for a in appointments if a["calendar_id"] == NEW_WINDOW]) == 2
    assert NEW_BRANCH in {b["branch_id"] for b in client.get("/_mock/seed/branches").json()["data"]}
    assert NEW_TYPE in {t["appointment_type_id"] for t in client.get("/_mock/seed/appointment-types").json()["data"]}

    slots = availability(client, f"date={DOCS_DATE}&branch_id={NEW_BRANCH}")
    assert [(s["calendar_id"], s["max_slots"], s["ai_slots"], s["filled_slots"], s["available_slots"])
            for s in slots] == [(NEW_WINDOW, 9, 4, 2, 2)]
    record = tracking_record(client, f"{NEW_WINDOW}||{DOCS_DATE}||{NEW_TYPE}")
    assert record is not None
    assert (record["appointment_type_name"], record["filled_slots"], record["available_slots"]) == ("Hearing Test", 2, 7)


def test_seeding_a_list_of_records_adds_each(client):
    """controlSeedRecords: "One record or a list"."""
    second = {"appointment_type_id": "22222222-3333-4444-8555-666666666666", "name": "Allergy Test"}
    response = client.post("/_mock/seed/appointment-types", json=[new_type(), second])
    assert response.status_code == 201, response.text
    assert [r["name"] for r in response.json()["data"]] == ["Hearing Test", "Allergy Test"]
    listed = {t["appointment_type_id"] for t in client.get("/_mock/seed/appointment-types").json()["data"]}
    assert {NEW_TYPE, second["appointment_type_id"]} <= listed


@pytest.mark.parametrize("kind, body, field", [
    ("appointment-types", {"appointment_type_id": "not-a-uuid", "name": "X"}, "appointment-types[0].appointment_type_id"),
    ("branches", {"branch_id": "b", "name": "B", "appointment_type_ids": ["99999999-9999-4999-8999-999999999999"]},
     "branches[0].appointment_type_ids"),
    ("calendar-windows", new_window(branch_id="branch_uuid_here", max_slots=-1), "calendar-windows[0].max_slots"),
    ("calendar-windows", new_window(branch_id="no-such-branch"), "calendar-windows[0].branch_id"),
    ("calendar-windows", new_window(branch_id="branch_uuid_here", colour="blue"), "calendar-windows[0].colour"),
    ("appointments", new_appointments(calendar_id=DOCS_WINDOW, appointment_type_id=CHECKUP, date="2026-06-16"),
     "appointments[0].date"),
    ("appointments", new_appointments(calendar_id=DOCS_WINDOW, appointment_type_id=CHECKUP, status="booked"),
     "appointments[0].status"),
])
def test_seeding_an_invalid_record_is_refused_naming_the_field(client, kind, body, field):
    """controlSeedRecords: "Checked like fixtures: a bad record is refused with its field named"."""
    before = client.get(f"/_mock/seed/{kind}").json()["data"]
    error = assert_error(client.post(f"/_mock/seed/{kind}", json=body), 400, "VALIDATION_ERROR")
    assert field in error["message"], error
    assert client.get(f"/_mock/seed/{kind}").json()["data"] == before


def test_a_list_with_one_invalid_record_is_refused_as_a_whole(client):
    """controlSeedRecords: "a bad record is refused with its field named" (and the request changes nothing)."""
    bad = {"appointment_type_id": "not-a-uuid", "name": "Broken"}
    error = assert_error(client.post("/_mock/seed/appointment-types", json=[new_type(), bad]), 400)
    assert "appointment-types[1].appointment_type_id" in error["message"], error
    listed = {t["appointment_type_id"] for t in client.get("/_mock/seed/appointment-types").json()["data"]}
    assert NEW_TYPE not in listed


def test_removing_an_appointment_frees_its_slot(client):
    """controlRemoveRecord: "Remove a record" (appointments)."""
    confirmed = [a for a in client.get("/_mock/seed/appointments").json()["data"]
                 if a["calendar_id"] == DOCS_WINDOW and a["date"] == DOCS_DATE and a["status"] == "confirmed"]
    assert len(confirmed) == 3 and availability(client)[0]["filled_slots"] == 3

    response = client.delete(f"/_mock/seed/appointments/{confirmed[0]['appointment_id']}")

    assert response.status_code == 200, response.text
    assert availability(client)[0]["filled_slots"] == 2
    assert tracking_record(client)["filled_slots"] == 2


def test_removing_a_calendar_window_removes_its_appointments_and_overrides(client):
    """controlRemoveRecord: "Removing a calendar window removes its appointments and overrides"."""
    patched = client.patch(f"/v1/appointment-slots/tracking/{DOCS_TRACKING_ID}", json={"max_slots": 5},
                           headers=auth_header())
    assert patched.status_code == 200, patched.text

    response = client.delete(f"/_mock/seed/calendar-windows/{DOCS_WINDOW}")

    assert response.status_code == 200, response.text
    assert DOCS_WINDOW not in {w["calendar_id"] for w in client.get("/_mock/seed/calendar-windows").json()["data"]}
    assert not [a for a in client.get("/_mock/seed/appointments").json()["data"] if a["calendar_id"] == DOCS_WINDOW]
    assert client.get("/_mock/state").json()["overrides"] == []
    assert DOCS_WINDOW not in {s["calendar_id"] for s in availability(client)}
    assert tracking_record(client) is None
    # put back, the window starts clean: no appointment, no override
    window = next(w for w in yaml.safe_load((ROOT / "fixtures" / "calendar_windows.yaml").read_text())
                  ["calendar_windows"] if w["calendar_id"] == DOCS_WINDOW)
    assert client.post("/_mock/seed/calendar-windows", json=window).status_code == 201
    record = tracking_record(client)
    assert (record["max_slots"], record["filled_slots"]) == (20, 0)


def test_removing_a_branch_or_type_still_in_use_is_refused(client):
    """controlRemoveRecord: "a branch or appointment type still in use is refused"."""
    for kind, body in (("appointment-types", new_type()), ("branches", new_branch()), ("calendar-windows", new_window())):
        assert client.post(f"/_mock/seed/{kind}", json=body).status_code == 201

    error = assert_error(client.delete(f"/_mock/seed/branches/{NEW_BRANCH}"), 400, "VALIDATION_ERROR")
    assert NEW_BRANCH in error["message"], error
    assert_error(client.delete(f"/_mock/seed/appointment-types/{NEW_TYPE}"), 400, "VALIDATION_ERROR")
    assert NEW_BRANCH in {b["branch_id"] for b in client.get("/_mock/seed/branches").json()["data"]}

    # once nothing uses them, they go
    assert client.delete(f"/_mock/seed/calendar-windows/{NEW_WINDOW}").status_code == 200
    assert client.delete(f"/_mock/seed/branches/{NEW_BRANCH}").status_code == 200
    assert client.delete(f"/_mock/seed/appointment-types/{NEW_TYPE}").status_code == 200
    assert NEW_BRANCH not in {b["branch_id"] for b in client.get("/_mock/seed/branches").json()["data"]}
    assert NEW_TYPE not in {t["appointment_type_id"] for t in client.get("/_mock/seed/appointment-types").json()["data"]}


def test_an_unknown_record_kind_is_refused(client):
    """controlListRecords / controlSeedRecords / controlRemoveRecord: `kind` is one of the four kinds."""
    assert_error(client.get("/_mock/seed/patients"), 400, "VALIDATION_ERROR")
    assert_error(client.post("/_mock/seed/patients", json={"name": "x"}), 400, "VALIDATION_ERROR")
    assert_error(client.delete("/_mock/seed/patients/x"), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("kind", ["branches", "appointment-types", "calendar-windows", "appointments"])
def test_removing_an_unknown_record_is_not_found(client, kind):
    """controlRemoveRecord: 404 for a record that does not exist."""
    assert_error(client.delete(f"/_mock/seed/{kind}/99999999-9999-4999-8999-999999999999"), 404, "NOT_FOUND")


# ── seed: calls ──────────────────────────────────────────────────────────────
def test_a_seeded_completed_call_has_its_engagement_and_can_be_deleted(client):
    """controlSeedCall: "completed (its engagement is made if not given)"."""
    call = seed_call(client, status="completed")
    assert call["status"] == "completed"
    assert call["engagement"]["transcript"] and call["engagement"]["recording"]["recording_id"]
    fetched = get_call(client, call["call_id"])
    assert fetched.status_code == 200 and fetched.json()["data"]["completed_at"] is not None

    deleted = client.delete(f"/v1/calls/{call['call_id']}", headers=auth_header())

    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["data"] == {"call_id": call["call_id"], "deleted": True}
    assert get_call(client, call["call_id"]).status_code == 404


def test_a_seeded_failed_call_carries_its_error(client):
    """controlSeedCall: "failed (with `error`)"."""
    call = seed_call(client, status="failed", error={"code": "BUSY", "message": "The line was busy"})
    data = get_call(client, call["call_id"]).json()["data"]
    assert data["status"] == "failed"
    assert data["error"] == {"code": "BUSY", "message": "The line was busy"}


def test_a_seeded_failed_call_without_error_gets_the_default_failure(client):
    """controlSeedCall: "failed (with `error`)"; without one the mock's own failure."""
    call = seed_call(client, status="failed")
    error = get_call(client, call["call_id"]).json()["data"]["error"]
    assert error["code"] and error["message"]


def test_a_seeded_cancelled_call_cannot_be_cancelled_again(client):
    """controlSeedCall: "cancelled"."""
    call = seed_call(client, status="cancelled")
    assert get_call(client, call["call_id"]).json()["data"]["cancelled_at"] is not None
    response = client.post(f"/v1/calls/{call['call_id']}/cancel", headers=auth_header())
    assert_error(response, 409, "CALL_NOT_CANCELLABLE")


@pytest.mark.parametrize("status", ["scheduled", "pending"])
def test_a_seeded_scheduled_or_pending_call_can_be_cancelled(client, status):
    """controlSeedCall: "`status` any of pending, scheduled, …"."""
    call = seed_call(client, status=status)
    assert get_call(client, call["call_id"]).json()["data"]["status"] == status
    response = client.post(f"/v1/calls/{call['call_id']}/cancel", headers=auth_header())
    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] == "cancelled"


def test_a_seeded_in_progress_call_cannot_be_deleted_or_cancelled(client):
    """controlSeedCall: "in_progress"."""
    call = seed_call(client, status="in_progress")
    assert get_call(client, call["call_id"]).json()["data"]["status"] == "in_progress"
    assert_error(client.post(f"/v1/calls/{call['call_id']}/cancel", headers=auth_header()), 409, "CALL_NOT_CANCELLABLE")
    assert_error(client.delete(f"/v1/calls/{call['call_id']}", headers=auth_header()), 409, "CALL_NOT_DELETABLE")


def test_a_seeded_call_takes_the_given_id_and_times(client):
    """controlSeedCall: "A call as given … Omitted times are those a new call would have"."""
    call = seed_call(client, call_id="11111111-aaaa-4bbb-8ccc-222222222222", scheduled_at="2026-06-01T10:00:00Z")
    assert call["call_id"] == "11111111-aaaa-4bbb-8ccc-222222222222"
    assert call["created_at"] == "2026-06-01T09:00:00.000Z"  # the mock clock
    data = get_call(client, call["call_id"]).json()["data"]
    assert (data["status"], data["scheduled_at"]) == ("scheduled", "2026-06-01T10:00:00.000Z")
    defaulted = seed_call(client)
    assert (defaulted["status"], defaulted["scheduled_at"]) == ("scheduled", "2026-06-01T09:02:00.000Z")


def test_seeding_a_call_with_an_unknown_status_or_field_is_refused(client):
    """controlSeedCall: `status` any of pending, scheduled, in_progress, completed, failed, cancelled."""
    error = assert_error(client.post("/_mock/calls", json={**SEED_CALL, "status": "ringing"}), 400, "VALIDATION_ERROR")
    assert "status" in error["message"], error
    error = assert_error(client.post("/_mock/calls", json={**SEED_CALL, "colour": "blue"}), 400, "VALIDATION_ERROR")
    assert "colour" in error["message"], error
    assert_error(client.post("/_mock/calls", json={"agent_id": "agent_123"}), 400, "VALIDATION_ERROR")
    assert client.get("/_mock/calls").json()["data"] == []


def test_seeding_a_call_with_malformed_additional_info_is_refused_naming_the_field(client):
    """controlSeedCall: a bad call record is refused (400) with its field named, not a crash."""
    response = client.post("/_mock/calls", json={**SEED_CALL, "additional_info": "vip"})
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "additional_info" in error["message"], error


def test_seeding_a_failed_call_with_a_malformed_error_is_refused(client):
    """controlSeedCall: "failed (with `error`)"; an error that is not {code, message} is refused."""
    response = client.post("/_mock/calls", json={**SEED_CALL, "status": "failed", "error": "boom"})
    if response.status_code == 201:  # accepted: the documented API must still answer within its contract
        fetched = get_call(client, response.json()["data"]["call_id"])
        assert fetched.status_code == 200, fetched.text
    else:
        error = assert_error(response, 400, "VALIDATION_ERROR")
        assert "error" in error["message"], error


def test_listing_calls_shows_each_with_its_engagement(client):
    """controlListCalls: "List calls with their engagements"."""
    completed = seed_call(client, status="completed")
    scheduled_id = create_documented_call(client)

    response = client.get("/_mock/calls")

    assert response.status_code == 200, response.text
    by_id = {c["call_id"]: c for c in response.json()["data"]}
    assert set(by_id) == {completed["call_id"], scheduled_id}
    assert by_id[completed["call_id"]]["engagement"]["transcript"]
    assert by_id[scheduled_id]["engagement"] is None
    assert by_id[scheduled_id]["contact_email"] == DOCS_CREATE_BODY["contact_email"]


def test_removing_a_call_through_the_control_api(client):
    """controlRemoveCall: "Remove a call"."""
    call_id = create_documented_call(client)
    response = client.delete(f"/_mock/calls/{call_id}")
    assert response.status_code == 200, response.text
    assert get_call(client, call_id).status_code == 404
    assert client.get("/_mock/calls").json()["data"] == []
    assert_error(client.delete(f"/_mock/calls/{call_id}"), 404, "NOT_FOUND")


# ── clock ────────────────────────────────────────────────────────────────────
def test_reading_the_clock_gives_the_mock_time(client):
    """controlGetClock: "Read the mock clock"."""
    response = client.get("/_mock/clock")
    assert response.status_code == 200, response.text
    assert response.json() == {"now": "2026-06-01T09:00:00.000Z", "frozen": False}
    assert health(client)["now"] == "2026-06-01T09:00:00.000Z"


def test_setting_the_clock_moves_the_mock_time_and_the_calls(client):
    """controlSetClock: "Set or freeze the mock clock"."""
    call_id = create_documented_call(client)
    response = client.put("/_mock/clock", json={"now": "2026-07-01T12:30:00Z"})
    assert response.status_code == 200, response.text
    assert response.json()["now"] == "2026-07-01T12:30:00.000Z"
    assert client.get("/_mock/clock").json()["now"] == "2026-07-01T12:30:00.000Z"
    assert get_call(client, call_id).json()["data"]["status"] == "completed"
    created = client.post("/v1/calls", json=DOCS_CREATE_BODY, headers=auth_header()).json()["data"]["call_id"]
    assert get_call(client, created).json()["data"]["created_at"] == "2026-07-01T12:30:00.000Z"


def test_setting_the_clock_to_a_non_timestamp_is_refused(client):
    """controlSetClock: `now` is a date-time."""
    assert_error(client.put("/_mock/clock", json={"now": "next tuesday"}), 400, "VALIDATION_ERROR")
    assert client.get("/_mock/clock").json()["now"] == "2026-06-01T09:00:00.000Z"


def test_freezing_the_clock_stops_it(client):
    """controlSetClock: "Set or freeze the mock clock" (a session's clock runs on wall time until frozen)."""
    session = {"X-Mock-Session": "frozen-clock"}
    response = client.put("/_mock/clock", json={"frozen": True}, headers=session)
    assert response.status_code == 200, response.text
    assert response.json()["frozen"] is True
    first = client.get("/_mock/clock", headers=session).json()
    second = client.get("/_mock/clock", headers=session).json()
    assert first == second == response.json()
    advanced = client.post("/_mock/clock/advance", json={"seconds": 90}, headers=session).json()
    assert advanced["frozen"] is True
    assert client.get("/_mock/clock", headers=session).json()["now"] == advanced["now"] != first["now"]
    unfrozen = client.put("/_mock/clock", json={"frozen": False}, headers=session)
    assert unfrozen.json()["frozen"] is False
    assert unfrozen.json()["now"] >= advanced["now"]


def test_advancing_the_clock_moves_a_scheduled_call_through_its_lifecycle(client):
    """controlAdvanceClock: "Moves time forward; every call whose time has come moves through its lifecycle"."""
    call_id = create_documented_call(client)
    other = create_documented_call(client)
    assert get_call(client, call_id).json()["data"]["status"] == "scheduled"

    started = client.post("/_mock/clock/advance", json={"seconds": 120})
    assert started.status_code == 200, started.text
    assert started.json()["now"] == "2026-06-01T09:02:00.000Z"
    assert started.json()["calls_advanced"] == 2
    assert get_call(client, call_id).json()["data"]["status"] == "in_progress"

    nothing = client.post("/_mock/clock/advance", json={"seconds": 60}).json()
    assert nothing["calls_advanced"] == 0

    ended = client.post("/_mock/clock/advance", json={"seconds": 120}).json()
    assert ended["now"] == "2026-06-01T09:05:00.000Z"
    assert ended["calls_advanced"] == 2
    data = get_call(client, call_id).json()["data"]
    assert (data["status"], data["completed_at"]) == ("completed", "2026-06-01T09:05:00.000Z")
    assert client.delete(f"/v1/calls/{other}", headers=auth_header()).status_code == 200


def test_advancing_the_clock_backwards_is_refused(client):
    """controlAdvanceClock: `seconds` is 0 or more."""
    assert_error(client.post("/_mock/clock/advance", json={"seconds": -5}), 400, "VALIDATION_ERROR")
    assert client.get("/_mock/clock").json()["now"] == "2026-06-01T09:00:00.000Z"


def test_idempotency_keys_expire_after_24_hours_of_mock_time(client):
    """controlAdvanceClock: Idempotency-Key records are kept 24 hours of mock time."""
    key = {"Idempotency-Key": "expires-tomorrow"}
    first = create_documented_call(client, headers=key)
    assert create_documented_call(client, headers=key) == first

    client.post("/_mock/clock/advance", json={"seconds": 24 * 3600 - 60})
    assert create_documented_call(client, headers=key) == first

    client.post("/_mock/clock/advance", json={"seconds": 60})
    assert create_documented_call(client, headers=key) != first


def test_rate_limit_buckets_refill_as_the_clock_advances(client):
    """controlAdvanceClock: rate-limit buckets refill on the mock clock (sk_test_throttled: 3, one back every 20 s)."""
    throttled = auth_header("sk_test_throttled")
    statuses = [client.get(AVAILABILITY, headers=throttled).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    refused = client.get(AVAILABILITY, headers=throttled)
    assert_error(refused, 429, "RATE_LIMITED")
    assert refused.headers["Retry-After"] == "20"

    client.post("/_mock/clock/advance", json={"seconds": 19})
    assert client.get(AVAILABILITY, headers=throttled).status_code == 429
    client.post("/_mock/clock/advance", json={"seconds": 1})
    assert client.get(AVAILABILITY, headers=throttled).status_code == 200
    assert client.get(AVAILABILITY, headers=throttled).status_code == 429


# ── call transitions ─────────────────────────────────────────────────────────
def test_forcing_a_call_in_progress(client):
    """controlTransitionCall: "Force a call to a status" (in_progress)."""
    call_id = create_documented_call(client)
    response = client.post(f"/_mock/calls/{call_id}/transition", json={"status": "in_progress"})
    assert response.status_code == 200, response.text
    assert response.json() == {"call_id": call_id, "status": "in_progress", "has_engagement": False}
    assert get_call(client, call_id).json()["data"]["status"] == "in_progress"
    assert_error(client.post(f"/v1/calls/{call_id}/cancel", headers=auth_header()), 409, "CALL_NOT_CANCELLABLE")


def test_forcing_a_call_completed_records_its_engagement(client):
    """controlTransitionCall: "Force a call to a status" (completed)."""
    call_id = create_documented_call(client)
    response = client.post(f"/_mock/calls/{call_id}/transition", json={"status": "completed"})
    assert response.status_code == 200, response.text
    assert response.json() == {"call_id": call_id, "status": "completed", "has_engagement": True}
    data = get_call(client, call_id).json()["data"]
    assert (data["status"], data["completed_at"]) == ("completed", "2026-06-01T09:00:00.000Z")
    assert client.delete(f"/v1/calls/{call_id}", headers=auth_header()).status_code == 200


def test_forcing_a_call_failed_carries_the_given_error(client):
    """controlTransitionCall: "Force a call to a status" (failed, with error)."""
    call_id = create_documented_call(client)
    error = {"code": "VOICEMAIL", "message": "Reached voicemail"}
    response = client.post(f"/_mock/calls/{call_id}/transition", json={"status": "failed", "error": error})
    assert response.status_code == 200, response.text
    assert response.json()["has_engagement"] is False
    data = get_call(client, call_id).json()["data"]
    assert (data["status"], data["error"]) == ("failed", error)
    assert_error(client.delete(f"/v1/calls/{call_id}", headers=auth_header()), 409, "CALL_NOT_DELETABLE")


@pytest.mark.parametrize("ended", ["completed", "failed", "cancelled"])
def test_forcing_an_ended_call_is_a_conflict(client, ended):
    """controlTransitionCall: 409 for a call that has already ended."""
    call = seed_call(client, status=ended)
    response = client.post(f"/_mock/calls/{call['call_id']}/transition", json={"status": "in_progress"})
    assert_error(response, 409, "CALL_ALREADY_ENDED")
    assert get_call(client, call["call_id"]).json()["data"]["status"] == ended


def test_forcing_an_unknown_call_is_not_found(client):
    """controlTransitionCall: 404 for an unknown call."""
    response = client.post("/_mock/calls/550e8400-e29b-41d4-a716-446655440000/transition", json={"status": "completed"})
    assert_error(response, 404, "NOT_FOUND")


def test_forcing_a_call_to_an_undocumented_status_is_refused(client):
    """controlTransitionCall: `status` is one of in_progress, completed, failed."""
    call_id = create_documented_call(client)
    assert_error(client.post(f"/_mock/calls/{call_id}/transition", json={"status": "cancelled"}), 400)
    assert get_call(client, call_id).json()["data"]["status"] == "scheduled"


# ── faults ───────────────────────────────────────────────────────────────────
def test_a_429_fault_on_one_operation_answers_its_documented_error_with_retry_after(client):
    """controlAddFault: "answer `status` with its documented error body (429 and 503 with Retry-After)"."""
    added = client.post("/_mock/faults", json={"operation_id": "getAvailability", "status": 429, "retry_after": 30})
    assert added.status_code == 201, added.text
    assert client.get("/_mock/faults").json()["data"] == [added.json()["data"]]

    response = client.get(AVAILABILITY, headers=auth_header())

    error = assert_error(response, 429, "RATE_LIMITED")
    assert response.headers["Retry-After"] == "30"
    assert "30" in error["message"]
    # other operations answer as usual
    call_id = create_documented_call(client)
    assert get_call(client, call_id).status_code == 200


def test_a_fault_given_times_answers_that_many_times_then_no_more(client):
    """controlAddFault: "`times` times at most (then the fault stays listed with `times: 0` and answers no more)"."""
    added = client.post("/_mock/faults", json={"operation_id": "getAvailability", "status": 429, "times": 2})
    assert added.status_code == 201 and added.json()["data"]["times"] == 2
    statuses = [client.get(AVAILABILITY, headers=auth_header()).status_code for _ in range(4)]
    assert statuses == [429, 429, 200, 200]
    assert client.get("/_mock/faults").json()["data"][0]["times"] == 0
    assert client.post("/_mock/faults", json={"status": 429, "times": 0}).status_code == 400


def test_a_global_fault_with_a_probability_fails_a_seeded_share_of_requests(client):
    """controlAddFault: "for a `probability` of requests, drawn from `seed`" (operation_id `*`)."""
    fault = {"operation_id": "*", "status": 503, "probability": 0.5, "seed": 20260601, "retry_after": 2}

    def run() -> list[int]:
        assert client.post("/_mock/faults", json=fault).status_code == 201
        statuses = []
        for _ in range(20):
            response = client.get(AVAILABILITY, headers=auth_header())
            statuses.append(response.status_code)
            if response.status_code == 503:
                assert_error(response, 503)
                assert response.headers["Retry-After"] == "2"
        assert client.delete("/_mock/faults").status_code == 200
        return statuses

    first = run()
    assert set(first) == {200, 503}
    assert 3 <= first.count(503) <= 17
    assert run() == first
    # and `*` covers every documented operation
    client.post("/_mock/faults", json={"operation_id": "*", "status": 503})
    assert_error(client.post("/v1/calls", json=DOCS_CREATE_BODY, headers=auth_header()), 503)
    assert client.get("/_mock/calls").json()["data"] == []


def test_a_latency_fault_delays_the_answer(client):
    """controlAddFault: "add `latency_ms`" (wall time on purpose: latency is what a client sees)."""
    added = client.post("/_mock/faults", json={"operation_id": "getAvailability", "latency_ms": 50})
    assert added.status_code == 201, added.text
    started = time.perf_counter()
    response = client.get(AVAILABILITY, headers=auth_header())
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    assert elapsed >= 0.05


def test_clearing_faults_restores_normal_answers(client):
    """controlClearFaults: "Clear all faults"."""
    client.post("/_mock/faults", json={"operation_id": "getAvailability", "status": 429})
    client.post("/_mock/faults", json={"operation_id": "*", "status": 500})
    assert client.get(AVAILABILITY, headers=auth_header()).status_code == 429

    response = client.delete("/_mock/faults")

    assert response.status_code == 200, response.text
    assert response.json() == {"cleared": 2}
    assert client.get("/_mock/faults").json()["data"] == []
    assert client.get(AVAILABILITY, headers=auth_header()).status_code == 200


def test_a_fault_with_neither_status_nor_latency_is_refused(client):
    """controlAddFault: a fault adds `latency_ms`, and/or answers `status`."""
    assert_error(client.post("/_mock/faults", json={"operation_id": "getAvailability"}), 400, "VALIDATION_ERROR")
    assert_error(client.post("/_mock/faults", json={"operation_id": "getAvailability", "latency_ms": 0}), 400)
    assert_error(client.post("/_mock/faults", json={"status": 200}), 400)  # not an error status
    assert client.get("/_mock/faults").json()["data"] == []


def test_faults_of_one_session_do_not_affect_another(client):
    """controlAddFault: every operation "acts on the state of the request's X-Mock-Session header"."""
    added = client.post("/_mock/faults", json={"operation_id": "getAvailability", "status": 429},
                        headers={"X-Mock-Session": "faulty"})
    assert added.status_code == 201, added.text
    faulty = client.get(AVAILABILITY, headers={**auth_header(), "X-Mock-Session": "faulty"})
    assert_error(faulty, 429, "RATE_LIMITED")
    assert client.get(AVAILABILITY, headers={**auth_header(), "X-Mock-Session": "healthy"}).status_code == 200
    assert client.get(AVAILABILITY, headers=auth_header()).status_code == 200
    assert client.get("/_mock/faults").json()["data"] == []


def test_faults_still_need_a_valid_key(client):
    """controlAddFault: a fault answers for authenticated requests; a missing key is still 401."""
    client.post("/_mock/faults", json={"operation_id": "*", "status": 503})
    assert_error(client.get(AVAILABILITY), 401, "UNAUTHORIZED")


# ── Prefer (Prism's header) ──────────────────────────────────────────────────
def test_prefer_code_429_answers_the_documented_rate_limit_error(client):
    """FaultMiddleware: "Prism's `Prefer: code=…, example=…`" (code=429)."""
    response = client.get(AVAILABILITY, headers={**auth_header(), "Prefer": "code=429"})
    error = assert_error(response, 429, "RATE_LIMITED")
    assert response.headers["Retry-After"] == "1"
    assert error["message"].startswith("Rate limit exceeded")
    assert client.get(AVAILABILITY, headers=auth_header()).status_code == 200  # only that request


def test_prefer_an_undocumented_code_is_refused_naming_the_documented_ones(client):
    """FaultMiddleware: "the mock only answers documented statuses"."""
    response = client.get(AVAILABILITY, headers={**auth_header(), "Prefer": "code=418"})
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error.get("field") == "Prefer"
    assert "418" in error["message"]
    assert "200, 400, 401, 403, 429" in error["message"], error


def test_prefer_the_docs_example_on_create_call_answers_it_with_a_location(client):
    """FaultMiddleware: "Prism's `Prefer: code=…, example=…`" (example=docs on createCall)."""
    response = client.post("/v1/calls", json=DOCS_CREATE_BODY, headers={**auth_header(), "Prefer": "example=docs"})
    assert response.status_code == 201, response.text
    assert response.json() == {"data": {"call_id": "550e8400-e29b-41d4-a716-446655440000", "status": "scheduled"}}
    assert response.headers["Location"] == "/v1/calls/550e8400-e29b-41d4-a716-446655440000"
    assert client.get("/_mock/calls").json()["data"] == []  # an example, nothing stored


def test_prefer_code_200_on_get_call_answers_the_docs_example_call(client):
    """FaultMiddleware: "Prism's `Prefer: code=…, example=…`" (code=200 on getCall)."""
    response = client.get("/v1/calls/any-id-at-all", headers={**auth_header(), "Prefer": "code=200"})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["call_id"], data["status"], data["contact_name"]) == \
        ("550e8400-e29b-41d4-a716-446655440000", "scheduled", "Raj Patel")
    assert data["scheduled_at"] == "2024-01-27T03:02:00.000Z"


def test_prefer_an_unknown_example_is_refused(client):
    """FaultMiddleware: Prefer example=<name> names one of the response's examples."""
    response = client.get("/v1/calls/any-id", headers={**auth_header(), "Prefer": "code=200, example=nope"})
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "docs" in error["message"], error


def test_prefer_still_requires_a_valid_key(client):
    """FaultMiddleware: Prefer answers only an authenticated request."""
    assert_error(client.get("/v1/calls/any-id", headers={"Prefer": "code=200"}), 401, "UNAUTHORIZED")
    assert_error(client.get("/v1/calls/any-id", headers={**auth_header("sk_nope"), "Prefer": "code=200"}), 401)
    response = client.get("/v1/calls/any-id", headers={**auth_header("sk_test_slots_read"), "Prefer": "code=200"})
    assert_error(response, 403, "INSUFFICIENT_SCOPE")


# ── safety ───────────────────────────────────────────────────────────────────
@pytest.fixture(scope="module")
def pristine_state() -> State:
    from conftest import FIXED as _fixed
    from mock_server.clock import Clock
    return State(Settings(), clock=Clock(source=lambda: _fixed))


def test_without_control_the_mock_serves_no_control_api(pristine_state):
    """create_app(control=False): "`--no-control` turns it off"."""
    client = create_app(pristine_state, validate_responses=True, control=False).test_client()
    for path in ("/_mock/health", "/_mock/clock", "/_mock/state", "/_mock/ui/"):
        assert client.get(path).status_code == 404, path
    assert client.post("/_mock/reset").status_code == 404
    assert client.get(AVAILABILITY, headers=auth_header()).status_code == 200


def test_with_a_control_token_the_control_api_needs_it(pristine_state):
    """controlToken: "Needed only when the mock was started with `--control-token`"; "A HuskyVoice API key never grants access"."""
    client = create_app(pristine_state, validate_responses=True, control_token="s3cret").test_client()
    assert_error(client.get("/_mock/health"), 401, "UNAUTHORIZED")
    assert_error(client.get("/_mock/health", headers={"X-Mock-Control-Token": "wrong"}), 401, "UNAUTHORIZED")
    assert_error(client.get("/_mock/health", headers={"X-Mock-Control-Token": "s3cret0"}), 401)
    assert_error(client.get("/_mock/health", headers=auth_header()), 401, "UNAUTHORIZED")
    assert_error(client.get("/_mock/health", headers={"Authorization": "Bearer s3cret"}), 401)
    assert_error(client.post("/_mock/clock/advance", json={"seconds": 3600}), 401)
    assert_error(client.post("/_mock/faults", json={"status": 503}, headers=auth_header()), 401)

    ok = client.get("/_mock/health", headers={"X-Mock-Control-Token": "s3cret"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["now"] == "2026-06-01T09:00:00.000Z"  # the refused advance did nothing
    # the documented API needs no control token
    assert client.get(AVAILABILITY, headers=auth_header()).status_code == 200
    assert client.get(AVAILABILITY, headers={**auth_header(), "X-Mock-Control-Token": "s3cret"}).status_code == 200


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("::1", True), ("localhost", True),
                                            ("127.0.0.2", True), ("0.0.0.0", False), ("10.1.2.3", False),
                                            ("::", False), ("example.com", False)])
def test_the_cli_treats_only_loopback_hosts_as_loopback(host, loopback):
    """CLI: "On by default only when the mock listens on a loopback address"."""
    assert cli.is_loopback(host) is loopback


@pytest.mark.parametrize("args, control", [
    (["--host", "127.0.0.1"], True), (["--host", "0.0.0.0"], False),
    (["--host", "0.0.0.0", "--control-token", "s3cret"], True), (["--host", "127.0.0.1", "--no-control"], False),
    (["--host", "0.0.0.0", "--control-token", "s3cret", "--no-control"], False),
])
def test_the_cli_serves_the_control_api_only_on_loopback_or_with_a_token(monkeypatch, capsys, args, control):
    """CLI: "otherwise it needs `--control-token` … and `--no-control` turns it off"."""
    import mock_server.app as app_module
    seen = {}
    monkeypatch.setattr(app_module, "create_app", lambda state, **kw: seen.update(kw) or SimpleNamespace(speedups_=True))
    monkeypatch.setattr(cli.Serving, "run", lambda self: None)
    monkeypatch.setattr(cli, "server_for", lambda app, host, port, **kw: None)
    monkeypatch.setattr(cli, "bind", lambda host, number: None)  # 0.0.0.0:4010 need not be free for this
    monkeypatch.setattr(cli, "State", lambda settings: None)  # the fixtures need not load for this
    assert cli.main(args) == 0
    assert seen["control"] is control
    out = capsys.readouterr().out
    assert ("Control API: http://" in out) is control


def test_swagger_ui_is_served_for_both_apis(client):
    """Swagger UI: the documented API at /v1/ui/ and the control API at /_mock/ui/."""
    for path in ("/v1/ui/", "/_mock/ui/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert "swagger" in response.text.lower()


# ── found by fuzzing control.yaml with Schemathesis ─────────────────────────
def test_clock_before_year_1000_is_written_with_four_digit_years(client):
    """'Set or freeze the mock clock': the answer is a valid date-time even for year 817."""
    response = client.put("/_mock/clock", json={"now": "0817-04-21T08:13:12.5Z", "frozen": True})
    assert response.status_code == 200, response.text
    assert response.json()["now"] == "0817-04-21T08:13:12.500Z"


@pytest.mark.parametrize("request_", [
    ("PUT", "/_mock/clock", {"now": "9999-12-31T23:59:59Z"}),
    ("POST", "/_mock/clock/advance", {"seconds": 315360000}),
])
def test_moving_the_clock_past_its_range_is_400_and_the_clock_still_works(client, request_):
    """'Advance the mock clock': a time the clock cannot hold is refused, not a crash that breaks later requests."""
    client.put("/_mock/clock", json={"now": "9990-01-01T00:00:00Z", "frozen": True})
    method, path, body = request_
    response = client.request(method, path, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert client.get("/_mock/clock").json()["now"] == "9990-01-01T00:00:00.000Z"
    assert client.get("/v1/appointment-slots/availability", params={"date": "2026-06-15"},
                      headers=auth_header()).status_code == 200


@pytest.mark.parametrize("method,path,allow", [
    ("TRACE", "/_mock/calls", "GET, POST"), ("PATCH", "/_mock/calls/x", "DELETE"),
    ("DELETE", "/_mock/clock", "GET, PUT")])
def test_undocumented_method_on_a_control_path_is_405_with_its_allow_header(client, method, path, allow):
    """Every error is the JSON envelope: an undocumented method on a control path is 405, not a plain 500."""
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
