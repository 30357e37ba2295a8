"""The conformance report (placeholder: being written)."""
from __future__ import annotations


class ConformanceReport:
    def __init__(self, config) -> None:
        self.config = config
