"""The bundled mock's control API, as the suite uses it: always in the suite's own
X-Mock-Session when the suite did not start the mock, so a mock someone is using by
hand keeps its state (the suite resets only what it owns)."""
from __future__ import annotations

import requests

from .target import Target, control_url, offers_control


class Control:
    def __init__(self, target: Target) -> None:
        self.base = control_url(target.base_url)
        self.headers = target.session_headers
        self.session = target.session

    def _post(self, path: str, body: dict | None = None) -> requests.Response:
        response = requests.post(f"{self.base}{path}", json=body, headers=self.headers, timeout=10)
        response.raise_for_status()
        return response

    def reset(self) -> None:
        """Back to the fixtures: the suite's own session, or the default state when the suite owns it."""
        self._post("/reset")

    def transition(self, call_id: str, status: str) -> None:
        self._post(f"/calls/{call_id}/transition", {"status": status})

    def advance(self, seconds: float) -> None:
        self._post("/clock/advance", {"seconds": seconds})

    def drop_session(self) -> None:
        if self.session:
            requests.delete(f"{self.base}/sessions/{self.session}", timeout=10)


def control_for(target: Target) -> Control | None:
    """The control API when the target is the bundled mock and offers one."""
    return Control(target) if target.is_mock and offers_control(target.base_url) else None
