"""`huskyvoice-mock`: serve the mock in one process (in-memory state does not
survive several workers: each would hold its own copy)."""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import errno
import ipaddress
import logging
import os
import socket
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from .fixtures import DEFAULT_DIR, KINDS, FixtureError
from .state import DEFAULT_RATE_LIMIT, Settings, State
from .store.calls import Lifecycle
from .store.keys import RateLimitSpec


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def rate_limit(value: str) -> RateLimitSpec | None:
    if value == "off":
        return None
    try:
        burst, per_second = value.split("/")
        return RateLimitSpec(int(burst), float(per_second))
    except ValueError:
        raise argparse.ArgumentTypeError("use BURST/PER_SECOND (e.g. 1000/100) or off") from None


def port(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{number} is not a TCP port: use 1 to 65535")
    return number


def bind(host: str, number: int) -> socket.socket:
    """The listening address, bound here so that the banner names a socket that is ours."""
    family, kind, proto, _, address = socket.getaddrinfo(host, number, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: restart at once after a stop
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def seconds(value: str) -> timedelta:
    try:
        return timedelta(seconds=float(value))
    except ValueError:
        raise argparse.ArgumentTypeError("a number of seconds") from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="huskyvoice-mock", description="Stateful mock of the HuskyVoice API.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port, default=4010, help="1 to 65535 (default 4010)")
    p.add_argument("--fixtures", type=Path, default=DEFAULT_DIR, metavar="DIR",
                   help="fixture directory (default: the bundled fixtures/)")
    default_rl = f"{DEFAULT_RATE_LIMIT.burst}/{DEFAULT_RATE_LIMIT.per_second:g}"
    p.add_argument("--rate-limit", type=rate_limit, default=DEFAULT_RATE_LIMIT, metavar="BURST/PER_SECOND",
                   help=f"default token bucket per API key, or 'off' (default {default_rl})")
    p.add_argument("--call-start-delay", type=seconds, default=Lifecycle().start_delay, metavar="SECONDS",
                   help="from creation to scheduled_at, when the call starts (default 120)")
    p.add_argument("--call-duration", type=seconds, default=Lifecycle().duration, metavar="SECONDS",
                   help="how long a call runs before it ends (default 180)")
    p.add_argument("--call-outcome", choices=("completed", "failed"), default="completed",
                   help="how calls end (default completed)")
    p.add_argument("--validate-responses", action="store_true",
                   help="check every response against openapi.yaml (slower; the project's tests use it)")
    p.add_argument("--no-control", action="store_true", help="do not serve the control API under /_mock")
    p.add_argument("--control-token", metavar="TOKEN", default=os.environ.get("HUSKYVOICE_CONTROL_TOKEN") or None,
                   help="require X-Mock-Control-Token: TOKEN on the control API (needed off loopback; "
                        "default: $HUSKYVOICE_CONTROL_TOKEN)")
    p.add_argument("--access-log", action="store_true", help="log each request line (never headers)")
    p.add_argument("--log-level", default="warning")
    return p


@contextlib.asynccontextmanager
async def _frozen_start(app):
    """Once the app is built, move everything start-up made (spec, validators, fixtures:
    ~58,000 objects) out of the garbage collector's reach: a full collection over them
    took 15 ms, a pause every request in flight waited for (p99 under load). No
    gc.collect() first: it would cost start-up those 15 ms to free a few start-up leftovers.

    Full collections are then considered every 100 middle-generation collections instead
    of 10. Under load they found nothing to free (stored calls and records hold no cycles)
    yet each paused every request in flight for as long as the heap was big: 40 s of
    POST /calls at 32 connections met 8 of them, up to 35 ms each, and none after. They still
    come, ten times less often; young cycles are still collected as often as before."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 100)
    yield


class Refused(Exception):
    """What the CLI says, instead of serving, when it cannot serve."""


@dataclasses.dataclass
class Serving:
    """The app and its server, bound but not yet serving (tests serve it in a thread)."""
    args: argparse.Namespace
    app: Any
    control: bool
    server: Any  # uvicorn.Server; `server.should_exit = True` stops it
    sock: socket.socket

    def run(self) -> None:
        self.server.run(sockets=[self.sock])


def build(args: argparse.Namespace) -> Serving:
    settings = Settings(fixtures=args.fixtures, rate_limit=args.rate_limit,
                        lifecycle=Lifecycle(start_delay=args.call_start_delay, duration=args.call_duration,
                                            outcome=args.call_outcome))
    try:
        state = State(settings)
    except FixtureError as exc:
        raise Refused(f"bad fixture: {exc}") from None
    import uvicorn
    from .app import create_app
    from .http_protocol import MockHttpProtocol
    control = not args.no_control and (is_loopback(args.host) or bool(args.control_token))
    app = create_app(state, validate_responses=args.validate_responses, control=control,
                     control_token=args.control_token, lifespan=_frozen_start)
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise Refused(f"port {args.port} on {args.host} is already in use (another mock still "
                          f"running?): stop it, or pass another --port") from None
        raise Refused(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level=args.log_level,
                            access_log=args.access_log, workers=1, http=MockHttpProtocol)
    return Serving(args, app, control, uvicorn.Server(config), sock)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        serving = build(args)
    except Refused as exc:
        print(f"huskyvoice-mock: {exc}", file=sys.stderr)
        return 2
    base = f"http://{args.host}:{args.port}/v1"
    print(f"HuskyVoice mock: {base}  (Swagger UI: {base}/ui/)", flush=True)
    if serving.control:
        print(f"Control API: http://{args.host}:{args.port}/_mock  (Swagger UI: http://{args.host}:{args.port}/_mock/ui/)",
              flush=True)
    elif not args.no_control:
        print("Control API: off (not on loopback; pass --control-token TOKEN to serve it)", flush=True)
    print(f"API keys and scopes: {args.fixtures / KINDS['api_keys'].file}  (try: Authorization: Bearer YOUR_API_KEY)",
          flush=True)
    serving.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
