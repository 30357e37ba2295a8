"""Deliberate failures: per operation or for all, add latency, answer a status, or
fail a fraction of requests (seeded, so a run can be repeated)."""
from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field


@dataclass
class Fault:
    operation_id: str = "*"  # an operationId, or "*" for every documented operation
    latency_ms: int = 0
    status: int | None = None  # answer this status with its documented error body
    probability: float = 1.0  # of answering `status`
    retry_after: int = 1  # seconds, for 429 and 503
    seed: int | None = None
    times: int | None = None  # answer `status` this many times, then never again (None: no end)
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def public(self) -> dict:
        out = asdict(self)
        out.pop("_rng", None)
        return out


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> int:
        with self._lock:
            count = len(self._faults)
            self._faults.clear()
            return count

    def listing(self) -> list[dict]:
        with self._lock:
            return [f.public() for f in self._faults]

    def for_operation(self, operation_id: str) -> tuple[int, Fault | None]:
        """Total latency to add, and the fault whose status fires this time (if any)."""
        latency, firing = 0, None
        with self._lock:
            for fault in self._faults:
                if fault.operation_id not in ("*", operation_id):
                    continue
                latency += fault.latency_ms
                if (firing is None and fault.status is not None and fault.times != 0
                        and fault._rng.random() < fault.probability):
                    firing = fault
                    if fault.times is not None:
                        fault.times -= 1
        return latency, firing
