"""How hard the suite pushes: `fast` for local loops, `deep` for CI (PROFILE=deep)."""
from __future__ import annotations

import os
from dataclasses import dataclass

from hypothesis import HealthCheck, settings


@dataclass(frozen=True)
class Profile:
    name: str
    schema_examples: int  # Schemathesis cases per operation and phase
    stateful_examples: int
    stateful_steps: int
    property_examples: int  # Hypothesis examples per property test


PROFILES = {
    "fast": Profile("fast", schema_examples=25, stateful_examples=15, stateful_steps=6, property_examples=15),
    "deep": Profile("deep", schema_examples=120, stateful_examples=60, stateful_steps=12, property_examples=60),
}


def current() -> Profile:
    name = os.environ.get("PROFILE", "fast")
    if name not in PROFILES:
        raise SystemExit(f"PROFILE must be one of {', '.join(PROFILES)}, not {name!r}")
    return PROFILES[name]


for _profile in PROFILES.values():
    settings.register_profile(
        f"huskyvoice-{_profile.name}", max_examples=_profile.property_examples, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        print_blob=True,
    )
