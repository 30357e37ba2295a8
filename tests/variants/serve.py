"""Serve one variant of the mock, as `huskyvoice-mock` serves the real one.

    python -m tests.variants.serve VARIANT --port N            # patch, then serve on 127.0.0.1:N
    python -m tests.variants.serve unpatched --port N          # the mock as shipped
    python -m tests.variants.serve VARIANT --foreign --env-out F --port N
    python -m tests.variants.serve --list                      # every variant, broken and legitimate

One uvicorn worker, the default rate limit and the bundled fixtures, responses not
self-validated: the defaults of mock_server/cli.py. The variant's patches are entered
before the app is built.

Mock mode serves the control API (loopback). `--foreign` serves none, as any other
server would be met: it seeds three calls instead (one in progress, two completed)
and writes their ids to the `--env-out` file as the JSON object of the environment
variables the suite reads (IN_PROGRESS_CALL_ID, COMPLETED_CALL_ID, DELETABLE_CALL_ID).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

UNPATCHED = "unpatched"


def all_variants():
    from .broken import VARIANTS as BROKEN
    from .legitimate import VARIANTS as LEGITIMATE
    return [*BROKEN, *LEGITIMATE]


def by_name(name: str):
    for v in all_variants():
        if v.name == name:
            return v
    raise KeyError(f"no variant named {name!r}; known: {', '.join(v.name for v in all_variants())}")


def seed_calls(state) -> dict[str, str]:
    """Three calls a foreign-mode run needs, stored as a real server's history would hold them
    (the control API's seeding format, so no variant's patched store operation is involved):
    created an hour ago, one still in progress (for a day), two completed."""
    from mock_server.clock import isoformat_z
    from mock_server.snapshot import parse_call

    now = state.clock.now()
    hour_ago, later = isoformat_z(now - timedelta(hours=1)), isoformat_z(now + timedelta(days=1))
    ids = {}
    for variable, status in (("IN_PROGRESS_CALL_ID", "in_progress"), ("COMPLETED_CALL_ID", "completed"),
                             ("DELETABLE_CALL_ID", "completed")):
        raw = {"agent_id": "agent_123", "contact_number": "+919876543210", "status": status,
               "created_at": hour_ago, "scheduled_at": hour_ago, "started_at": hour_ago,
               **({"ends_at": later} if status == "in_progress" else {"updated_at": isoformat_z(now)})}
        call = state.calls.add(parse_call(raw, variable, now, state.settings.lifecycle))
        ids[variable] = call.call_id
    return ids


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.variants.serve", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("variant", nargs="?", help=f"a variant name (see --list), or {UNPATCHED!r}")
    p.add_argument("--list", action="store_true", help="list the variants and exit")
    p.add_argument("--foreign", action="store_true", help="no control API; seed calls and write their ids")
    p.add_argument("--env-out", type=Path, help="with --foreign: where to write the seeded calls' ids (JSON)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=4010)
    p.add_argument("--log-level", default="warning")
    args = p.parse_args(argv)

    if args.list:
        for v in all_variants():
            kind = "legitimate" if v.legitimate else "broken"
            gap = "" if v.expected_caught else f"  [NOT caught: {v.reason}]"
            print(f"{kind:10s} {v.name:48s} {v.clause:28s} {v.description}{gap}")
        return 0
    if not args.variant:
        p.error("name a variant, or pass --list")
    try:
        chosen = None if args.variant == UNPATCHED else by_name(args.variant)
    except KeyError as exc:
        p.error(str(exc.args[0]))
    if args.foreign and args.env_out is None:
        p.error("--foreign needs --env-out FILE")

    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    from mock_server import app as app_module, cli
    from mock_server.state import Settings, State

    with chosen.apply() if chosen else nullcontext():
        state = State(Settings())
        app = app_module.create_app(state, validate_responses=False, control=not args.foreign)
        if args.foreign:
            args.env_out.write_text(json.dumps(seed_calls(state)))
        label = chosen.name if chosen else UNPATCHED
        what = "" if chosen is None else f" ({'differs where the docs are silent: ' if chosen.legitimate else 'breaks '}{chosen.clause})"
        print(f"variant '{label}'{what}{' [foreign: no control API]' if args.foreign else ''}: "
              f"http://{args.host}:{args.port}/v1", flush=True)
        cli.Serving(args, app, not args.foreign, cli.server_for(app, args.host, args.port, log_level=args.log_level)).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
