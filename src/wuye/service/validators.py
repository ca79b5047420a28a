"""Checks on service input shared by the console, the portal and the API."""

from __future__ import annotations

from django.conf import settings

from wuye.households.validators import sniff_document

PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})
MAX_PHOTOS = 9
STARS = range(1, 6)


def sniff_photo(head: bytes) -> str | None:
    """The photo's type by its first bytes (never by its name or the browser's header): JPEG or PNG."""
    content_type = sniff_document(head)
    return content_type if content_type in PHOTO_TYPES else None


def photo_max_bytes() -> int:
    return settings.UPLOAD_MAX_BYTES
