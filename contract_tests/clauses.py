"""The clause catalogue: every sentence of the docs that states behaviour, with an
id. Tests name the clauses they enforce with @pytest.mark.clause(...); this
module (and `make clauses`) reads both and prints what is covered."""
from __future__ import annotations

import ast
import sys
from functools import lru_cache
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict]:
    document = yaml.safe_load((HERE / "clauses.yaml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in document["clauses"]}


def enforcing_tests() -> dict[str, list[str]]:
    """clause id → tests marked with it, read from the test files' source."""
    found: dict[str, list[str]] = {}
    for path in sorted(HERE.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for deco in node.decorator_list:
                if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)
                        and deco.func.attr == "clause"):
                    for arg in deco.args:
                        if isinstance(arg, ast.Constant):
                            found.setdefault(arg.value, []).append(f"{path.name}::{node.name}")
    return found


def main() -> int:
    clauses, tests = catalogue(), enforcing_tests()
    uncovered = [cid for cid in clauses if cid not in tests]
    unknown = sorted(set(tests) - set(clauses))
    for cid, clause in clauses.items():
        mark = "covered  " if cid in tests else "UNCOVERED"
        print(f"{mark} {cid}: \"{clause['quote']}\"")
        for test in tests.get(cid, []):
            print(f"            {test}")
    print(f"\n{len(clauses) - len(uncovered)} of {len(clauses)} clauses covered; {len(uncovered)} uncovered.")
    if unknown:
        print(f"Tests name clauses missing from clauses.yaml: {', '.join(unknown)}")
    return 1 if uncovered or unknown else 0


if __name__ == "__main__":
    sys.exit(main())
