"""The door simulator: plays a door's device as paysim plays the payment channels.

It signs each request with the door's key (by default paysim's public test key, which the demo's and the
tests' doors reference as ``paysim:device_test_key.txt``) and presents a card, QR code, face id or
visitor pass token to the device API, over HTTP or through a Django test client. The decision is the
server's (``domain.decide.access_decide``); the simulator only shows it.

    DoorSim(door, base_url="http://127.0.0.1:8000").present("pass", token)   # → SimAnswer
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

from wuye.access.domain.devices import Presented, device_body, device_headers, door_key
from wuye.access.models import Door

TEST_KEY_REF = "paysim:device_test_key.txt"
EVENTS_PATH = "/access/devices/v1/events/"


@dataclass(frozen=True)
class SimAnswer:
    status: int
    body: dict

    @property
    def granted(self) -> bool:
        return self.status == 200 and self.body.get("result") == "granted"


class DoorSim:
    def __init__(
        self,
        door: Door,
        *,
        base_url: str = "",
        client=None,
        key: str | None = None,
        wire_id: str | None = None,
    ):
        self.door = door
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.key = key if key is not None else (door_key(door) or "")
        self.wire_id = wire_id or door.wire_id

    def signed(self, body: bytes, *, now: float | None = None) -> dict[str, str]:
        return device_headers(key=self.key, device_id=self.wire_id, body=body, now=now)

    def send(self, body: bytes, headers: dict[str, str]) -> SimAnswer:
        if self.client is not None:
            response = self.client.post(
                EVENTS_PATH, data=body, content_type="application/json", headers=headers
            )
            return SimAnswer(response.status_code, _json(response.content))
        request = urllib.request.Request(  # noqa: S310 (the base URL is the operator's)
            self.base_url + EVENTS_PATH,
            data=body,
            headers={"Content-Type": "application/json", **headers},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return SimAnswer(response.status, _json(response.read()))
        except urllib.error.HTTPError as error:
            return SimAnswer(error.code, _json(error.read()))

    def present(
        self, kind: str, value: str, *, event_id: str | None = None, now: float | None = None
    ) -> SimAnswer:
        """Show ``value`` of ``kind`` (card, qr, face or pass) to the door; a fresh event id unless given."""
        body = device_body(Presented(event_id=event_id or uuid.uuid4().hex, kind=kind, value=value))
        return self.send(body, self.signed(body, now=now))


def _json(content: bytes) -> dict:
    try:
        data = json.loads(content or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
