"""Legitimate variants of the bundled mock: each differs from it only where the docs are
silent (see base.py for what a variant is), and names the decision of docs/decisions.md
it takes otherwise. Run in foreign mode (no control API, seeds by environment), the
contract suite must pass every one: it checks what the docs state and nothing more.
"""
from __future__ import annotations

from unittest.mock import patch

from mock_server.handlers import slots as slots_handlers
from mock_server.handlers.slots import SlotsApi
from mock_server.validation import BodyValidator

from .base import Variant, registrar

VARIANTS: list[Variant] = []
variant = registrar(VARIANTS, legitimate=True)
COMPUTED = ("filled_slots", "available_slots")


@variant("patch_ignores_computed_counts", "D-unknown-body-fields",
         "PATCH with filled_slots or available_slots is answered 200 and the counts are left as they were: "
         "they 'cannot be set directly', and are not")
def _(stack):
    original_validate = BodyValidator._validate

    def validate(self, body):
        if isinstance(body, dict) and any(k in body for k in COMPUTED):
            rest = {k: v for k, v in body.items() if k not in COMPUTED}
            return original_validate(self, rest) if rest else None
        return original_validate(self, body)

    original_handler = SlotsApi.update_tracking_record

    async def update_tracking_record(self, slot_id, body):
        rest = {k: v for k, v in body.items() if k not in COMPUTED}
        if not rest:
            return {"success": True, "data": slots_handlers.record_body(self.state.slots.record(slot_id))}, 200
        return await original_handler(self, slot_id, rest)

    stack.enter_context(patch.object(BodyValidator, "_validate", validate))
    stack.enter_context(patch.object(SlotsApi, "update_tracking_record", update_tracking_record))
