"""Checks on owner input: phones that can receive a code, the code itself, the last four digits."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wuye.households.validators import MOBILE, normalise_phone

CODE = re.compile(r"^\d{6}$")
LAST_FOUR = re.compile(r"^[\dXx]{4}$")

__all__ = ["normalise_phone", "validate_code", "validate_last_four", "validate_mobile"]


def validate_mobile(value: str) -> None:
    """Only a mobile number can receive a code by SMS."""
    if not MOBILE.match(value or ""):
        raise ValidationError(_("Enter an 11-digit mobile number."), code="mobile")


def validate_code(value: str) -> None:
    if not CODE.match(value or ""):
        raise ValidationError(_("The code has six digits."), code="code")


def validate_last_four(value: str) -> None:
    if not LAST_FOUR.match(value or ""):
        raise ValidationError(
            _("Enter the last four characters of the ID number or phone."), code="last_four"
        )
