"""Recorded traffic: the validating proxy writes every exchange as HAR 1.2 (`huskyvoice-mock
--proxy … --record FILE.har`), and `huskyvoice-contract --cassette FILE.har` runs the same checks
over it offline (exchange_checks.Watcher), with no network.

Keys never reach the file: each distinct credential becomes `masked-key-N` (N in order of first
use, so the cross-exchange checks still tell keys apart), and every other secret header `***`.
With `mask_pii`, contact numbers, names and e-mails in bodies are replaced by placeholders of the
same form (a number stays a valid +91 number, so the schema checks still hold)."""
from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Iterator
from urllib.parse import parse_qsl, urlsplit

from .exchange_checks import Exchange, Violation, Watcher

SECRET_HEADERS = {"authorization", "proxy-authorization", "x-api-key", "cookie", "x-mock-control-token"}
PII_PLACEHOLDERS = {"contact_number": "+910000000000", "contact_name": "***", "contact_email": "masked@example.invalid"}
BASE_PATH = "/v1"
CREATOR = {"name": "huskyvoice-contract-kit", "version": "0.1.0"}


def _mask_pii(value):
    if isinstance(value, dict):
        return {k: (PII_PLACEHOLDERS[k] if k in PII_PLACEHOLDERS and isinstance(v, str) else _mask_pii(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_pii(v) for v in value]
    return value


def _body_text(raw: bytes, mask_pii: bool) -> dict:
    """HAR's text of a body: UTF-8 text as is (JSON with PII masked), anything else in base64."""
    if mask_pii and raw:
        try:
            raw = json.dumps(_mask_pii(json.loads(raw)), ensure_ascii=False).encode()
        except ValueError:
            pass
    try:
        return {"text": raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {"text": base64.b64encode(raw).decode(), "encoding": "base64"}


class Recorder:
    """Appends exchanges to a HAR file as they come; `close()` ends the document (a file cut short by
    a crash lacks only its last two brackets, and `read` takes it all the same)."""

    def __init__(self, path: Path, *, mask_pii: bool = False) -> None:
        self.path, self.mask_pii = Path(path), mask_pii
        self._out: IO[str] = open(self.path, "w", encoding="utf-8")
        self._out.write('{"log": {"version": "1.2", "creator": ' + json.dumps(CREATOR) + ', "entries": [\n')
        self._count = 0
        self._keys: dict[bytes, int] = {}  # sha256 of a credential -> its number; never the credential

    def _header(self, name: str, value: str) -> str:
        lower = name.lower()
        if lower in ("authorization", "proxy-authorization"):
            scheme, _, credential = value.partition(" ")
            secret = credential if credential else scheme
            number = self._keys.setdefault(hashlib.sha256(secret.encode("utf-8", "surrogateescape")).digest(),
                                           len(self._keys) + 1)
            return f"{scheme} masked-key-{number}" if credential else f"masked-key-{number}"
        return "***" if lower in SECRET_HEADERS else value

    def add(self, exchange: Exchange, *, url: str, elapsed_ms: float = 0.0) -> None:
        request_headers = [{"name": n, "value": self._header(n, v)} for n, v in exchange.request_headers]
        media = dict((n.lower(), v) for n, v in exchange.response_headers).get("content-type", "")
        entry = {
            "startedDateTime": (exchange.at or datetime.now(timezone.utc)).isoformat(),
            "time": round(elapsed_ms, 3),
            "request": {
                "method": exchange.method, "url": url, "httpVersion": "HTTP/1.1", "cookies": [],
                "headers": request_headers,
                "queryString": [{"name": n, "value": v} for n, v in exchange.query],
                "headersSize": -1, "bodySize": len(exchange.request_body),
                **({"postData": {"mimeType": dict((n.lower(), v) for n, v in exchange.request_headers).get(
                    "content-type", ""), **_body_text(exchange.request_body, self.mask_pii)}}
                   if exchange.request_body else {}),
            },
            "response": {
                "status": exchange.status, "statusText": "", "httpVersion": "HTTP/1.1", "cookies": [],
                "headers": [{"name": n, "value": self._header(n, v)} for n, v in exchange.response_headers],
                "content": {"size": len(exchange.response_body), "mimeType": media,
                            **_body_text(exchange.response_body, self.mask_pii)},
                "redirectURL": "", "headersSize": -1, "bodySize": len(exchange.response_body),
            },
            "cache": {}, "timings": {"send": 0, "wait": round(elapsed_ms, 3), "receive": 0},
        }
        self._out.write(("" if not self._count else ",\n") + json.dumps(entry, ensure_ascii=False))
        self._out.flush()
        self._count += 1

    def close(self) -> None:
        if not self._out.closed:
            self._out.write("\n]}}\n")
            self._out.close()


def _body(holder: dict) -> bytes:
    text = holder.get("text", "")
    return base64.b64decode(text) if holder.get("encoding") == "base64" else text.encode("utf-8")


def read(path: Path) -> Iterator[Exchange]:
    """The exchanges of a HAR file, in order (one a recording proxy was stopped before closing too)."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        document = json.loads(text)
    except ValueError:
        document = json.loads(text.rstrip().rstrip(",") + "\n]}}")
    for entry in document["log"]["entries"]:
        request, response = entry["request"], entry["response"]
        url = urlsplit(request["url"])
        path_ = url.path
        at = path_.find(BASE_PATH + "/")
        path_ = path_[at + len(BASE_PATH):] if at >= 0 else path_
        yield Exchange(
            method=request["method"], path=path_, query=tuple(parse_qsl(url.query, keep_blank_values=True)),
            request_headers=tuple((h["name"], h["value"]) for h in request.get("headers", [])),
            request_body=_body(request.get("postData", {})), status=response["status"],
            response_headers=tuple((h["name"], h["value"]) for h in response.get("headers", [])),
            response_body=_body(response.get("content", {})),
            at=datetime.fromisoformat(entry["startedDateTime"]) if entry.get("startedDateTime") else None)


def replay(path: Path) -> tuple[int, list[tuple[Exchange, list[Violation]]]]:
    """Every exchange of the file through one Watcher: (exchanges, [(exchange, its violations)])."""
    watcher, found, count = Watcher(), [], 0
    for exchange in read(path):
        count += 1
        violations = watcher.observe(exchange)
        if violations:
            found.append((exchange, violations))
    return count, found


def write_report(path: Path, cassette: Path, count: int, found: list) -> str:
    """reports/cassette.md, and the one-line verdict."""
    from .clauses import catalogue
    clauses = catalogue()
    by_clause = Counter(v.clause for _, violations in found for v in violations)
    lines = ["# HuskyVoice contract: recorded traffic", "", f"Cassette: `{cassette}`, {count} exchanges, "
             f"checked offline ({datetime.now(timezone.utc).isoformat(timespec='seconds')}).", ""]
    if not by_clause:
        lines.append("No exchange breaks a documented clause.")
    for clause, n in by_clause.most_common():
        lines += [f"## {clause}: {n} violation{'s' if n > 1 else ''}", "", f"> {clauses.get(clause, {}).get('quote', '')}", ""]
        for exchange, violations in found:
            for v in violations:
                if v.clause == clause:
                    query = "&".join(f"{k}={val}" for k, val in exchange.query)
                    lines.append(f"- `{exchange.method} {BASE_PATH}{exchange.path}{'?' + query if query else ''}` → "
                                 f"{exchange.status}: {v.message}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    verdict = (f"HuskyVoice contract (cassette): {count} exchanges, "
               + (f"{sum(by_clause.values())} violations of {len(by_clause)} clauses: {', '.join(by_clause)}"
                  if by_clause else "no violation"))
    return verdict


def main(cassette: Path, report_dir: Path) -> int:
    try:
        count, found = replay(cassette)
    except (OSError, ValueError, KeyError) as exc:
        print(f"huskyvoice-contract: cannot read the cassette {cassette}: {exc}", file=sys.stderr)
        return 2
    report_dir.mkdir(parents=True, exist_ok=True)
    print(write_report(report_dir / "cassette.md", cassette, count, found))
    print(f"Report: {report_dir / 'cassette.md'}")
    return 1 if found else 0
