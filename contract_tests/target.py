"""What the suite knows about the server under test: its base URL, whether it is
the bundled mock, what it may write, and which keys (with which scopes) exist."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from urllib.parse import urlsplit

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KEYS = ROOT / "fixtures" / "api_keys.yaml"
SPEC_PATH = ROOT / "openapi.yaml"
SCOPES = ("calls:create", "calls:read", "calls:cancel", "calls:delete",
          "appointments:read", "appointments:write", "slots:read", "slots:write")


@dataclass(frozen=True)
class Key:
    secret: str = field(repr=False)
    label: str
    scopes: frozenset[str]
    throttled: bool = False


@dataclass(frozen=True)
class Target:
    base_url: str
    is_mock: bool
    allow_writes: bool
    contact_number: str | None
    keys: tuple[Key, ...]
    keys_file: Path

    @property
    def can_create_calls(self) -> bool:
        return self.is_mock or (self.allow_writes and bool(self.contact_number))

    @property
    def can_change_slots(self) -> bool:
        return self.is_mock or self.allow_writes

    def key_with(self, *scopes: str) -> Key | None:
        """The key with the fewest scopes that holds all of `scopes` (and is not throttled)."""
        holders = [k for k in self.keys if set(scopes) <= k.scopes and not k.throttled]
        return min(holders, key=lambda k: len(k.scopes)) if holders else None

    def full_key(self) -> Key | None:
        return self.key_with(*[s for s in SCOPES if any(s in k.scopes for k in self.keys)]) or self.key_with()

    def single_scope_keys(self) -> list[Key]:
        return [k for k in self.keys if len(k.scopes) == 1 and not k.throttled]

    def keys_without(self, scope: str) -> list[Key]:
        return [k for k in self.keys if scope not in k.scopes and not k.throttled]

    def throttled_key(self) -> Key | None:
        return next((k for k in self.keys if k.throttled), None)


def load_keys(path: Path) -> tuple[Key, ...]:
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    keys = []
    for entry in document.get("keys", []):
        keys.append(Key(secret=str(entry["key"]), label=str(entry.get("label", "key")),
                        scopes=frozenset(entry.get("scopes", [])),
                        throttled="rate_limit" in entry and entry["rate_limit"]["burst"] < 100))
    return tuple(keys)


def control_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}/_mock"


def offers_control(base_url: str) -> bool:
    """Whether the target is the bundled mock with its control API (GET /_mock/health)."""
    try:
        response = requests.get(f"{control_url(base_url)}/health", timeout=5)
        return response.status_code == 200 and response.json().get("mock") == "huskyvoice"
    except (requests.RequestException, ValueError, AttributeError):
        return False


def from_environment(target: str | None = None, keys: str | None = None, is_mock: bool | None = None) -> Target:
    base_url = (target or os.environ.get("TARGET") or os.environ.get("HUSKYVOICE_TARGET") or "").rstrip("/")
    if not base_url:
        raise SystemExit("No target: pass --target http://host:port/v1 or set TARGET (make test starts the mock itself)")
    keys_file = Path(keys or os.environ.get("KEYS") or DEFAULT_KEYS)
    if is_mock is None:
        is_mock = os.environ.get("HUSKYVOICE_BUNDLED_MOCK") == "1" or offers_control(base_url)
    return Target(
        base_url=base_url, is_mock=is_mock,
        allow_writes=os.environ.get("ALLOW_WRITES") == "1",
        contact_number=os.environ.get("TEST_CONTACT_NUMBER") or ("+919876543210" if is_mock else None),
        keys=load_keys(keys_file), keys_file=keys_file,
    )
