"""How a Call is stored (mock_server/store/calls.py): its request fields packed as one
compact JSON blob, scheduled_at/ends_at as shared offsets from created_at — so that
100,000 calls fit in memory (bench/memory.py). Whatever is stored, every field reads
back exactly as it was set: same values, same types, same key order.
"""
from __future__ import annotations

import dataclasses
import json
import math
import sys
from datetime import datetime, timedelta, timezone

import pytest

from mock_server.snapshot import CALL_FIELDS, call_record
from mock_server.store.calls import Call, CallStore, Lifecycle

T0 = datetime(2024, 1, 27, 3, 0, tzinfo=timezone.utc)
IST = timezone(timedelta(hours=5, minutes=30))


def typed(value):
    """`value` with the type of every leaf spelled out, so 1, 1.0 and True differ."""
    if isinstance(value, dict):
        return ("dict", [(k, typed(v)) for k, v in value.items()])  # key order counts
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [typed(v) for v in value])
    if isinstance(value, float):
        return ("float", repr(value))  # tells -0.0 from 0.0, and nan from nan
    return (type(value).__name__, value)


def make(store: CallStore | None = None, **fields) -> Call:
    store = CallStore() if store is None else store  # an empty store is falsy
    now = fields.pop("now", T0)
    args = {"agent_id": "agent_123", "contact_number": "+919876543210", "contact_name": "Raj Patel",
            "contact_email": "raj@company.com", "additional_info": {"company": "Acme Corp"}, **fields}
    return store.create(now=now, **args)


INFOS = [
    {},
    {"company": "Acme Corp", "deal_stage": "negotiation"},
    {"name": "राज पटेल", "emoji": "😀🎉", "accents": "Zoë Ñandú", "cjk": "株式会社"},
    {"lone": "\ud800", "low": "x\udfffy", "pair_as_two": "\ud83d\ude00", "key\udc00": 1},
    {"quote": 'a"b\\c', "controls": "\n\t\r\x00\x1f\u2028", "slash": "</script>"},
    {"int": 1, "neg": -7, "big": 12345678901234567890123, "zero": 0},
    {"float": 0.1, "neg_zero": -0.0, "huge": 1e300, "tiny": 5e-324, "whole": 3.0},
    {"inf": math.inf, "ninf": -math.inf, "nan": math.nan},
    {"true": True, "false": False, "null": None},
    {"nested": {"a": [1, {"b": None, "c": [True, "x", 2.5]}], "empty": {}, "list": []}},
    {f"k{i}": "x" * 500 for i in range(50)},
    {"z": 1, "a": 2, "m": 3},  # not sorted: order is kept
]


@pytest.mark.parametrize("info", INFOS, ids=range(len(INFOS)))
def test_additional_info_reads_back_exactly(info):
    call = make(additional_info=info)
    assert typed(call.additional_info) == typed(info)
    assert typed(call.request()[4]) == typed(info)
    assert type(call._request) is bytes  # JSON values are packed


@pytest.mark.parametrize("name, email", [("राज पटेल 😀", None), (None, "raj@company.com"),
                                         ("\ud800x", "\udfff"), ("", ""), ('R"a\\j', "a\nb")])
def test_contact_fields_read_back_exactly(name, email):
    call = make(contact_name=name, contact_email=email, agent_id="agent_ü", contact_number="+15555550100")
    assert (call.agent_id, call.contact_number, call.contact_name, call.contact_email) == (
        "agent_ü", "+15555550100", name, email)
    assert call.request()[:4] == ("agent_ü", "+15555550100", name, email)


def test_values_json_would_change_are_kept_as_given():
    """Tuples, non-string keys, dates, int subclasses, sets, deep nesting, huge ints: a JSON round trip
    would change them or fail, so they are kept as given."""
    class Flag(int):
        pass

    for info in ({1: "one"}, {"t": (1, 2)}, {"d": datetime(2024, 1, 1)}, {"f": Flag(1)}, {"s": {1, 2}},
                 {"deep": json.loads("[" * 40 + "]" * 40)}, {"huge": 10**5000}):  # beyond int↔str digits
        call = make(additional_info=info)
        assert call.additional_info == info
        assert typed(call.additional_info) == typed(info)
        assert type(call._request) is tuple


def test_a_store_copies_additional_info_so_the_callers_dict_is_not_shared():
    info = {"company": "Acme Corp"}
    call = make(additional_info=info)
    info["company"] = "changed"
    assert call.additional_info == {"company": "Acme Corp"}
    assert make(additional_info=None).additional_info == {}


def test_setting_one_request_field_leaves_the_others():
    call = make(additional_info={"company": "Acme Corp"})
    call.contact_name = "Someone Else"
    call.additional_info = {"b": 2, "a": 1}
    call.contact_email = None
    assert call.request() == ("agent_123", "+919876543210", "Someone Else", None, {"b": 2, "a": 1})
    assert list(call.additional_info) == ["b", "a"]


def test_call_is_still_the_same_dataclass_to_its_users():
    """snapshot.py exports with dataclasses.asdict: field names, their order and values are unchanged."""
    assert tuple(f.name for f in dataclasses.fields(Call)) == CALL_FIELDS
    call = make(additional_info={"z": 1, "a": [1, 2]})
    plain = dataclasses.asdict(call)
    assert list(plain) == list(CALL_FIELDS)
    assert plain["additional_info"] == {"z": 1, "a": [1, 2]} and plain["contact_name"] == "Raj Patel"
    assert plain["scheduled_at"] == T0 + timedelta(minutes=2) and plain["ends_at"] == T0 + timedelta(minutes=5)
    twin = Call(**{name: getattr(call, name) for name in CALL_FIELDS})
    assert twin == call and repr(twin) == repr(call)
    assert dataclasses.replace(call, contact_name="X").contact_name == "X"
    assert call_record(call)["additional_info"] == {"z": 1, "a": [1, 2]}
    assert not hasattr(call, "__dict__")


# ── scheduled_at and ends_at ────────────────────────────────────────────────
def test_lifecycle_times_read_back_exactly_and_share_their_offsets():
    life = Lifecycle(start_delay=timedelta(seconds=10), duration=timedelta(hours=1, microseconds=7))
    store = CallStore(life)
    first, second = make(store, now=T0), make(store, now=T0 + timedelta(microseconds=333))
    for call, now in ((first, T0), (second, T0 + timedelta(microseconds=333))):
        assert call.created_at == call.updated_at == now
        assert call.scheduled_at == now + life.start_delay
        assert call.ends_at == now + life.start_delay + life.duration
        assert call.scheduled_at.tzinfo is now.tzinfo
    assert first._scheduled_at is second._scheduled_at and first._ends_at is second._ends_at


@pytest.mark.parametrize("scheduled, ends", [
    (datetime(2026, 6, 1, 10, 0, tzinfo=IST), datetime(2026, 6, 1, 5, 0, 0, 123456, tzinfo=timezone.utc)),
    (datetime(2026, 6, 1, 10, 0), datetime(2026, 6, 1, 11, 0)),  # naive
    (datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc, fold=1), T0 - timedelta(days=400)),  # before created_at
])
def test_times_that_are_no_offset_of_created_at_read_back_as_given(scheduled, ends):
    call = Call(call_id="c", status="scheduled", agent_id="a", contact_number="+1", contact_name=None,
                contact_email=None, additional_info={}, created_at=T0, updated_at=T0,
                scheduled_at=scheduled, ends_at=ends, outcome="completed")
    for got, want in ((call.scheduled_at, scheduled), (call.ends_at, ends)):
        assert got == want and got.tzinfo is want.tzinfo and got.fold == want.fold


def test_moving_created_at_does_not_move_scheduled_at_or_ends_at():
    call = make()
    scheduled, ends = call.scheduled_at, call.ends_at
    call.created_at = T0 - timedelta(days=3)
    assert (call.created_at, call.scheduled_at, call.ends_at) == (T0 - timedelta(days=3), scheduled, ends)


def test_force_in_progress_after_ends_at_moves_ends_at_to_now():
    """A seeded call may end before it starts; forcing it in_progress then sets ends_at (an absolute time)."""
    store = CallStore()
    call = store.add(Call(call_id="c", status="scheduled", agent_id="a", contact_number="+1", contact_name=None,
                          contact_email=None, additional_info={}, created_at=T0, updated_at=T0,
                          scheduled_at=T0 + timedelta(hours=1), ends_at=T0 + timedelta(minutes=10),
                          outcome="completed"))
    now = T0 + timedelta(minutes=30)
    got = store.force(call.call_id, "in_progress", now)
    assert got.ends_at == now and got.started_at == now and got.scheduled_at == T0 + timedelta(hours=1)
    done = store.get("c", now)  # a changed copy: stored calls are never changed in place
    assert done.status == "completed" and done.completed_at == now


def test_a_created_call_is_small():
    """bench/memory.py: 100,000 created calls (with their idempotency records) under 200 MB."""
    call = make(additional_info={"company": "Acme Corp", "deal_stage": "negotiation"})
    held = [call, call.call_id, call._request, call.created_at]
    assert sum(sys.getsizeof(o) for o in held) < 450
    assert call.updated_at is call.created_at
