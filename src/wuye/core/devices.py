"""Requests from devices on site (parking gates, doors): each signed with the device's shared key.

A device sends ``X-Wuye-Device`` (its id), ``X-Wuye-Timestamp`` (Unix seconds) and ``X-Wuye-Signature``:
the hex HMAC-SHA256, under its key, of ``"<device id>\\n<timestamp>\\n"`` followed by the body bytes.
A request is refused when a header is missing, the device is unknown or inactive, the timestamp is more
than ``MAX_SKEW_SECONDS`` away from our clock (an old request replayed), or the signature differs
(compared in constant time). The events a device reports carry their own ids, recorded once by the app
that receives them, so a request replayed within the window changes nothing either.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from django.utils.translation import gettext as _

DEVICE_HEADER = "X-Wuye-Device"
TIMESTAMP_HEADER = "X-Wuye-Timestamp"
SIGNATURE_HEADER = "X-Wuye-Signature"
MAX_SKEW_SECONDS = 300


class DeviceRefusedError(Exception):
    """A device request refused before anything was read from its body; the message is translated."""


def device_signature(*, key: str, device_id: str, timestamp: str, body: bytes) -> str:
    message = f"{device_id}\n{timestamp}\n".encode() + body
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def device_headers(*, key: str, device_id: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The headers a device sends with ``body`` (the simulators and the tests sign with this)."""
    timestamp = str(int(now if now is not None else time.time()))
    return {
        DEVICE_HEADER: device_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: device_signature(key=key, device_id=device_id, timestamp=timestamp, body=body),
    }


def device_verify(request, *, key_for: Callable[[str], str | None], now: float | None = None) -> str:
    """The id of the device that signed ``request``; DeviceRefusedError otherwise. ``key_for(device_id)``
    gives the key of an active device, None for an unknown or inactive one."""
    device_id = request.headers.get(DEVICE_HEADER, "")[:64]
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")[:16]
    signature = request.headers.get(SIGNATURE_HEADER, "")[:128]
    if not (device_id and timestamp.isdigit() and signature):
        raise DeviceRefusedError(_("The request is not signed by a device."))
    now = now if now is not None else time.time()
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        raise DeviceRefusedError(_("The request's time is too far from ours: check the device's clock."))
    key = key_for(device_id)
    expected = device_signature(key=key or "\0", device_id=device_id, timestamp=timestamp, body=request.body)
    if not hmac.compare_digest(expected, signature) or not key:
        raise DeviceRefusedError(_("The device or its signature is not recognised."))
    return device_id
