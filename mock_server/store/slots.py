"""Branches, appointment types, calendar windows, appointments, and the per-date
tracking records computed from them.

A tracking record exists for every (window, date on the window's weekday,
appointment type the window serves). Its `max_slots` and `status` are the
window's unless overridden for that date; `filled_slots` counts that type's
confirmed appointments in that window on that date. Appointments are indexed by
(window, date), so a read costs in proportion to the windows it touches, never
to all appointments stored.
"""
from __future__ import annotations

import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Iterable, Iterator

from ..errors import NotFound, ValidationFailed

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SESSIONS = ("Morning", "Afternoon", "Evening")
MAX_RANGE_DAYS = 366  # dates in one tracking or regenerate request (decision D-date-range-limit)
SEP = "||"


@dataclass(slots=True)
class Branch:
    branch_id: str
    name: str
    appointment_type_ids: list[str]


@dataclass(slots=True)
class AppointmentType:
    appointment_type_id: str
    name: str


@dataclass(slots=True)
class CalendarWindow:
    calendar_id: str
    branch_id: str
    day: str
    session: str
    batch: str
    start_time: str
    end_time: str
    appointment_type_id: str | None  # None: serves every type of its branch
    max_slots: int
    ai_slots: int
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class Appointment:
    appointment_id: str
    calendar_id: str
    date: date
    appointment_type_id: str
    status: str  # only "confirmed" ones fill a slot


@dataclass(slots=True)
class Override:
    status: str | None = None
    max_slots: int | None = None


# Computed views, built afresh on every read (nothing to protect by freezing them), and
# built by the thousand per schedule-tracking request: a frozen dataclass's __init__
# costs four times as much.
@dataclass(slots=True)
class TrackingRecord:
    window: CalendarWindow
    day: date
    appointment_type: AppointmentType
    max_slots: int
    filled_slots: int
    status: str

    @property
    def slot_id(self) -> str:
        return SEP.join((self.window.calendar_id, self.day.isoformat(), self.appointment_type.appointment_type_id))

    @property
    def available_slots(self) -> int:
        return max(0, self.max_slots - self.filled_slots)


@dataclass(slots=True)
class AvailabilitySlot:
    window: CalendarWindow
    day: date
    max_slots: int
    ai_slots: int
    filled_slots: int

    @property
    def slot_id(self) -> str:
        return SEP.join((self.window.calendar_id, self.day.isoformat()))

    @property
    def available_slots(self) -> int:
        return max(0, self.ai_slots - self.filled_slots)


@dataclass(frozen=True, slots=True)
class RegenerateResult:
    processed: int
    skipped: int
    errors: int
    upserted: int


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(value: str, name: str) -> date:
    try:
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            raise ValueError  # date.fromisoformat alone also takes 2026-W25-1 and 20260615
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{name} must be a real date in the form YYYY-MM-DD", field=name) from None


def date_range(date_from: str, date_to: str | None, from_name: str = "date_from",
               to_name: str = "date_to") -> list[date]:
    start = parse_date(date_from, from_name)
    end = parse_date(date_to, to_name) if date_to is not None else start
    if end < start:
        raise ValidationFailed(f"{to_name} must not be before {from_name}", field=to_name)
    days = (end - start).days + 1
    if days > MAX_RANGE_DAYS:
        raise ValidationFailed(f"The range may cover at most {MAX_RANGE_DAYS} dates; it covers {days}",
                               field=to_name)
    # Counted, not stepped past `end`: 9999-12-31 + 1 day does not exist.
    return [start + timedelta(days=i) for i in range(days)]


class SlotStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.branches: dict[str, Branch] = {}
        self.appointment_types: dict[str, AppointmentType] = {}
        self.windows: dict[str, CalendarWindow] = {}
        self._windows_by_day: dict[str, list[CalendarWindow]] = defaultdict(list)
        self._tracking_order: dict[str, list[CalendarWindow]] = {}  # per weekday; dropped when windows change
        self.appointments: dict[str, Appointment] = {}
        self._filled: dict[tuple[str, date], Counter] = defaultdict(Counter)  # confirmed, by type
        self._overrides: dict[tuple[str, date, str], Override] = {}
        self._overrides_by_date: dict[date, set[tuple[str, date, str]]] = defaultdict(set)

    def copy(self) -> SlotStore:
        """An independent copy: every record and index is copied, so changing either store (a
        write, an override, a record edited in place) never changes the other."""
        with self._lock:
            new = SlotStore()
            new.appointment_types = {i: replace(t) for i, t in self.appointment_types.items()}
            new.branches = {i: replace(b, appointment_type_ids=list(b.appointment_type_ids))
                            for i, b in self.branches.items()}
            new.windows = {i: replace(w) for i, w in self.windows.items()}
            for day, windows in self._windows_by_day.items():  # in the same order
                new._windows_by_day[day] = [new.windows[w.calendar_id] for w in windows]
            new.appointments = {i: replace(a) for i, a in self.appointments.items()}
            for key, counts in self._filled.items():
                new._filled[key] = Counter(counts)
            new._overrides = {key: replace(o) for key, o in self._overrides.items()}
            for day, keys in self._overrides_by_date.items():
                new._overrides_by_date[day] = set(keys)
            return new

    # ── loading ───────────────────────────────────────────────────────────
    def add_branch(self, branch: Branch) -> None:
        with self._lock:
            self.branches[branch.branch_id] = branch

    def add_appointment_type(self, kind: AppointmentType) -> None:
        with self._lock:
            self.appointment_types[kind.appointment_type_id] = kind

    def add_window(self, window: CalendarWindow) -> None:
        with self._lock:
            old = self.windows.get(window.calendar_id)
            if old is not None:
                self._windows_by_day[old.day].remove(old)
                self._tracking_order.pop(old.day, None)
            self.windows[window.calendar_id] = window
            self._windows_by_day[window.day].append(window)
            self._tracking_order.pop(window.day, None)

    def add_appointment(self, appt: Appointment) -> None:
        with self._lock:
            self.remove_appointment(appt.appointment_id)
            self.appointments[appt.appointment_id] = appt
            if appt.status == "confirmed":
                self._filled[(appt.calendar_id, appt.date)][appt.appointment_type_id] += 1

    def remove_appointment(self, appointment_id: str) -> None:
        with self._lock:
            old = self.appointments.pop(appointment_id, None)
            if old is not None and old.status == "confirmed":
                counts = self._filled[(old.calendar_id, old.date)]
                counts[old.appointment_type_id] -= 1
                if counts[old.appointment_type_id] <= 0:
                    del counts[old.appointment_type_id]

    def remove_window(self, calendar_id: str) -> bool:
        """A window and everything that hangs from it: its appointments and overrides."""
        with self._lock:
            window = self.windows.pop(calendar_id, None)
            if window is None:
                return False
            self._windows_by_day[window.day].remove(window)
            self._tracking_order.pop(window.day, None)
            for appt_id in [a.appointment_id for a in self.appointments.values() if a.calendar_id == calendar_id]:
                self.remove_appointment(appt_id)
            for key in [k for k in self._overrides if k[0] == calendar_id]:
                del self._overrides[key]
                self._overrides_by_date[key[1]].discard(key)
            return True

    def remove_branch(self, branch_id: str) -> bool:
        with self._lock:
            if any(w.branch_id == branch_id for w in self.windows.values()):
                raise ValidationFailed(f"Branch {branch_id} still has calendar windows; remove them first")
            return self.branches.pop(branch_id, None) is not None

    def remove_appointment_type(self, type_id: str) -> bool:
        with self._lock:
            if any(type_id in b.appointment_type_ids for b in self.branches.values()) or \
                    any(w.appointment_type_id == type_id for w in self.windows.values()):
                raise ValidationFailed(f"Appointment type {type_id} is still offered; remove its branches' use first")
            return self.appointment_types.pop(type_id, None) is not None

    def overrides(self) -> list[tuple[tuple[str, date, str], Override]]:
        with self._lock:
            return list(self._overrides.items())

    def set_override(self, calendar_id: str, day: date, type_id: str, override: Override) -> None:
        with self._lock:
            key = (calendar_id, day, type_id)
            self._overrides[key] = override
            self._overrides_by_date[day].add(key)

    # ── what a window serves ──────────────────────────────────────────────
    def types_served(self, window: CalendarWindow) -> list[AppointmentType]:
        if window.appointment_type_id is not None:
            ids: Iterable[str] = [window.appointment_type_id]
        else:
            branch = self.branches.get(window.branch_id)
            ids = branch.appointment_type_ids if branch else []
        return [self.appointment_types[i] for i in ids if i in self.appointment_types]

    def _records(self, window: CalendarWindow, day: date) -> list[TrackingRecord]:
        filled = self._filled.get((window.calendar_id, day), {})
        records = []
        for kind in self.types_served(window):
            override = self._overrides.get((window.calendar_id, day, kind.appointment_type_id))
            records.append(TrackingRecord(
                window=window, day=day, appointment_type=kind,
                max_slots=override.max_slots if override and override.max_slots is not None else window.max_slots,
                filled_slots=filled.get(kind.appointment_type_id, 0),
                status=override.status if override and override.status is not None else window.status,
            ))
        return records

    @staticmethod
    def _matches(window: CalendarWindow, branch_id: str | None, session: str | None) -> bool:
        return (branch_id is None or window.branch_id == branch_id) and (session is None or window.session == session)

    # ── the documented reads ──────────────────────────────────────────────
    def availability(self, day: date, branch_id: str | None = None,
                     session: str | None = None) -> list[AvailabilitySlot]:
        """The windows open on `day`: a window is open on a date while any of its
        tracking records for that date is OPEN (decision D-closed-record-closes-window)."""
        slots = []
        with self._lock:
            for window in self._windows_by_day.get(WEEKDAYS[day.weekday()], ()):
                if not self._matches(window, branch_id, session):
                    continue
                records = self._records(window, day)
                open_records = [r for r in records if r.status == "OPEN"]
                if not open_records:
                    continue
                max_slots = max(r.max_slots for r in open_records)
                slots.append(AvailabilitySlot(
                    window=window, day=day, max_slots=max_slots,
                    ai_slots=min(window.ai_slots, max_slots),
                    filled_slots=sum(r.filled_slots for r in records),
                ))
        slots.sort(key=lambda s: (s.window.start_time, s.window.branch_id, s.window.calendar_id))
        return slots

    def tracking(self, days: list[date], branch_id: str | None = None,
                 appointment_type_id: str | None = None, session: str | None = None) -> Iterator[TrackingRecord]:
        with self._lock:
            out = []
            for day in days:
                for window in self._in_tracking_order(WEEKDAYS[day.weekday()]):
                    if not self._matches(window, branch_id, session):
                        continue
                    for record in self._records(window, day):
                        if appointment_type_id is None or record.appointment_type.appointment_type_id == appointment_type_id:
                            out.append(record)
            return iter(out)

    def _in_tracking_order(self, weekday: str) -> list[CalendarWindow]:
        windows = self._tracking_order.get(weekday)
        if windows is None:
            windows = self._tracking_order[weekday] = sorted(
                self._windows_by_day.get(weekday, ()), key=lambda w: (w.start_time, w.branch_id, w.calendar_id))
        return windows

    # ── the documented writes ─────────────────────────────────────────────
    def record(self, slot_id: str) -> TrackingRecord:
        calendar_id, day, type_id = self._parse_tracking_id(slot_id)
        with self._lock:
            window = self.windows.get(calendar_id)
            if window is None or WEEKDAYS[day.weekday()] != window.day:
                raise NotFound("Schedule tracking record not found", field="slot_id")
            for record in self._records(window, day):
                if record.appointment_type.appointment_type_id == type_id:
                    return record
            raise NotFound("Schedule tracking record not found", field="slot_id")

    def override(self, slot_id: str, status: str | None = None, max_slots: int | None = None) -> TrackingRecord:
        if status is None and max_slots is None:
            raise ValidationFailed("Send status, max_slots or both")
        with self._lock:
            record = self.record(slot_id)
            key = (record.window.calendar_id, record.day, record.appointment_type.appointment_type_id)
            current = self._overrides.get(key) or Override()
            self._overrides[key] = Override(
                status=status if status is not None else current.status,
                max_slots=max_slots if max_slots is not None else current.max_slots,
            )
            self._overrides_by_date[record.day].add(key)
            return self.record(slot_id)

    def regenerate(self, days: list[date]) -> RegenerateResult:
        """Recreate the range's records from the current window definitions
        (decision D-regenerate-counters): a date with no window on its weekday is
        skipped; a date with a window that cannot be projected (its branch or
        appointment type is gone) is an error and left as it was; every other
        date is upserted, which drops that date's overrides."""
        skipped = errors = upserted = 0
        with self._lock:
            # Whether a weekday's windows can be projected does not depend on the date.
            outcome = {}
            for weekday in WEEKDAYS:
                windows = self._windows_by_day.get(weekday, ())
                outcome[weekday] = ("skip" if not windows else
                                    "error" if any(not self._projectable(w) for w in windows) else "upsert")
            for day in days:
                verdict = outcome[WEEKDAYS[day.weekday()]]
                if verdict == "skip":
                    skipped += 1
                elif verdict == "error":
                    errors += 1
                else:
                    for key in self._overrides_by_date.pop(day, ()):
                        self._overrides.pop(key, None)
                    upserted += 1
        return RegenerateResult(processed=len(days), skipped=skipped, errors=errors, upserted=upserted)

    def _projectable(self, window: CalendarWindow) -> bool:
        if window.branch_id not in self.branches:
            return False
        if window.appointment_type_id is not None:
            return window.appointment_type_id in self.appointment_types
        return True

    @staticmethod
    def _parse_tracking_id(slot_id: str) -> tuple[str, date, str]:
        parts = slot_id.split(SEP)
        if len(parts) != 3 or not all(parts):
            raise ValidationFailed("slot_id must be calendar_id||YYYY-MM-DD||appointment_type_id", field="slot_id")
        if not ISO_DATE.fullmatch(parts[1]):
            raise ValidationFailed("slot_id must be calendar_id||YYYY-MM-DD||appointment_type_id", field="slot_id")
        try:
            day = parse_date(parts[1], "slot_id")
        except ValidationFailed:
            # Well-formed but naming a date that does not exist: no record has it.
            raise NotFound("Schedule tracking record not found: its date does not exist", field="slot_id") from None
        return parts[0].lower(), day, parts[2].lower()

    def consistency_errors(self) -> list[str]:
        """What would make the projections lie: used by tests after concurrent load."""
        problems = []
        with self._lock:
            recount: dict[tuple[str, date], Counter] = defaultdict(Counter)
            for appt in self.appointments.values():
                if appt.status == "confirmed":
                    recount[(appt.calendar_id, appt.date)][appt.appointment_type_id] += 1
            for key, counts in self._filled.items():
                if +counts != +recount.get(key, Counter()):
                    problems.append(f"filled index for {key} is {dict(counts)}, appointments say {dict(recount[key])}")
            for key in recount:
                if key not in self._filled:
                    problems.append(f"filled index misses {key}")
            for day, keys in self._overrides_by_date.items():
                for key in keys:
                    if key not in self._overrides:
                        problems.append(f"override index names a missing override {key}")
        return problems
