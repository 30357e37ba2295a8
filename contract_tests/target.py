"""What the suite knows about the server under test: its base URL, whether it is
the bundled mock, what it may write, which keys (with which scopes) exist, and
whether it answers at all (`preflight`, before any test)."""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
import yaml

from mock_server.fixtures import DEFAULT_DIR as DEFAULT_FIXTURES
from mock_server.spec import SPEC_PATH  # noqa: F401 (the suite's spec is the mock's: one file)

DEFAULT_KEYS = DEFAULT_FIXTURES / "api_keys.yaml"
SCOPES = ("calls:create", "calls:read", "calls:cancel", "calls:delete",
          "appointments:read", "appointments:write", "slots:read", "slots:write")
SESSION_HEADER = "X-Mock-Session"
PROBE_PATH = "/appointment-slots/availability?date=2026-06-15"


class TargetProblem(Exception):
    """The target or the keys file cannot be used: one sentence says why."""


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
    # The mock's X-Mock-Session the suite works in, so a mock it did not start keeps its
    # state; None when it may use (and reset) the default state.
    session: str | None = None
    docs_examples: bool = False  # DOCS_EXAMPLES=1: the target holds the records the docs print

    @property
    def can_create_calls(self) -> bool:
        return self.is_mock or (self.allow_writes and bool(self.contact_number))

    @property
    def can_change_slots(self) -> bool:
        return self.is_mock or self.allow_writes

    @property
    def holds_docs_examples(self) -> bool:
        return self.is_mock or self.docs_examples

    @property
    def session_headers(self) -> dict[str, str]:
        return {SESSION_HEADER: self.session} if self.session else {}

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


def _problem(path: Path, node, text: str) -> TargetProblem:
    line = f" line {node.start_mark.line + 1}" if node is not None else ""
    return TargetProblem(f"KEYS file {path}{line}: {text}")


def load_keys(path: Path) -> tuple[Key, ...]:
    """The keys of a file in the fixtures/api_keys.yaml format; any mistake is a TargetProblem
    naming the file and the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TargetProblem(f"KEYS file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetProblem(f"KEYS file {path} cannot be read: {exc}") from None
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise TargetProblem(f"KEYS file {path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if root is None:
        raise TargetProblem(f"KEYS file {path} is empty: it needs a 'keys:' list (see fixtures/api_keys.yaml)")
    if not isinstance(root, yaml.MappingNode):
        raise _problem(path, root, "the file must be a mapping with a 'keys:' list")
    entries = next((v for k, v in root.value if k.value == "keys"), None)
    if not isinstance(entries, yaml.SequenceNode) or not entries.value:
        raise _problem(path, entries or root, "there is no key: 'keys:' must be a non-empty list")
    keys = []
    for node in entries.value:
        entry = yaml.safe_load(yaml.serialize(node))
        if not isinstance(entry, dict):
            raise _problem(path, node, "each key must be a mapping with 'key' and 'scopes'")
        secret, scopes = entry.get("key"), entry.get("scopes", [])
        if not isinstance(secret, str) or not secret.strip():
            raise _problem(path, node, "'key' must be a non-empty string")
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise _problem(path, node, "'scopes' must be a list of scope names")
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise _problem(path, node, f"unknown scope {', '.join(unknown)}; the documented ones are {', '.join(SCOPES)}")
        limit = entry.get("rate_limit")
        if limit is not None and not (isinstance(limit, dict) and isinstance(limit.get("burst"), int)):
            raise _problem(path, node, "'rate_limit' must be a mapping with an integer 'burst'")
        keys.append(Key(secret=secret, label=str(entry.get("label", "key")), scopes=frozenset(scopes),
                        throttled=limit is not None and limit["burst"] < 100))
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


def check_base_url(base_url: str) -> None:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TargetProblem(f"TARGET {base_url!r} is not an http(s) URL: write it as the docs do, "
                            f"e.g. https://api.huskyvoice.ai/v1 or http://127.0.0.1:4010/v1")


def preflight(target: Target, timeout: float = 10.0) -> None:
    """One request to the target before any test: does it answer, and are the documented
    paths there? Raises TargetProblem with one sentence otherwise."""
    check_base_url(target.base_url)
    key = target.full_key()
    headers = {**target.session_headers, **({"Authorization": f"Bearer {key.secret}"} if key else {})}
    url = target.base_url + PROBE_PATH
    try:
        response = requests.get(url, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.exceptions.Timeout:
        raise TargetProblem(f"TARGET {target.base_url} did not answer GET {PROBE_PATH} within {timeout:g} s") from None
    except requests.exceptions.ConnectionError as exc:
        reason = "connection refused" if "refused" in str(exc).lower() else "cannot connect"
        raise TargetProblem(f"nothing answers at TARGET {target.base_url} ({reason}): is the server running, "
                            f"and are the host and port right?") from None
    except requests.RequestException as exc:
        raise TargetProblem(f"TARGET {target.base_url} cannot be reached: {exc}") from None
    if response.status_code == 404:
        raise TargetProblem(f"TARGET {target.base_url} answers 404 to GET {PROBE_PATH}, a documented path: "
                            f"TARGET must be the API's base URL, ending in /v1 as the docs write it")


def from_environment(target: str | None = None, keys: str | None = None, is_mock: bool | None = None,
                     reset_target: bool = False) -> Target:
    base_url = (target or os.environ.get("TARGET") or os.environ.get("HUSKYVOICE_TARGET") or "").rstrip("/")
    if not base_url:
        raise TargetProblem("no target: pass --target http://host:port/v1 or set TARGET "
                            "(make test starts the mock itself)")
    check_base_url(base_url)
    keys_file = Path(keys or os.environ.get("KEYS") or DEFAULT_KEYS)
    loaded = load_keys(keys_file)
    started_here = os.environ.get("HUSKYVOICE_BUNDLED_MOCK") == "1"
    if is_mock is None:
        is_mock = started_here or offers_control(base_url)
    own_session = is_mock and not (started_here or reset_target)
    return Target(
        base_url=base_url, is_mock=is_mock,
        allow_writes=os.environ.get("ALLOW_WRITES") == "1",
        contact_number=os.environ.get("TEST_CONTACT_NUMBER") or ("+919876543210" if is_mock else None),
        keys=loaded, keys_file=keys_file,
        session=f"contract-{uuid.uuid4().hex[:12]}" if own_session else None,
        docs_examples=os.environ.get("DOCS_EXAMPLES") == "1",
    )
