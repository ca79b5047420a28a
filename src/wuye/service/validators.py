"""Checks on service input shared by the console, the portal and the API."""

from __future__ import annotations

from django.conf import settings

# Photos are checked by content in ``wuye.core.uploads`` (JPEG, PNG, WebP or GIF, decoded).
MAX_PHOTOS = 9
STARS = range(1, 6)


def photo_max_bytes() -> int:
    return settings.UPLOAD_MAX_BYTES
