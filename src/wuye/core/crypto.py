"""Encryption of sensitive identifiers (ID numbers) at rest, and masking for display.

Values are Fernet tokens under the field key (``settings.FIELD_KEY``). Keys rotate: a value is
always written under the current key and read under any of the keys in ``settings.FIELD_KEYS_OLD``
too, until ``wuye fieldkeys rotate`` has rewritten every value under the current key. A value that
no key opens raises :class:`UndecryptableValue`; it never reads as empty, because the next save
would then write the empty value over the only copy of the number.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class UndecryptableValue(Exception):  # noqa: N818 (the name says what was found, as InvalidToken does)
    """A stored value that none of the configured field keys opens: the key is wrong or missing."""

    def __init__(self, field: str = "") -> None:
        where = f"{field}: " if field else ""
        super().__init__(
            f"{where}a stored encrypted value cannot be decrypted with WUYE_FIELD_KEY nor any key in "
            "WUYE_FIELD_KEYS_OLD. The field key is wrong: set the key the value was written with "
            "(as WUYE_FIELD_KEY, or in WUYE_FIELD_KEYS_OLD while rotating)."
        )
        self.field = field


@cache
def _fernet(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def current_key() -> Fernet:
    """The key every value is written with."""
    return _fernet(settings.FIELD_KEY)


@cache
def _keys(current: str, old: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet(current), *(_fernet(key) for key in old if key != current)])


def keys() -> MultiFernet:
    """Encrypts with the current key, decrypts with the current key or any old one."""
    return _keys(settings.FIELD_KEY, tuple(settings.FIELD_KEYS_OLD))


def encrypt(text: str) -> str:
    return keys().encrypt(text.encode()).decode()


def decrypt(token: str, *, field: str = "") -> str:
    """The plain text of ``token``; raises :class:`UndecryptableValue` when no key opens it."""
    try:
        return keys().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableValue(field) from None


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
        return decrypt(value, field=f"{self.model._meta.label}.{self.name}")

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
