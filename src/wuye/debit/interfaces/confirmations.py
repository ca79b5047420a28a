"""The bank's mandate confirmation file (签约确认文件): one line per mandate we sent,
``mandate_number|agreement_no|reject_reason`` (a comma works as the separator too), in UTF-8 or GBK.

An empty reject reason means the bank accepted the mandate under ``agreement_no``; a reason means it
refused it. A first line without a digit is a header and is skipped, as are blank lines and lines
starting with ``#``. Every problem is reported with its row number, and a file with any problem is
refused whole.
"""

from __future__ import annotations

import csv
import io
import re

from django.utils.translation import gettext as _

from wuye.debit.domain.mandates import Confirmation

MANDATE_NUMBER = re.compile(r"^M\d{12}$")
AGREEMENT_NO = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,39}$")
MAX_ERRORS = 50


class ConfirmationFileError(Exception):
    """The file cannot be applied; ``errors`` lists every problem found, each with its row."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def confirmations_decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark), else GBK (read as GB18030, its
    superset)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ConfirmationFileError([_("The file is neither UTF-8 nor GBK text.")])


def confirmations_parse(text: str) -> list[tuple[int, Confirmation]]:
    """(row number, Confirmation) for each line; raises ConfirmationFileError listing every bad row."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = "|" if "|" in first else ","
    rows: list[tuple[int, Confirmation]] = []
    errors: list[str] = []
    seen_numbers: dict[str, int] = {}
    seen_agreements: dict[str, int] = {}
    header_checked = False
    for row_no, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells = [cell.strip() for cell in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if not header_checked:
            header_checked = True
            if not any(char.isdigit() for char in "".join(cells)):
                continue  # a header line
        if len(cells) > 3:
            errors.append(
                _(
                    "Row %(row)s: %(count)s columns; a line has at most 3: mandate number, agreement number, reason."
                )
                % {"row": row_no, "count": len(cells)}
            )
            continue
        number, agreement, reason = ([*cells, "", ""])[:3]
        number = number.upper()
        if not MANDATE_NUMBER.match(number):
            errors.append(
                _("Row %(row)s: “%(value)s” is not a mandate number (M and 12 digits).")
                % {"row": row_no, "value": number[:30]}
            )
            continue
        if number in seen_numbers:
            errors.append(
                _("Row %(row)s: mandate %(number)s is in row %(first)s already.")
                % {"row": row_no, "number": number, "first": seen_numbers[number]}
            )
            continue
        seen_numbers[number] = row_no
        if not reason:
            if not agreement:
                errors.append(
                    _("Row %(row)s: neither an agreement number nor a reason for refusing.") % {"row": row_no}
                )
                continue
            if not AGREEMENT_NO.match(agreement):
                errors.append(
                    _("Row %(row)s: “%(value)s” is not an agreement number (up to 40 letters and digits).")
                    % {"row": row_no, "value": agreement[:50]}
                )
                continue
            if agreement in seen_agreements:
                errors.append(
                    _("Row %(row)s: agreement number %(agreement)s is in row %(first)s already.")
                    % {"row": row_no, "agreement": agreement, "first": seen_agreements[agreement]}
                )
                continue
            seen_agreements[agreement] = row_no
        rows.append(
            (
                row_no,
                Confirmation(
                    mandate_number=number,
                    agreement_no="" if reason else agreement,
                    rejected_reason=reason[:200],
                ),
            )
        )
    if errors:
        if len(errors) > MAX_ERRORS:
            errors = [
                *errors[:MAX_ERRORS],
                _("… and %(more)s more problems.") % {"more": len(errors) - MAX_ERRORS},
            ]
        raise ConfirmationFileError(errors)
    if not rows:
        raise ConfirmationFileError([_("The file has no confirmation lines.")])
    return rows


def confirmations_read(data: bytes) -> list[tuple[int, Confirmation]]:
    """Decode and parse an uploaded confirmation file."""
    return confirmations_parse(confirmations_decode(data))
