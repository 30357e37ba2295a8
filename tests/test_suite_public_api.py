"""The contract suite uses Schemathesis only through its public API (issue 14, point 3):
a subclass that copies or overrides a library's internals silently stops matching the
library when it changes, as the stateful recorder bug showed.

Public here means: the names the top-level `schemathesis` package exports (`__all__`),
the loader and plugin namespaces, `schemathesis.checks` (every registered check by its
name), the failure classes in `schemathesis.openapi.checks` that `filter_failure` hooks
receive, and, on a state machine from `schema.as_state_machine()`, the hooks the stateful
testing guide and the `APIStateMachine` reference document."""
from __future__ import annotations

import ast
from pathlib import Path

import schemathesis
import schemathesis.checks

SUITE = Path(__file__).resolve().parent.parent / "contract_tests"
PUBLIC_MODULES = {"schemathesis", "schemathesis.checks", "schemathesis.errors", "schemathesis.openapi",
                  "schemathesis.openapi.checks", "schemathesis.pytest", "schemathesis.graphql"}
# `validate_response` is left out: an override has to hand Schemathesis' own recorder back to
# `case.validate_response`, or use_after_free and ensure_resource_availability never fire.
STATE_MACHINE_HOOKS = {"setup", "teardown", "before_call", "after_call", "get_call_kwargs"}


def modules() -> dict[str, ast.Module]:
    return {path.name: ast.parse(path.read_text(), filename=str(path)) for path in sorted(SUITE.glob("*.py"))}


def schemathesis_imports(tree: ast.Module) -> list[tuple[str, list[str]]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names if alias.name.split(".")[0] == "schemathesis"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.split(".")[0] == "schemathesis":
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def test_contract_tests_import_only_public_schemathesis_modules():
    """No import from schemathesis.specs, .core, .engine, .generation or any other module outside the public API."""
    private = [(name, module) for name, tree in modules().items()
               for module, _ in schemathesis_imports(tree) if module not in PUBLIC_MODULES]
    assert private == []


def test_contract_tests_take_from_the_schemathesis_package_only_what_it_exports():
    """`from schemathesis import X` and `schemathesis.X` name only what `schemathesis.__all__` lists."""
    exported = set(schemathesis.__all__)
    unexported = []
    for name, tree in modules().items():
        unexported += [(name, item) for module, items in schemathesis_imports(tree) if module == "schemathesis"
                       for item in items if item not in exported]
        unexported += [(name, node.attr) for node in ast.walk(tree)
                       if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                       and node.value.id == "schemathesis" and node.attr not in exported]
    assert unexported == []


def test_contract_tests_read_no_private_attribute_of_another_object():
    """Outside `self`, no `_name` attribute is read or set (a library's private attribute changes without notice)."""
    private = [(name, node.lineno, node.attr) for name, tree in modules().items() for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
               and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))]
    assert private == []


def test_state_machines_override_only_the_documented_hooks():
    """A machine from `schema.as_state_machine()` overrides only the documented hooks, never validate_response."""
    machines = {}
    for name, tree in modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(base, ast.Call) and isinstance(base.func, ast.Attribute)
                    and base.func.attr == "as_state_machine" for base in node.bases):
                machines[f"{name}:{node.name}"] = {item.name for item in node.body
                                                   if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
    assert machines, "no state machine found in contract_tests/: the scan no longer sees test_stateful's Workflow"
    assert {machine: methods - STATE_MACHINE_HOOKS for machine, methods in machines.items()} == \
        {machine: set() for machine in machines}


def test_the_stateful_checks_are_named_as_schemathesis_registers_them():
    """Every name in STATEFUL_CHECKS is a check Schemathesis knows: a misspelt name would silently run nothing."""
    # Read from the source: importing a contract_tests test module here would need its pytest markers.
    names = next(ast.literal_eval(node.value) for node in modules()["test_stateful.py"].body
                 if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "STATEFUL_CHECKS")
    assert names and [name for name in names if not callable(getattr(schemathesis.checks, name, None))] == []
