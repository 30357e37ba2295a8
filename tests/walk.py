"""Every string an object holds, for tests that prove PII is gone from a store."""
from __future__ import annotations

from datetime import date, datetime, timedelta


def strings_in(obj, seen=None):
    """Every string reachable from `obj`: dict keys and values, sequences, object attributes."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, bytes):
        # Stored JSON (the replayed response) counts as text; a raw digest is not text.
        text = obj.decode("utf-8", "replace")
        if "\ufffd" not in text:
            yield text
    elif isinstance(obj, (int, float, datetime, date, timedelta, type(None))):
        return
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from strings_in(key, seen)
            yield from strings_in(value, seen)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for value in obj:
            yield from strings_in(value, seen)
    elif hasattr(obj, "__dict__") or hasattr(type(obj), "__slots__"):
        # dataclasses with slots=True have no __dict__: walk their slots too
        slots = [name for cls in type(obj).__mro__ for name in getattr(cls, "__slots__", ())]
        attrs = dict(vars(obj)) if hasattr(obj, "__dict__") else {}
        attrs.update({name: getattr(obj, name) for name in slots if hasattr(obj, name)})
        # Walk the values, not the temporary dict: its id() may be a freed one already in `seen`.
        for value in attrs.values():
            yield from strings_in(value, seen)
