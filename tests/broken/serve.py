"""Serve one broken variant of the mock, as `huskyvoice-mock` serves the real one.

    python -m tests.broken.serve VARIANT --port N   # patch, then serve on 127.0.0.1:N
    python -m tests.broken.serve unpatched --port N # the mock as shipped (control runs)
    python -m tests.broken.serve --list             # name, clause and description of each

One uvicorn worker, the control API on (loopback), the default rate limit and
the bundled fixtures, responses not self-validated: the defaults of
mock_server/cli.py. The variant's patches are entered before the app is built.
"""
from __future__ import annotations

import argparse
import logging
import sys
from contextlib import nullcontext

UNPATCHED = "unpatched"


def main(argv: list[str] | None = None) -> int:
    from .variants import VARIANTS, by_name

    p = argparse.ArgumentParser(prog="python -m tests.broken.serve", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("variant", nargs="?", help=f"a variant name (see --list), or {UNPATCHED!r}")
    p.add_argument("--list", action="store_true", help="list the variants and exit")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=4010)
    p.add_argument("--log-level", default="warning")
    args = p.parse_args(argv)

    if args.list:
        for v in VARIANTS:
            gap = "" if v.expected_caught else f"  [NOT caught: {v.reason}]"
            print(f"{v.name:48s} {v.clause:24s} {v.description}{gap}")
        return 0
    if not args.variant:
        p.error("name a variant, or pass --list")
    try:
        chosen = None if args.variant == UNPATCHED else by_name(args.variant)
    except KeyError as exc:
        p.error(str(exc.args[0]))

    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    import uvicorn

    from mock_server.app import create_app
    from mock_server.state import Settings, State

    with chosen.apply() if chosen else nullcontext():
        app = create_app(State(Settings()), validate_responses=False, control=True)
        label = chosen.name if chosen else UNPATCHED
        print(f"broken mock '{label}'"
              f"{f' (breaks {chosen.clause})' if chosen else ''}: http://{args.host}:{args.port}/v1", flush=True)
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False, workers=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
