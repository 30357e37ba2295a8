"""The mock as the CLI builds it (speed-ups on, rate limit off), served by another HTTP server, for
bench/prism_compare.py's `--also` rows: `python bench/serve_with.py uvicorn --port N`.

uvicorn is not a dependency of the kit (issue 14 moved it to granian): `pip install 'uvicorn[standard]'`
into .venv to run this row."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))  # the checkout under test (prism_compare's --mock-dir)

from mock_server import cli  # noqa: E402
from mock_server.app import create_app  # noqa: E402
from mock_server.state import Settings, State  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("server", choices=["uvicorn"])
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    app = create_app(State(Settings(rate_limit=None)), lifespan=cli._frozen_start, speedups=True)
    import uvicorn
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False,
                http="httptools", loop="uvloop")  # uvicorn's fastest, without our old protocol patch
    return 0


if __name__ == "__main__":
    sys.exit(main())
