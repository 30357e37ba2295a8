"""The mock's one clock (mock_server/clock.py): freeze, advance, set, unfreeze.

Every test drives the clock from a fake wall-clock source it controls, so no
test depends on real time or sleeps.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mock_server.clock import Clock, isoformat_z

T0 = datetime(2024, 1, 27, 3, 0, tzinfo=timezone.utc)


class FakeWall:
    """A wall-clock source the test moves by hand."""

    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def tick(self, **kwargs) -> None:
        self.at += timedelta(**kwargs)


@pytest.fixture
def wall() -> FakeWall:
    return FakeWall()


@pytest.fixture
def clock(wall: FakeWall) -> Clock:
    return Clock(source=wall)


def test_running_clock_follows_its_source(clock, wall):
    """Design (clock.py): an unfrozen clock is wall-clock time shifted by an offset, initially none."""
    assert not clock.frozen
    assert clock.now() == T0
    wall.tick(seconds=7)
    assert clock.now() == T0 + timedelta(seconds=7)


def test_advancing_a_running_clock_shifts_it_and_time_keeps_flowing(clock, wall):
    """Design (clock.py): "Advancing a running clock shifts the offset, so time keeps flowing from the new instant"."""
    assert clock.advance(timedelta(hours=1)) == T0 + timedelta(hours=1)
    wall.tick(seconds=30)
    assert clock.now() == T0 + timedelta(hours=1, seconds=30)


def test_frozen_clock_does_not_move_with_the_wall(clock, wall):
    """Design (clock.py): a frozen clock stays "frozen at one instant" however much wall time passes."""
    wall.tick(seconds=5)
    at = clock.freeze()
    assert at == T0 + timedelta(seconds=5)
    assert clock.frozen
    wall.tick(days=3)
    assert clock.now() == at


def test_freeze_at_an_instant_and_naive_instants_are_utc(clock):
    """Design (clock.py): freeze(at) pins the clock to `at`; a naive datetime is read as UTC."""
    naive = datetime(2026, 6, 15, 9, 0)
    at = clock.freeze(naive)
    assert at == datetime(2026, 6, 15, 9, 0, tzinfo=timezone.utc)
    assert clock.now().tzinfo is not None
    assert clock.now() == at


def test_advancing_a_frozen_clock_moves_the_frozen_instant(clock, wall):
    """Design (clock.py): "advancing a frozen clock moves the frozen instant" and it stays frozen."""
    clock.freeze()
    clock.advance(timedelta(minutes=2))
    wall.tick(hours=1)
    assert clock.frozen
    assert clock.now() == T0 + timedelta(minutes=2)


def test_set_on_a_running_clock_jumps_and_keeps_flowing(clock, wall):
    """Design (clock.py): set() moves a running clock to an instant, from which time keeps flowing."""
    target = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert clock.set(target) == target
    assert clock.now() == target
    wall.tick(seconds=10)
    assert clock.now() == target + timedelta(seconds=10)


def test_set_on_a_frozen_clock_moves_the_frozen_instant(clock, wall):
    """Design (clock.py): set() on a frozen clock re-pins it; it stays frozen."""
    clock.freeze()
    target = datetime(2030, 1, 1, tzinfo=timezone.utc)
    clock.set(target)
    wall.tick(hours=2)
    assert clock.frozen
    assert clock.now() == target


def test_unfreeze_resumes_from_the_frozen_instant_without_jumping(clock, wall):
    """Design (clock.py): unfreezing continues from where the clock was frozen, then flows with the wall."""
    clock.freeze()
    clock.advance(timedelta(hours=5))
    wall.tick(minutes=10)  # wall time passing while frozen is not counted
    resumed = clock.unfreeze()
    assert not clock.frozen
    assert resumed == T0 + timedelta(hours=5)
    wall.tick(seconds=1)
    assert clock.now() == T0 + timedelta(hours=5, seconds=1)


def test_advance_refuses_negative_deltas(clock):
    """Design (clock.py): "the clock only moves forward" — advance(-d) raises and changes nothing, running or frozen."""
    for freeze in (False, True):
        if freeze:
            clock.freeze()
        before = clock.now()
        with pytest.raises(ValueError):
            clock.advance(timedelta(microseconds=-1))
        assert clock.now() == before
        assert clock.advance(timedelta(0)) == before


def test_reset_returns_to_wall_time(clock, wall):
    """Design (clock.py): reset() drops any offset and any freeze."""
    clock.advance(timedelta(days=2))
    clock.freeze()
    clock.reset()
    assert not clock.frozen
    assert clock.now() == wall()


def test_timestamps_print_in_the_docs_form():
    """Docs: timestamps look like "2024-01-27T03:00:00.000Z" (milliseconds, UTC, Z)."""
    assert isoformat_z(T0) == "2024-01-27T03:00:00.000Z"
    ist = timezone(timedelta(hours=5, minutes=30))
    assert isoformat_z(datetime(2024, 1, 27, 8, 32, 0, 123999, tzinfo=ist)) == "2024-01-27T03:02:00.123Z"
