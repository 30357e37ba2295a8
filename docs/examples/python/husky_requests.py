"""A tiny HuskyVoice client on `requests`, as an integrator might write one: schedule a call,
read it, ask for availability; a 429 is retried after its Retry-After (three tries)."""
from __future__ import annotations

import time

import requests


class HuskyClient:
    def __init__(self, base_url: str, headers: dict[str, str], attempts: int = 3) -> None:
        self.base_url, self.attempts = base_url.rstrip("/"), attempts
        self.http = requests.Session()
        self.http.headers.update(headers)  # Authorization (and, under test, X-Mock-Session)

    def _send(self, method: str, path: str, **kwargs) -> dict:
        for attempt in range(1, self.attempts + 1):
            response = self.http.request(method, self.base_url + path, timeout=10, **kwargs)
            if response.status_code == 429 and attempt < self.attempts:
                time.sleep(int(response.headers.get("Retry-After", "1")))
                continue
            response.raise_for_status()
            return response.json()
        raise AssertionError("unreachable")

    def schedule_call(self, agent_id: str, contact_number: str, **extra) -> dict:
        return self._send("POST", "/calls", json={"agent_id": agent_id, "contact_number": contact_number, **extra})["data"]

    def get_call(self, call_id: str) -> dict:
        return self._send("GET", f"/calls/{call_id}")["data"]

    def availability(self, date: str, session: str | None = None) -> list[dict]:
        params = {"date": date, **({"session": session} if session else {})}
        return self._send("GET", "/appointment-slots/availability", params=params)["slots"]
