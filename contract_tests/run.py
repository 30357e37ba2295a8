"""`huskyvoice-contract [--target URL]` (or `python -m contract_tests.run`): the contract
suite, as `make test` runs it, from a checkout or from an installed kit.

Without --target it starts a fresh bundled mock on a free loopback port, runs the
suite against it with the mock's own choices checked too, and stops it. With
--target it runs against that server only. JUnit XML and the conformance reports go
to --report-dir (default reports/). Anything after `--` goes to pytest.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

SUITE = Path(__file__).resolve().parent
ROOT = SUITE.parent  # the checkout, or site-packages for an installed kit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the mock exited with status {process.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the mock did not answer at {url} within {timeout:.0f} s")


@contextmanager
def bundled_mock(extra_args: list[str]):
    port = free_port()
    command = [sys.executable, "-m", "mock_server", "--port", str(port), "--validate-responses", *extra_args]
    process = subprocess.Popen(command)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_up(f"{base}/appointment-slots/availability", process)
        yield base
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """Terminate, and kill if it does not go within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="huskyvoice-contract", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", help="base URL of the server under test, e.g. https://api.huskyvoice.ai/v1 "
                                         "(default: a fresh bundled mock)")
    parser.add_argument("--keys", help="keys file (default: the bundled fixtures/api_keys.yaml)")
    parser.add_argument("--profile", default=os.environ.get("PROFILE", "fast"), choices=("fast", "deep"))
    parser.add_argument("--seed", type=int, help="Hypothesis seed (default: a new one, printed)")
    parser.add_argument("--report-dir", default=os.environ.get("REPORT_DIR", "reports"),
                        help="JUnit XML and the conformance reports (default: reports/)")
    parser.add_argument("--cassette", type=Path, metavar="FILE.har",
                        help="check recorded traffic offline instead (huskyvoice-mock --proxy … --record FILE.har)")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args(argv)
    if args.cassette:
        from .cassette import main as replay
        return replay(args.cassette, Path(args.report_dir))

    env = dict(os.environ, PROFILE=args.profile)
    if args.keys:
        env["KEYS"] = args.keys
    if args.seed is not None:
        env["SEED"] = str(args.seed)
    if Path(parser.prog).name == Path(sys.argv[0]).name:
        env["HUSKYVOICE_CONTRACT_CLI"] = "1"  # failures say how to run again with this command
    reports = Path(args.report_dir).resolve()
    reports.mkdir(parents=True, exist_ok=True)
    # The suite's own pytest.ini and the parent directory as rootdir: the same settings and the same
    # test ids (contract_tests/test_….py::…) from a checkout and from site-packages.
    pytest_cmd = [sys.executable, "-m", "pytest", str(SUITE), "-c", str(SUITE / "pytest.ini"), "--rootdir", str(ROOT),
                  f"--junitxml={reports / 'contract-tests.xml'}", "-o", "junit_family=xunit2",
                  "--report-dir", str(reports), *args.pytest_args]

    stop_on_signals()
    if args.target:
        env.pop("HUSKYVOICE_BUNDLED_MOCK", None)
        return run_to_the_end([*pytest_cmd, "--target", args.target], env)
    with bundled_mock([]) as base:
        env["HUSKYVOICE_BUNDLED_MOCK"] = "1"
        return run_to_the_end([*pytest_cmd, "--target", base], env)


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP end the run as Ctrl-C does: through the `finally`s that stop the suite
    and the mock this run started (left to the default handlers, they orphaned the mock)."""
    def leave(signum, frame):
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, leave)


def run_to_the_end(command: list[str], env: dict) -> int:
    process = subprocess.Popen(command, env=env)
    try:
        return process.wait()
    finally:
        if process.poll() is None:
            stop(process)


if __name__ == "__main__":
    sys.exit(main())
