"""`make fuzz`: a long Schemathesis CLI campaign (all phases, positive and negative
data, every check) against a freshly started bundled mock; prints how many
requests it sent. `FUZZ_EXAMPLES` sets the cases per operation and phase."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .run import ROOT, bundled_mock

CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"


def main() -> int:
    examples = os.environ.get("FUZZ_EXAMPLES", "1000")
    seed = os.environ.get("SEED", "")
    reports = ROOT / "reports"
    reports.mkdir(exist_ok=True)
    with bundled_mock(["--rate-limit", "off"]) as base:
        command = [
            str(Path(sys.executable).with_name("st")), "--config-file", str(CONFIG), "run", str(ROOT / "openapi.yaml"),
            "--url", base, "-H", "Authorization: Bearer YOUR_API_KEY",
            "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful", "--mode", "all",
            "--max-examples", examples, "--no-color", "--continue-on-failure",
            "--report", "junit", "--report-junit-path", str(reports / "fuzz.xml"),
            *(["--seed", seed] if seed else []),
        ]
        env = dict(os.environ, SCHEMATHESIS_HOOKS="contract_tests.fuzz_hooks", PYTHONPATH=str(ROOT))
        return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
