"""What a variant is: a name, what it changes, and an `apply()` context manager that
monkeypatches the mock in the current process with `unittest.mock.patch.object` (a
store method, a handler, the validator, an error class, the Contract read from
openapi.yaml, or the app itself). No file of mock_server/ is edited: `serve.py` enters
`apply()` and then builds and serves the app, so the patches are in place before
`create_app` binds the handlers and reads the contract."""
from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator
from unittest.mock import patch

from mock_server import spec as spec_module, validation


@dataclass(frozen=True)
class Variant:
    name: str
    clause: str  # broken: the clause of contract_tests/clauses.yaml it breaks; legitimate: the decision it takes otherwise
    description: str
    patcher: Callable[[ExitStack], None]  # enters the variant's patches on the stack
    legitimate: bool = False
    expected_caught: bool = True
    reason: str = ""  # why the suite misses it, when expected_caught is False
    report_names_clause: bool = True  # the suite's failure report prints "Documented clause <clause>"
    report_gap: str = ""  # why it does not, when report_names_clause is False

    @contextmanager
    def apply(self) -> Iterator[None]:
        """Patch the mock for as long as the block runs."""
        with ExitStack() as stack:
            self.patcher(stack)
            yield


def registrar(registry: list[Variant], **defaults) -> Callable:
    """A decorator that adds a variant, named by its arguments and made by the function, to `registry`."""
    def variant(name: str, clause: str, description: str, **kw) -> Callable:
        def register(patcher: Callable[[ExitStack], None]) -> Callable[[ExitStack], None]:
            registry.append(Variant(name, clause, description, patcher, **defaults, **kw))
            return patcher
        return register
    return variant


def contract_patch(stack: ExitStack, change: Callable[[spec_module.Contract], spec_module.Contract]) -> None:
    """Make create_app see a changed Contract for openapi.yaml (the control spec is left alone)."""
    original = spec_module.load

    def load(path=spec_module.SPEC_PATH):
        contract = original(path)
        return change(contract) if "getCall" in contract.required_scope else contract

    stack.enter_context(patch.object(spec_module, "load", load))


def body_error_without(stack: ExitStack, drop: Callable) -> None:
    """The body validator forgets the schema errors `drop` matches."""
    original = validation.body_error

    def body_error(errs):
        return original([e for e in errs if not drop(e)])

    stack.enter_context(patch.object(validation, "body_error", body_error))


COMPUTED = ("filled_slots", "available_slots")


def computed_counts_accepted(stack: ExitStack, on_sent: Callable | None = None) -> None:
    """A tracking PATCH carrying filled_slots or available_slots is accepted (200), not refused;
    `on_sent(record, {field: value})` sees what it sent. The other fields apply as usual."""
    from mock_server.handlers import slots as slots_handlers
    from mock_server.handlers.slots import SlotsApi
    from mock_server.validation import BodyValidator

    original_validate = BodyValidator._validate

    def validate(self, body):
        if isinstance(body, dict) and any(k in body for k in COMPUTED):
            rest = {k: v for k, v in body.items() if k not in COMPUTED}
            return original_validate(self, rest) if rest else None
        return original_validate(self, body)

    original_handler = SlotsApi.update_tracking_record

    async def update_tracking_record(self, slot_id, body):
        record = self.state.slots.record(slot_id)
        if on_sent is not None:
            on_sent(record, {k: body[k] for k in COMPUTED if k in body})
        rest = {k: v for k, v in body.items() if k not in COMPUTED}
        if not rest:
            return {"success": True, "data": slots_handlers.record_body(record)}, 200
        return await original_handler(self, slot_id, rest)

    stack.enter_context(patch.object(BodyValidator, "_validate", validate))
    stack.enter_context(patch.object(SlotsApi, "update_tracking_record", update_tracking_record))
