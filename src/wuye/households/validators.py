"""Checks on archive input, shared by forms, the Excel importer and the API."""

from __future__ import annotations

import re

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


def validate_id_number(value: str) -> None:
    if value and not ID_NUMBER.match(value):
        raise ValidationError(_("An ID number has 18 characters: 17 digits and a digit or X."), code="id")


def validate_plate(value: str) -> None:
    if value and not PLATE.match(value.upper()):
        raise ValidationError(_("%(value)s is not a licence plate like 京A12345."), params={"value": value})
