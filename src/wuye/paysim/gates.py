"""A simulated car-park gate (道闸) for the demo and the tests: it reads a plate, sends the event to Wuye
signed with its device key (``wuye.core.devices``), and opens when told; when told to collect, its
screen shows the amount and the pay page's address (the QR code a real gate's screen shows)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

import requests

from wuye.core.devices import device_headers
from wuye.core.references import PAYSIM_KEYS_DIR

DEVICE_KEY_REF = "paysim:device_test_key.txt"


def device_test_key() -> str:
    return (PAYSIM_KEYS_DIR / "device_test_key.txt").read_text(encoding="utf-8").strip()


@dataclass
class GateSim:
    base_url: str  # Wuye's address, e.g. http://127.0.0.1:8000
    device_id: str
    key: str = field(default_factory=device_test_key)
    is_open: bool = False
    screen: dict = field(default_factory=dict)  # the last answer: action, reason, due_fen, pay_url

    def car(self, plate: str, *, event_id: str = "", at: str = "", photo: str = "", session=None) -> dict:
        """A car in front of the gate: send the event, open if told to. Returns Wuye's answer (with
        ``status``, the HTTP status)."""
        body = json.dumps(
            {
                "plate": plate,
                "event_id": event_id or uuid.uuid4().hex,
                "photo": photo,
                **({"at": at} if at else {}),
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            **device_headers(key=self.key, device_id=self.device_id, body=body),
        }
        poster = session or requests
        response = poster.post(
            f"{self.base_url.rstrip('/')}/parking/gates/events", data=body, headers=headers, timeout=10
        )
        answer = {"status": response.status_code, **response.json()}
        self.screen = answer
        self.is_open = answer.get("action") == "open"
        return answer
