"""The conformance report: after every run of the contract suite, one verdict per
clause of clauses.yaml (failed, passed or skipped), written to <report-dir>/conformance.md
and conformance.html, with the failing exchanges and the open points the docs leave to
the server; and one summary line, the last the plugin prints (pytest's own count follows it)."""
from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import pytest

from . import clauses, profiles

SECTION = "HuskyVoice contract"  # the title of the section conftest adds to failures
EXCERPT = 3000  # characters of evidence per failure
MAX_FAILURES_SHOWN = 10  # per clause
# An environment variable a skip reason asks for: ALLOW_WRITES=1, COMPLETED_CALL_ID, RATE_LIMIT_PROBE=N.
SETTING = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?:=[\w+]+)?")
BEARER = re.compile(r"(?i)(bearer\s+)(?!\$\{HUSKYVOICE_API_KEY\}|\[)[^\s'\"\\,;]+")
NOT_SELECTED, STOPPED, NOT_RUN = ("no test of this run enforces it (not selected)",
                                  "the run stopped before it ran", "did not run")


@dataclass
class Record:
    """What one collected test did: each of its reports folded into one outcome."""
    nodeid: str
    clause_ids: tuple[str, ...]
    decision: str | None  # the mock_only marker's decision id
    observe: bool
    outcome: str = "not run"  # passed, failed, skipped, xfailed, xpassed, not run
    skip_reason: str | None = None
    failures: list = field(default_factory=list)  # failed TestReports; read at the end (Schemathesis rewrites them)
    observed: object = None  # the xfail/xpass call report of an open point
    exchange: str | None = None  # the api fixture's last exchange, as curl + response

    @property
    def test(self) -> str:
        return self.nodeid.partition("[")[0]

    def add(self, report) -> None:
        if report.failed:
            self.failures.append(report)
            self.outcome = "failed"
        elif self.outcome == "failed":
            pass
        elif hasattr(report, "wasxfail"):
            self.outcome, self.observed = ("xfailed" if report.skipped else "xpassed"), report
        elif report.skipped:
            self.outcome = "skipped"
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            self.skip_reason = reason.removeprefix("Skipped: ")
        elif report.when == "call":  # Schemathesis' per-operation reports too: a failure among them sticks
            self.outcome = "passed"


def settings_in(reasons) -> list[str]:
    """The environment variables the reasons ask for, once each (ALLOW_WRITES=1 over ALLOW_WRITES)."""
    found: dict[str, str] = {}
    for reason in reasons:
        for setting in SETTING.findall(reason):
            name = setting.partition("=")[0]
            if "=" in setting or name not in found:
                found[name] = setting
    return list(found.values())


def bounded(text: str, limit: int = EXCERPT) -> str:
    """At most `limit` characters, keeping the end too: that is where the curl line is."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head, tail = limit * 3 // 5, limit * 2 // 5
    return f"{text[:head]}\n… ({len(text) - head - tail} characters cut) …\n{text[-tail:]}"


def schemathesis_excerpt(text: str) -> str | None:
    """Schemathesis' failure text from 'Schemathesis found' to its 'Reproduce with: curl …' line,
    without the frames of the exception group around it."""
    start = text.find("Schemathesis found")
    if start < 0:
        return None
    end = text.find("Reproduce with:", start)
    curl = re.compile(r"curl [^\n]*").search(text, end) if end >= 0 else None
    excerpt = text[start:curl.end() if curl else len(text)]
    return "\n".join(re.sub(r"^ *[|+]-*(?: |$)", "", line) for line in excerpt.splitlines())


class ConformanceReport:
    def __init__(self, config) -> None:
        self.config = config
        directory = Path(config.getoption("--report-dir"))
        self.directory = directory if directory.is_absolute() else config.invocation_params.dir / directory
        self.records: dict[str, Record] = {}
        self.key = pytest.StashKey[Record]()
        self.started = datetime.now(timezone.utc)
        self.summary: str | None = None
        self.failing = False
        self.written: list[Path] = []
        self.problem: str | None = None
        target = config.huskyvoice_target
        self.secrets = sorted({s for k in target.keys for s in (k.secret, quote(k.secret, safe=""))
                               if k.secret.strip()}, key=len, reverse=True)

    # ── collecting ──────────────────────────────────────────────────────────
    def _record(self, item) -> Record:
        record = item.stash.get(self.key, None)
        if record is None:
            choice = item.get_closest_marker("mock_only")
            ids = tuple(dict.fromkeys(a for m in item.iter_markers("clause") for a in m.args))
            decision = (choice.args[0] if choice.args else "docs/decisions.md") if choice else None
            record = Record(item.nodeid, ids, decision, bool(choice and choice.kwargs.get("observe")))
            item.stash[self.key] = record
            self.records.setdefault(record.nodeid, record)
        return record

    def pytest_collection_finish(self, session) -> None:
        for item in session.items:  # before any test runs: Schemathesis renames its node while it runs
            self._record(item)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        record = self._record(item)
        record.add(report)
        if call.when == "call" and (report.failed or hasattr(report, "wasxfail")):
            api = (getattr(item, "funcargs", None) or {}).get("api")
            last = api.last() if hasattr(api, "last") else None
            if last is not None:
                record.exchange = last.describe()

    # ── verdicts ────────────────────────────────────────────────────────────
    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[key hidden]")
        return text

    def evidence(self, report, exchange: str | None) -> str:
        text = report.longreprtext or ""
        section = next((body for title, body in report.sections if title == SECTION), "")
        parts = []
        found = schemathesis_excerpt(text)
        if found:
            parts.append(found)
        else:
            crash = getattr(getattr(report.longrepr, "reprcrash", None), "message", None)
            parts.append(bounded(crash or text, 800))
            if "Last exchange" in section:
                parts.append(section[section.index("Last exchange"):])
            elif exchange:
                parts.append(f"Last exchange:\n{exchange}")
        if "Reproduce with: make" in section and not any("Reproduce with: make" in p for p in parts):
            parts.append(section[section.index("Reproduce with: make"):].splitlines()[0])
        return bounded(BEARER.sub(r"\1[hidden]", self.scrub("\n\n".join(parts))))

    def verdicts(self, stopped: bool) -> list[dict]:
        by_clause: dict[str, list[Record]] = {}
        for record in self.records.values():
            for cid in record.clause_ids:
                by_clause.setdefault(cid, []).append(record)
        entries = []
        for cid, clause in clauses.catalogue().items():
            records = by_clause.get(cid, [])
            judged = [r for r in records if r.outcome not in ("xfailed", "xpassed")]
            count = Counter(r.outcome for r in records)
            reasons = Counter(r.skip_reason for r in judged if r.outcome == "skipped")
            if count["not run"]:
                reasons[STOPPED if stopped else NOT_RUN] += count["not run"]
            if not records:
                reasons[NOT_SELECTED] += 1
            elif not judged:
                reasons["its tests only record the target's answer to an open point (see Open points)"] += 1
            verdict = "failed" if count["failed"] else "passed" if count["passed"] else "skipped"
            tests: dict[str, Counter] = {}
            for r in records:
                tests.setdefault(r.test, Counter())[r.outcome] += 1
            failures = [(report.nodeid, self.evidence(report, r.exchange))
                        for r in records for report in r.failures][:MAX_FAILURES_SHOWN]
            entries.append({
                "id": cid, "doc": clause.get("doc", ""), "quote": clause["quote"], "verdict": verdict,
                "count": count, "tests": {self.scrub(t): c for t, c in tests.items()},
                "reasons": {self.scrub(k): v for k, v in reasons.items()},
                "settings": settings_in(reasons) if verdict == "skipped" else [],
                "failures": failures, "more_failures": sum(len(r.failures) for r in records) - len(failures),
            })
        return entries

    def open_points(self) -> list[dict]:
        points = []
        for r in self.records.values():
            if r.decision is None:
                continue
            point = {"decision": r.decision, "test": self.scrub(r.nodeid), "outcome": r.outcome,
                     "observe": r.observe, "evidence": None}
            if r.observed is not None:
                text = getattr(getattr(r.observed.longrepr, "reprcrash", None), "message", "") or ""
                evidence = "\n\n".join(p for p in (bounded(text, 800) if text else "",
                                                   f"Last exchange:\n{r.exchange}" if r.exchange else "") if p)
                point["evidence"] = bounded(BEARER.sub(r"\1[hidden]", self.scrub(evidence))) or None
            elif r.skip_reason:
                point["reason"] = self.scrub(r.skip_reason)
            points.append(point)
        return sorted(points, key=lambda p: p["outcome"] in ("skipped", "not run"))  # the answers first

    def summary_line(self, entries) -> str:
        verdicts = Counter(e["verdict"] for e in entries)
        failed = [e["id"] for e in entries if e["verdict"] == "failed"]
        named = f" ({', '.join(failed[:5])}{', …' if len(failed) > 5 else ''})" if failed else ""
        skipped = [e for e in entries if e["verdict"] == "skipped"]
        notes = []
        settings = settings_in(s for e in skipped for s in e["settings"])
        if settings:
            notes.append(f"set {', '.join(settings)} to run more")
        for reason, words in ((NOT_SELECTED, "not selected"), (STOPPED, "not reached: the run stopped")):
            n = sum(1 for e in skipped if set(e["reasons"]) == {reason})
            if n:
                notes.append(f"{n} {words}")
        note = f" ({'; '.join(notes)})" if notes else ""
        return (f"HuskyVoice contract: {verdicts['passed']} of {len(entries)} clauses pass, "
                f"{verdicts['failed']} fail{named}, {verdicts['skipped']} skipped{note}")

    # ── writing ─────────────────────────────────────────────────────────────
    def header(self) -> list[tuple[str, str]]:
        from .conftest import reproduce_command  # the conftest is loaded by now; importing it earlier would cycle
        target = self.config.huskyvoice_target
        kind = "bundled mock" if target.is_mock else "external server"
        if target.session:
            kind += f", in its own session {target.session}"
        return [("Target", self.scrub(f"{target.base_url} ({kind})")), ("Seed", str(self.config.huskyvoice_seed)),
                ("Run", self.started.strftime("%Y-%m-%d %H:%M:%S UTC")), ("Profile", profiles.current().name),
                ("Reproduce", self.scrub(reproduce_command(self.config)))]

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        if all(r.outcome == "not run" for r in self.records.values()):
            return  # no test ran: nothing to report
        stopped = bool(exitstatus == pytest.ExitCode.INTERRUPTED or session.shouldstop or session.shouldfail)
        entries = self.verdicts(stopped)
        self.summary = self.summary_line(entries)
        self.failing = any(e["verdict"] == "failed" for e in entries)
        header, points = self.header(), self.open_points()
        is_mock = self.config.huskyvoice_target.is_mock
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            for name, text in (("conformance.md", markdown(header, self.summary, entries, points, is_mock)),
                               ("conformance.html", to_html(header, self.summary, entries, points, is_mock))):
                path = self.directory / name
                path.write_text(self.scrub(text), encoding="utf-8")
                self.written.append(path)
        except OSError as exc:
            self.problem = f"the conformance report could not be written to {self.directory}: {exc}"

    def pytest_unconfigure(self, config) -> None:
        # Here rather than in pytest_terminal_summary: pytest prints its own count line after
        # that hook, and the run must end with the summary.
        terminalreporter = config.pluginmanager.get_plugin("terminalreporter")
        if self.summary is None or terminalreporter is None:
            return
        if self.problem:
            terminalreporter.write_line(self.problem, red=True)
        elif self.written:
            terminalreporter.write_line(f"Conformance report: {', '.join(str(p) for p in self.written)}")
        terminalreporter.write_line(self.summary, bold=True, red=self.failing, green=not self.failing)


# ── rendering ───────────────────────────────────────────────────────────────
OPEN_WORDS = {"xpassed": "matched the mock's choice", "xfailed": "chose otherwise",
              "failed": "failed", "passed": "passed", "skipped": "skipped", "not run": "did not run"}


def tally(count: Counter) -> str:
    """'3 passed, 1 skipped, 1 recorded (open point)': a test's items, counted once each."""
    parts = [f"{count[k]} {k}" for k in ("failed", "passed", "skipped", "not run") if count[k]]
    if count["xfailed"] + count["xpassed"]:
        parts.append(f"{count['xfailed'] + count['xpassed']} recorded (open point)")
    return ", ".join(parts) or "not selected"


def skip_note(entry) -> str:
    reasons = "; ".join(f"{r} ({n}×)" if n > 1 else r for r, n in entry["reasons"].items())
    todo = f" To run it, set {', '.join(entry['settings'])}." if entry["settings"] else ""
    return f"Skipped: {reasons}.{todo}" if entry["verdict"] == "skipped" else f"Not run here: {reasons}."


def fenced(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(header, summary, entries, points, is_mock) -> str:
    out = ["# HuskyVoice API conformance", ""]
    out += [f"- **{k}:** `{v}`" if k == "Reproduce" else f"- **{k}:** {v}" for k, v in header]
    out += ["", f"**{summary}**", "", "## Clauses", "", "| Clause | Verdict | Tests |", "|---|---|---|"]
    out += [f"| [{e['id']}](#{e['id'].lower()}) | {e['verdict']} | {cell(tally(e['count']))} |" for e in entries]
    out += ["", "## Details"]
    for e in entries:
        out += ["", f"### {e['id']}", "", f"**{e['verdict']}** · doc: {e['doc']}", "", f"> {e['quote']}", ""]
        out += [f"- `{t}`: {tally(c)}" for t, c in e["tests"].items()] or ["- no test of this run enforces it"]
        if e["reasons"]:
            out += ["", skip_note(e)]
        for nodeid, text in e["failures"]:
            out += ["", f"Failure of `{nodeid}`:", "", fenced(text)]
        if e["more_failures"]:
            out += ["", f"… and {e['more_failures']} more failures (see the terminal output)."]
    out += ["", "## Open points", "", open_intro(is_mock), ""]
    for p in points:
        out.append(f"- **{p['decision']}** `{p['test']}`: {open_words(p, is_mock)}")
        if p.get("evidence"):
            out += ["", indent(fenced(p["evidence"])), ""]
    if not points:
        out.append("No test of this run checks an open point.")
    return "\n".join(out) + "\n"


def open_words(point, is_mock) -> str:
    if not is_mock and not point["observe"] and point["outcome"] == "skipped":
        return "checked on the bundled mock only"
    words = OPEN_WORDS[point["outcome"]]
    return f"{words} ({point['reason']})" if point.get("reason") else words


def open_intro(is_mock) -> str:
    if is_mock:
        return ("On the bundled mock the choices of docs/decisions.md are judged like any other test "
                "and count toward their clauses.")
    return ("Where the docs leave a choice open, the target's answer is recorded, not judged "
            "(docs/decisions.md names the mock's choice).")


def indent(text: str) -> str:
    return "\n".join("  " + line if line else line for line in text.splitlines())


CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em; color: #222; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .25em .6em; text-align: left; }
.passed { color: #fff; background: #2e7d32; } .failed { color: #fff; background: #c62828; }
.skipped { background: #e0e0e0; } .xfailed { background: #ffe0b2; } .xpassed { background: #c8e6c9; }
.verdict { font-weight: bold; padding: .1em .5em; border-radius: .3em; }
blockquote { margin: .5em 0; padding-left: 1em; border-left: 4px solid #bbb; color: #444; }
pre { background: #f5f5f5; padding: .6em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
section { border-top: 1px solid #ddd; margin-top: 1em; } code { background: #f0f0f0; }
"""


def to_html(header, summary, entries, points, is_mock) -> str:
    e_ = html.escape

    def badge(verdict: str, words: str | None = None) -> str:
        return f'<span class="verdict {e_(verdict)}">{e_(words or verdict)}</span>'

    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<title>HuskyVoice API conformance</title>", f"<style>{CSS}</style></head><body>",
           "<h1>HuskyVoice API conformance</h1>", "<dl>"]
    out += [f"<dt>{e_(k)}</dt><dd>{f'<code>{e_(v)}</code>' if k == 'Reproduce' else e_(v)}</dd>" for k, v in header]
    out += ["</dl>", f"<p><strong>{e_(summary)}</strong></p>", "<h2>Clauses</h2>",
            "<table><tr><th>Clause</th><th>Verdict</th><th>Tests</th></tr>"]
    out += [f'<tr><td><a href="#{e_(e["id"])}">{e_(e["id"])}</a></td><td class="{e_(e["verdict"])}">'
            f'{e_(e["verdict"])}</td><td>{e_(tally(e["count"]))}</td></tr>' for e in entries]
    out += ["</table>", "<h2>Details</h2>"]
    for e in entries:
        out += [f'<section id="{e_(e["id"])}"><h3>{e_(e["id"])} {badge(e["verdict"])}</h3>',
                f"<p>doc: {e_(e['doc'])}</p><blockquote>{e_(e['quote'])}</blockquote><ul>"]
        out += [f"<li><code>{e_(t)}</code>: {e_(tally(c))}</li>" for t, c in e["tests"].items()]
        out += ["</ul>"] if e["tests"] else ["<li>no test of this run enforces it</li></ul>"]
        if e["reasons"]:
            out.append(f"<p>{e_(skip_note(e))}</p>")
        for nodeid, text in e["failures"]:
            out.append(f"<p>Failure of <code>{e_(nodeid)}</code>:</p><pre>{e_(text)}</pre>")
        if e["more_failures"]:
            out.append(f"<p>… and {e['more_failures']} more failures (see the terminal output).</p>")
        out.append("</section>")
    out.append("<h2>Open points</h2>")
    out.append(f"<p>{e_(open_intro(is_mock))}</p>")
    out.append("<ul>" if points else "<p>No test of this run checks an open point.</p>")
    for p in points:
        out.append(f"<li><strong>{e_(p['decision'])}</strong> <code>{e_(p['test'])}</code>: "
                   f"{badge(p['outcome'], open_words(p, is_mock))}")
        if p.get("evidence"):
            out.append(f"<pre>{e_(p['evidence'])}</pre>")
        out.append("</li>")
    out += ["</ul>" if points else "", "</body></html>"]
    return "\n".join(out) + "\n"
