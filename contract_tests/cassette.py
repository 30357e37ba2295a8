"""Recorded traffic: the validating proxy writes every exchange as HAR 1.2 (`huskyvoice-mock
--proxy … --record FILE.har`), and `huskyvoice-contract --cassette FILE.har` runs the same checks
over it offline (exchange_checks.Watcher), with no network, and writes the conformance report
(one verdict per clause, as the suite's; a clause traffic cannot show is skipped, saying why).

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


def replay(path: Path) -> tuple[list[Exchange], list[tuple[Exchange, list[Violation]]]]:
    """Every exchange of the file through one Watcher: (the exchanges, [(exchange, its violations)])."""
    watcher, found, exchanges = Watcher(), [], []
    for exchange in read(path):
        exchanges.append(exchange)
        violations = watcher.observe(exchange)
        if violations:
            found.append((exchange, violations))
    return exchanges, found


# What a recording cannot show, whatever it holds (each clause of clauses.yaml not listed is checked
# by exchange_checks when the recording has an exchange of an operation it concerns).
NOT_FROM_TRAFFIC = {
    "SPEC-LINKS": "the suite's generated workflows; traffic shows their parts (CALLS-DELETE, CALLS-GET)",
    "AUTH-HEADER": "an instruction to clients",
    "SCOPE-GRANT-ONLY-NEEDED": "advice to whoever makes keys",
    "CALLS-400": "whether a body was invalid is the server's reading; any documented 4xx passes",
    "CALLS-422": "as CALLS-400: a 400 for a bad number is allowed by the docs' reading",
    "CALLS-409": "needs the call's state at the moment of the cancel (CALLS-CANCEL-409 checks what traffic shows)",
    "CALLS-DELETE-404": "whether a call exists is not in the exchange",
    "AVAIL-FILLED": "which appointments are confirmed is data behind the answer",
    "AVAIL-EXAMPLE": "needs the docs' own records on the server (the suite's DOCS_EXAMPLES=1)",
    "TRACK-EXAMPLE": "needs the docs' own records on the server (the suite's DOCS_EXAMPLES=1)",
    "PATCH-PASS-SLOT-ID": "needs a PATCH of an id read from a tracking answer; not told apart in traffic",
    "REGEN": "the windows a regenerate reads are data behind the answer",
}
SCOPE_OPERATIONS = {"SCOPE-CALLS-CREATE": {"createCall"}, "SCOPE-CALLS-READ": {"getCall"},
                    "SCOPE-CALLS-CANCEL": {"cancelCall"}, "SCOPE-CALLS-DELETE": {"deleteCall"},
                    "SCOPE-SLOTS-READ": {"getAvailability", "getScheduleTracking"},
                    "SCOPE-SLOTS-WRITE": {"updateTrackingRecord", "regenerateTracking"}}
PREFIX_OPERATIONS = {"CALLS-": {"createCall", "getCall", "cancelCall", "deleteCall"}, "AVAIL-": {"getAvailability"},
                     "TRACK-": {"getScheduleTracking"}, "PATCH-": {"updateTrackingRecord"},
                     "REGEN-": {"regenerateTracking"},
                     "SLOTS-": {"getAvailability", "getScheduleTracking", "updateTrackingRecord", "regenerateTracking"}}


def _concerns(clause: str) -> set[str] | None:
    """The operations a clause is about (None: any)."""
    if clause in SCOPE_OPERATIONS:
        return SCOPE_OPERATIONS[clause]
    return next((ops for prefix, ops in PREFIX_OPERATIONS.items() if clause.startswith(prefix)), None)


def verdicts(exchanges: list[Exchange], found: list) -> list[dict]:
    """One entry per clause, in the suite's conformance report's shape."""
    from .clauses import catalogue
    seen_ops = Counter(e.operation for e in exchanges if e.operation)
    entries = []
    for cid, clause in catalogue().items():
        broken = [(exchange, v) for exchange, violations in found for v in violations if v.clause == cid]
        concerns = _concerns(cid)
        relevant = sum(seen_ops.values()) if concerns is None else sum(seen_ops[op] for op in concerns)
        reasons: dict[str, int] = {}
        if broken:
            verdict = "failed"
        elif cid in NOT_FROM_TRAFFIC:
            verdict, reasons = "skipped", {f"not checkable from traffic: {NOT_FROM_TRAFFIC[cid]}": 1}
        elif relevant:
            verdict = "passed"
        else:
            verdict, reasons = "skipped", {f"no exchange of {', '.join(sorted(concerns or ()))} recorded": 1}
        failures = [(f"{e.method} {BASE_PATH}{e.path} → {e.status}", v.message) for e, v in broken[:10]]
        entries.append({"id": cid, "doc": clause.get("doc", ""), "quote": clause["quote"], "verdict": verdict,
                        "count": Counter({verdict: 1}), "tests": {f"{relevant} recorded exchanges concern it": Counter()},
                        "reasons": reasons, "settings": [], "failures": failures,
                        "more_failures": max(0, len(broken) - len(failures))})
    return entries


def write_report(report_dir: Path, cassette: Path, exchanges: list[Exchange], found: list) -> str:
    """conformance.md and conformance.html in the suite's shape, and the one-line verdict."""
    from . import report
    entries = verdicts(exchanges, found)
    count = Counter(e["verdict"] for e in entries)
    failed = [e["id"] for e in entries if e["verdict"] == "failed"]
    summary = (f"HuskyVoice contract (cassette): {count['passed']} of {len(entries)} clauses pass, {count['failed']} "
               f"fail{' (' + ', '.join(failed) + ')' if failed else ''}, {count['skipped']} skipped "
               f"({len(exchanges)} recorded exchanges)")
    header = [("Target", f"recorded traffic: {cassette}"), ("Run", datetime.now(timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S UTC")), ("Reproduce", f"huskyvoice-contract --cassette {cassette}")]
    (report_dir / "conformance.md").write_text(report.markdown(header, summary, entries, [], False), encoding="utf-8")
    (report_dir / "conformance.html").write_text(report.to_html(header, summary, entries, [], False), encoding="utf-8")
    return summary


def main(cassette: Path, report_dir: Path) -> int:
    try:
        exchanges, found = replay(cassette)
    except (OSError, ValueError, KeyError) as exc:
        print(f"huskyvoice-contract: cannot read the cassette {cassette}: {exc}", file=sys.stderr)
        return 2
    report_dir.mkdir(parents=True, exist_ok=True)
    print(f"Conformance report: {report_dir / 'conformance.md'}, {report_dir / 'conformance.html'}")
    print(write_report(report_dir, cassette, exchanges, found))
    return 1 if found else 0
