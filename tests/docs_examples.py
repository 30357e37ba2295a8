"""The records the HuskyVoice docs print, and a $ref resolver for the spec, shared by the tests."""

# Copied from availability-and-schedule-tracking.txt: "Get Availability" and "Get Schedule Tracking"
# Response 200 OK, and "Regenerate Schedule Tracking" Response 200 OK.
DOCS_AVAILABILITY_SLOT = {
    "slot_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890||2026-06-15",
    "calendar_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "branch_id": "branch_uuid_here",
    "day": "monday",
    "session": "Morning",
    "batch": "MA",
    "start_time": "09:00",
    "end_time": "11:00",
    "appointment_type": None,
    "max_slots": 20,
    "ai_slots": 10,
    "filled_slots": 3,
    "available_slots": 7,
    "status": "OPEN",
    "created_at": "2026-05-01T10:00:00.000Z",
    "updated_at": "2026-05-01T10:00:00.000Z",
}
DOCS_TRACKING_RECORD = {
    "slot_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890||2026-06-15||f47ac10b-58cc-4372-a567-0e02b2c3d479",
    "calendar_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "appointment_type_id": "f47ac10b-58cc-4372-a567-0e02b2c3d479",
    "appointment_type_name": "General Checkup",
    "date": "2026-06-15",
    "day_of_week": "monday",
    "session": "Morning",
    "batch": "MA",
    "start_time": "09:00",
    "end_time": "11:00",
    "max_slots": 20,
    "filled_slots": 3,
    "available_slots": 17,
    "status": "OPEN",
}
DOCS_REGENERATE_RESULT = {"success": True, "processed": 16, "skipped": 0, "errors": 0, "upserted": 16}


def resolve(node, spec):
    """Follow local $refs in `spec` until `node` is no longer one."""
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node
