"""An integrator's tests of their own client, against the HuskyVoice mock."""
import time

WINDOW = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"  # the docs' Monday Morning window (bundled fixtures)
GENERAL_CHECKUP = "f47ac10b-58cc-4372-a567-0e02b2c3d479"


def test_a_scheduled_call_completes_once_the_clock_moves_past_its_end(client, huskyvoice):
    call = client.schedule_call("agent_123", "+919876543210", contact_name="Raj Patel")
    assert client.get_call(call["call_id"])["status"] == "scheduled"

    huskyvoice.advance(10 * 60)  # the mock's calls start 2 minutes after creation and last 3

    assert client.get_call(call["call_id"])["status"] == "completed"
    [sent] = huskyvoice.requests_to("createCall")
    assert "Raj Patel" in sent["request_body"]


def test_a_429_is_retried_after_its_retry_after(client, huskyvoice):
    huskyvoice.fault("getAvailability", 429, retry_after=1, times=1)
    started = time.monotonic()

    slots = client.availability("2026-06-15", session="Morning")

    assert time.monotonic() - started >= 1.0
    assert [s["slot_id"] for s in slots] == [f"{WINDOW}||2026-06-15"]
    assert [r["status"] for r in huskyvoice.requests_to("getAvailability")] == [429, 200]


def test_availability_counts_the_appointments_seeded_for_the_day(client, huskyvoice):
    before = client.availability("2026-06-15", session="Morning")[0]
    huskyvoice.seed("appointments", {"calendar_id": WINDOW, "date": "2026-06-15",
                                     "appointment_type_id": GENERAL_CHECKUP, "status": "confirmed", "count": 4})

    after = client.availability("2026-06-15", session="Morning")[0]

    assert after["filled_slots"] == before["filled_slots"] + 4
    assert after["available_slots"] == before["available_slots"] - 4


def test_each_test_has_a_mock_of_its_own(client, huskyvoice):
    """Another test's calls (even one running at the same time under pytest-xdist) are not here."""
    assert huskyvoice.calls() == []
    client.schedule_call("agent_123", "+919876543210")
    assert len(huskyvoice.calls()) == 1
