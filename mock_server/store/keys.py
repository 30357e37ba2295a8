"""API keys and their scopes."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RateLimitSpec:
    burst: int
    per_second: float


@dataclass(frozen=True)
class ApiKey:
    key_id: str  # a stable, non-secret handle (the label); the secret never leaves this module
    label: str
    scopes: frozenset[str]
    rate_limit: RateLimitSpec | None = None
    _digest: bytes = field(default=b"", repr=False)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


class KeyRing:
    def __init__(self) -> None:
        self._keys: list[ApiKey] = []
        self._lengths: set[int] = set()  # so most text can be told from a key without hashing it

    def add(self, secret: str, label: str, scopes, rate_limit: RateLimitSpec | None = None) -> ApiKey:
        key = ApiKey(key_id=label, label=label, scopes=frozenset(scopes),
                     rate_limit=rate_limit, _digest=_digest(secret))
        self._keys.append(key)
        self._lengths.add(len(secret))
        return key

    def is_key(self, text: str) -> bool:
        """Whether `text` is one of the secrets, bare or as `Bearer <secret>` (for masking)."""
        for candidate in (text, text[7:] if text[:7].lower() == "bearer " else None):
            if candidate is not None and len(candidate) in self._lengths and self.authenticate(candidate) is not None:
                return True
        return False

    def authenticate(self, presented: str) -> ApiKey | None:
        """The key whose secret is `presented`, compared in constant time.

        Every stored key is compared, with no early exit, so the time taken does
        not tell which key (or how much of one) matched.
        """
        wanted = _digest(presented)
        found = None
        for key in self._keys:
            if hmac.compare_digest(key._digest, wanted):
                found = key
        return found

    def __len__(self) -> int:
        return len(self._keys)
