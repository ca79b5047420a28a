"""Encryption of sensitive identifiers (ID numbers) at rest, and masking for display.

Values are AES-256-GCM under the field key (``settings.FIELD_KEY``): ``g1.`` + base64 of a random
96-bit nonce and the ciphertext with its tag (about 5 µs to open, where a Fernet token took 60 µs: a
debit file decrypts a card number per line). Values written before are Fernet tokens, still read.
Keys rotate: a value is always written under the current key and read under any of the keys in
``settings.FIELD_KEYS_OLD`` too, until ``wuye fieldkeys rotate`` has rewritten every value under the
current key (Fernet tokens included). A value that
no key opens raises :class:`UndecryptableValue`; it never reads as empty, because the next save
would then write the empty value over the only copy of the number.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
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


PREFIX = "g1."


@cache
def _aead(key: str) -> AESGCM:
    return AESGCM(hashlib.sha256(("aes-gcm:" + key).encode()).digest())


def encrypt(text: str) -> str:
    nonce = os.urandom(12)
    sealed = _aead(settings.FIELD_KEY).encrypt(nonce, text.encode(), None)
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt_state(token: str, *, field: str = "") -> tuple[str, bool]:
    """(plain text, whether it is under the current key in the current form); raises
    :class:`UndecryptableValue` when no key opens it."""
    if token.startswith(PREFIX):
        try:
            raw = _sealed(token)
        except ValueError:
            raise UndecryptableValue(field) from None
        try:  # the current key first, without more: a debit file opens 100,000 card numbers
            return _aead(settings.FIELD_KEY).decrypt(raw[:12], raw[12:], None).decode(), True
        except InvalidTag:
            pass
        for key in settings.FIELD_KEYS_OLD:
            try:
                return _aead(key).decrypt(raw[:12], raw[12:], None).decode(), False
            except InvalidTag:
                continue
        raise UndecryptableValue(field)
    try:  # a Fernet token written before AES-GCM: read, and rewritten by ``wuye fieldkeys rotate``
        return keys().decrypt(token.encode()).decode(), False
    except InvalidToken:
        raise UndecryptableValue(field) from None


def decrypt_many(tokens: Iterable[str | None], *, field: str = "") -> list[str | None]:
    """``decrypt`` of many values (a debit file opens a card number per line): the current key is
    looked up once and tried first; None and "" stay as they are (as the field reads them)."""
    current = _aead(settings.FIELD_KEY)
    opened: list[str | None] = []
    for token in tokens:
        if not token:
            opened.append(token)
            continue
        if token.startswith(PREFIX):
            try:
                raw = _sealed(token)
                opened.append(current.decrypt(raw[:12], raw[12:], None).decode())
                continue
            except (binascii.Error, InvalidTag):
                pass  # an old key, or not ours: the one-by-one path says which
        opened.append(decrypt(token, field=field))
    return opened


_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _sealed(token: str) -> bytes:
    """The nonce and ciphertext of a ``g1.`` token (binascii.Error, a ValueError, when it is not base64)."""
    return binascii.a2b_base64(token[len(PREFIX) :].encode().translate(_URLSAFE), strict_mode=True)


def decrypt(token: str, *, field: str = "") -> str:
    """The plain text of ``token``; raises :class:`UndecryptableValue` when no key opens it."""
    return decrypt_state(token, field=field)[0]


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
    """Stores ciphertext (see the module); Python code sees plain text. Not searchable by design."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value, field=f"{self.model._meta.label}.{self.name}")

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
