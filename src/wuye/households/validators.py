"""Checks on archive input, shared by forms, the Excel importer and the API."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")
PLATE = re.compile(r"^[\u4e00-\u9fa5][A-Z][A-Z0-9]{5,6}$")


def normalise_phone(value: str) -> str:
    return re.sub(r"[\s\u00a0]", "", str(value or "")).removeprefix("+86")


def validate_phone(value: str) -> None:
    if value and not (MOBILE.match(value) or LANDLINE.match(value)):
        raise ValidationError(
            _("%(value)s is not a phone number (11-digit mobile, or landline like 010-12345678)."),
            params={"value": value},
            code="phone",
        )


# GB 11643: the 18th character of a resident ID is a check character over the first 17 (ISO 7064 MOD 11-2).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_PLATE_SEPARATORS = re.compile(r"[\s·•.\-_]")


def id_check_character(first17: str) -> str:
    """The check character of a resident ID whose first 17 characters are ``first17`` (digits)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def validate_id_number(value: str) -> None:
    if value and not ID_NUMBER.match(value):
        raise ValidationError(_("An ID number has 18 characters: 17 digits and a digit or X."), code="id")
    if value and id_check_character(value[:17]) != value[17].upper():
        raise ValidationError(
            _("%(value)s is not an ID number: its last character does not match the others (checksum)."),
            params={"value": value},
            code="id_checksum",
        )


def normalise_plate(value: str) -> str:
    """A plate as it is stored: 京A·12345, 京a 12345 and 京Ａ１２３４５ are 京A12345."""
    return _PLATE_SEPARATORS.sub("", unicodedata.normalize("NFKC", str(value or ""))).upper()


def validate_plate(value: str) -> None:
    if value and not PLATE.match(value.upper()):
        raise ValidationError(_("%(value)s is not a licence plate like 京A12345."), params={"value": value})
