"""The fixture loader (mock_server/fixtures.py) and the key ring it fills (store/keys.py).

Design (fixtures.py): "A malformed file fails at start with the file, the record and the
field named, never later with a traceback from a handler."
Docs: ../shared/api-docs/calls-and-api-keys.txt (placeholders, the eight scopes).
"""
from __future__ import annotations

import math
import shutil
import uuid
from datetime import date
from pathlib import Path
from typing import Callable

import pytest
import yaml

from mock_server.fixtures import DEFAULT_DIR, FixtureError, load_keys, load_slots
from mock_server.store.keys import KeyRing

# The scope table of the docs, in its order
DOC_SCOPES = {"calls:create", "calls:read", "calls:cancel", "calls:delete",
              "appointments:read", "appointments:write", "slots:read", "slots:write"}
DOC_WINDOW = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
DOC_DAY = date(2026, 6, 15)


# ── helpers ───────────────────────────────────────────────────────────────
@pytest.fixture
def fixture_dir(tmp_path: Path) -> Path:
    """A private copy of the default fixtures, free to corrupt."""
    return Path(shutil.copytree(DEFAULT_DIR, tmp_path / "fixtures"))


def rewrite(directory: Path, file: str, change: Callable[[dict], None]) -> Path:
    """Load `file`, apply `change` to its document, write it back; returns the file's path."""
    path = directory / file
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def load_all(directory: Path) -> None:
    load_keys(directory)
    load_slots(directory)


def set_field(key: str, index: int, field: str, value) -> Callable[[dict], None]:
    return lambda doc: doc[key][index].__setitem__(field, value)


def drop_field(key: str, index: int, field: str) -> Callable[[dict], None]:
    return lambda doc: doc[key][index].pop(field)


def raw_keys() -> list[dict]:
    """The keys file as written, read without the loader."""
    return yaml.safe_load((DEFAULT_DIR / "api_keys.yaml").read_text(encoding="utf-8"))["keys"]


# ── malformed files ───────────────────────────────────────────────────────
def test_an_unchanged_copy_of_the_default_fixtures_loads(fixture_dir):
    """Design (fixtures.py): the default fixtures are well-formed (and survive the rewrite the tests below use)."""
    for file in ("api_keys.yaml", "appointment_types.yaml", "branches.yaml",
                 "calendar_windows.yaml", "appointments.yaml"):
        rewrite(fixture_dir, file, lambda doc: None)
    load_all(fixture_dir)


@pytest.mark.parametrize("file, change, named", [
    ("calendar_windows.yaml", set_field("calendar_windows", 0, "session", "Night"),
     "calendar_windows[0].session"),                                             # wrong enum
    ("calendar_windows.yaml", set_field("calendar_windows", 1, "colour", "red"),
     "calendar_windows[1].colour"),                                              # unknown field
    ("branches.yaml", drop_field("branches", 0, "name"), "branches[0].name"),    # missing field
    ("appointments.yaml", set_field("appointments", 0, "date", "2026-06-02"),
     "appointments[0].date"),                                                    # a Tuesday, the window is Monday's
    ("calendar_windows.yaml", set_field("calendar_windows", 0, "branch_id", "no-such-branch"),
     "calendar_windows[0].branch_id"),                                           # unknown branch
    ("appointment_types.yaml", set_field("appointment_types", 0, "appointment_type_id", "not-a-uuid"),
     "appointment_types[0].appointment_type_id"),
    ("api_keys.yaml", set_field("keys", 0, "scopes", ["calls:write"]), "keys[0].scopes"),  # undocumented scope
], ids=["wrong-enum", "unknown-field", "missing-field", "appointment-weekday",
        "unknown-branch", "bad-uuid", "unknown-scope"])
def test_malformed_fixture_names_the_file_and_the_field(fixture_dir, file, change, named):
    """Design (fixtures.py): "A malformed file fails at start with the file, the record and the field named"."""
    path = rewrite(fixture_dir, file, change)
    with pytest.raises(FixtureError) as exc:
        load_all(fixture_dir)
    assert str(path) in str(exc.value)
    assert named in str(exc.value)


def test_missing_or_unparsable_file_is_named(fixture_dir):
    """Design (fixtures.py): a fixture problem "fails at start with the file … named"."""
    (fixture_dir / "branches.yaml").unlink()
    with pytest.raises(FixtureError, match="branches.yaml: file not found"):
        load_slots(fixture_dir)
    (fixture_dir / "api_keys.yaml").write_text("keys: [unclosed\n", encoding="utf-8")
    with pytest.raises(FixtureError, match="api_keys.yaml: not valid YAML"):
        load_keys(fixture_dir)


def test_a_branch_listing_a_type_twice_does_not_double_count(fixture_dir):
    """Docs: "filled_slots counts confirmed appointments for the window on that date" — 3 for the docs' slot."""
    rewrite(fixture_dir, "branches.yaml",
            lambda doc: doc["branches"][0]["appointment_type_ids"].append(doc["branches"][0]["appointment_type_ids"][0]))
    try:
        store = load_slots(fixture_dir)
    except FixtureError as exc:  # refusing the file is as good as de-duplicating it
        assert "branches[0].appointment_type_ids" in str(exc)
        return
    [slot] = store.availability(DOC_DAY, session="Morning")
    assert slot.filled_slots == 3
    records = list(store.tracking([DOC_DAY]))
    assert len({r.slot_id for r in records}) == len(records)


def test_rate_limit_of_nan_per_second_is_refused_at_load(fixture_dir):
    """Design (fixtures.py): fail "at start … never later with a traceback from a handler"; per_second "must be a number above 0"."""
    rewrite(fixture_dir, "api_keys.yaml", set_field("keys", 0, "rate_limit", {"burst": 3, "per_second": math.nan}))
    with pytest.raises(FixtureError, match=r"keys\[0\]\.rate_limit"):
        load_keys(fixture_dir)


def test_two_api_keys_never_share_a_key_id(fixture_dir):
    """Decision D-idempotency: "records are per API key (keys of different API keys never collide)"."""
    rewrite(fixture_dir, "api_keys.yaml", set_field("keys", 1, "label", "docs-your-api-key"))
    try:
        ring = load_keys(fixture_dir)
    except FixtureError as exc:  # refusing the file is as good as distinct ids
        assert "keys[1].label" in str(exc)
        return
    assert ring.authenticate("YOUR_API_KEY").key_id != ring.authenticate("sk_live_your_api_key_here").key_id


# ── the keys file ─────────────────────────────────────────────────────────
@pytest.mark.parametrize("secret", ["YOUR_API_KEY", "sk_live_your_api_key_here"])
def test_docs_placeholder_keys_have_all_eight_scopes(secret):
    """Docs: "Bearer YOUR_API_KEY" / "Bearer sk_live_your_api_key_here" — every snippet in the docs must run."""
    key = load_keys().authenticate(secret)
    assert key is not None
    assert key.scopes == DOC_SCOPES


def test_there_is_one_key_per_single_scope_and_a_key_with_no_scope():
    """Docs: "Each API key is created with one or more scopes" — the fixtures hold a key for each scope alone, and one with none."""
    ring = load_keys()
    scopes_by_secret = {}
    for record in raw_keys():
        key = ring.authenticate(record["key"])
        assert key is not None and key.scopes == set(record["scopes"]), record["label"]
        scopes_by_secret[record["key"]] = key.scopes
    singles = [next(iter(s)) for s in scopes_by_secret.values() if len(s) == 1]
    assert sorted(singles) == sorted(DOC_SCOPES)
    assert sum(1 for s in scopes_by_secret.values() if not s) == 1


def test_the_throttled_key_has_a_burst_of_three():
    """Decision D-rate-limit: "The bundled key sk_test_throttled has a burst of 3"."""
    key = load_keys().authenticate("sk_test_throttled")
    assert key.rate_limit.burst == 3 and key.rate_limit.per_second > 0
    assert load_keys().authenticate("YOUR_API_KEY").rate_limit is None  # the default applies


# ── KeyRing.authenticate ──────────────────────────────────────────────────
def test_authenticate_accepts_the_exact_key_and_nothing_near_it():
    """Docs: "401 | Unauthorized — missing or invalid API key"."""
    ring = load_keys()
    key = ring.authenticate("YOUR_API_KEY")
    assert key is not None and key.label == "docs-your-api-key"
    for presented in ("", " ", "YOUR_API_KEY ", " YOUR_API_KEY", "your_api_key", "YOUR_API_KE", "YOUR_API_KEYY",
                      "Bearer YOUR_API_KEY", "YOUR_API_KEY\n", "sk_live_your_api_key_her", "docs-your-api-key",
                      "sk_test_calls_create" + "\x00"):
        assert ring.authenticate(presented) is None, repr(presented)


def test_api_key_repr_does_not_contain_the_secret():
    """Docs: "Never hardcode it …" — design (keys.py): "the secret never leaves this module" (not in repr or attributes)."""
    secret = "sk_live_" + uuid.uuid4().hex
    ring = KeyRing()
    key = ring.add(secret, "my-label", ["calls:read"])
    assert ring.authenticate(secret) is key
    assert secret not in repr(key) and secret not in str(key)
    assert all(secret not in repr(value) for value in vars(key).values())
    assert secret not in repr(vars(ring))
