"""Encryption of sensitive identifiers (ID numbers) at rest, and masking for display."""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


@cache
def _fernet(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def encrypt(text: str) -> str:
    return _fernet(settings.FIELD_KEY).encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.FIELD_KEY).decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def mask(text: str, *, keep_start: int = 3, keep_end: int = 4) -> str:
    """110105199001011234 → 110***********1234; short values are masked whole but the end."""
    if not text:
        return ""
    if len(text) <= keep_start + keep_end:
        return "*" * max(len(text) - 2, 1) + text[-2:]
    return text[:keep_start] + "*" * (len(text) - keep_start - keep_end) + text[-keep_end:]


def mask_name(name: str) -> str:
    """王小明 → 王**: enough for an owner to recognise the receipt, too little to identify a stranger."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*"
    return name[0] + "*" * (len(name) - 1)


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees plain text. Not searchable by design."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
