"""Result codes: what a bank's code means for a line (or for the whole file).

Every code falls in one of five buckets (:class:`Bucket`). A text format carries its bank's code table
(:class:`CodeTable`, the ``codes`` object of its JSON); ISO 20022 messages use the ISO statuses and
external reason codes, which are fixed here (:func:`iso_status_bucket`, :func:`iso_reason_retryable`).

The default buckets are Allinpay's handling rules (the most complete published set): ``0000`` and
``4000`` succeed; ``2000 2001 2003 2005 2007 2008 0003 0014`` are intermediate (query before deciding:
UNKNOWN); any four-digit ``1xxx`` rejects the whole file (nothing was debited); ``51`` (ISO 8583:
insufficient funds) fails but may be retried; every other code fails for good.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy


class Bucket(StrEnum):
    SUCCESS = "success"
    UNKNOWN = "unknown"
    FILE_REJECTED = "file_rejected"
    FAILED_RETRYABLE = "retryable"
    FAILED_FINAL = "failed"


class FormatSpecError(ValueError):
    """A format description (JSON) that cannot be used; the message names the file and the key. For the
    person adding a format, so it is not translated."""


# Pattern buckets are tried in this order after exact codes; a code in none of them fails for good.
_PATTERN_ORDER = (Bucket.SUCCESS, Bucket.UNKNOWN, Bucket.FILE_REJECTED, Bucket.FAILED_RETRYABLE)
_SPEC_KEYS = {
    "success": Bucket.SUCCESS,
    "unknown": Bucket.UNKNOWN,
    "file_rejected": Bucket.FILE_REJECTED,
    "retryable": Bucket.FAILED_RETRYABLE,
}


def _pattern(text: str) -> re.Pattern[str]:
    """ "1???" → four characters starting with 1; "9*" → anything starting with 9."""
    return re.compile("".join("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in text) + r"\Z")


@dataclass(frozen=True)
class CodeTable:
    """A bank's result codes by bucket. Entries are exact codes, or patterns where ``?`` stands for one
    character and ``*`` for any run ("1???" is every four-digit code starting with 1, which leaves the
    two-digit ISO 8583 card code "14" alone). An exact code wins over any pattern; patterns are tried
    success, unknown, file rejected, retryable, in the order written; the rest fail for good. An empty
    code (the bank wrote none) is UNKNOWN. ``accepted_file_code`` is what a file-level code field
    says when the whole file was accepted (written by ``result_file_write``)."""

    exact: dict[str, Bucket]
    patterns: tuple[tuple[re.Pattern[str], Bucket], ...]
    accepted_file_code: str = "0000"

    def bucket(self, code: str) -> Bucket:
        code = code.strip()
        if not code:
            return Bucket.UNKNOWN
        if code in self.exact:
            return self.exact[code]
        for pattern, bucket in self.patterns:
            if pattern.match(code):
                return bucket
        return Bucket.FAILED_FINAL

    @classmethod
    def from_spec(cls, spec: Any, *, where: str) -> CodeTable:
        if not isinstance(spec, dict):
            raise FormatSpecError(f"{where}: 'codes' must be an object")
        unknown_keys = set(spec) - set(_SPEC_KEYS) - {"accepted_file_code"}
        if unknown_keys:
            raise FormatSpecError(f"{where}: unknown keys in 'codes': {sorted(unknown_keys)}")
        exact: dict[str, Bucket] = {}
        patterns: dict[Bucket, list[re.Pattern[str]]] = {bucket: [] for bucket in _PATTERN_ORDER}
        for key, bucket in _SPEC_KEYS.items():
            entries = spec.get(key, [])
            if not isinstance(entries, list) or not all(isinstance(e, str) and e.strip() for e in entries):
                raise FormatSpecError(f"{where}: 'codes.{key}' must be a list of non-empty strings")
            for entry in entries:
                if "?" in entry or "*" in entry:
                    patterns[bucket].append(_pattern(entry))
                elif entry in exact:
                    raise FormatSpecError(f"{where}: code {entry!r} is in two buckets")
                else:
                    exact[entry] = bucket
        accepted = spec.get("accepted_file_code", "0000")
        if not isinstance(accepted, str):
            raise FormatSpecError(f"{where}: 'codes.accepted_file_code' must be a string")
        table = cls(
            exact=exact,
            patterns=tuple((p, bucket) for bucket in _PATTERN_ORDER for p in patterns[bucket]),
            accepted_file_code=accepted,
        )
        if accepted and table.bucket(accepted) != Bucket.SUCCESS:
            raise FormatSpecError(f"{where}: 'codes.accepted_file_code' {accepted!r} is not a success code")
        return table


# ISO 20022 ----------------------------------------------------------------------------------------

# Transaction and group statuses (ExternalPaymentTransactionStatus1Code / TransactionGroupStatus3Code).
# ACSC settled; ACCP (customer profile accepted) counts as success as banks use it in pain.002 for
# collections; ACCC (creditor account credited, later versions) too. RJCT is a refusal. Everything
# else (PDNG, ACTC technical validation only, ACSP settlement in process, ACWC, RCVD) is not yet final.
ISO_SUCCESS = frozenset({"ACSC", "ACCP", "ACCC"})
ISO_REJECTED = "RJCT"
# A group (or payment-information) status under which a report that lists only some transactions
# accepts the rest.
ISO_ACCEPTS_UNLISTED = frozenset({"ACSC", "ACCP", "ACCC", "PART"})

# Reason codes after which a new attempt may succeed. Insufficient funds only: closed (AC04) or blocked
# (AC06) accounts, a missing mandate (MD01), a refund request (MD06) and a refusal (MS02) are final.
ISO_RETRYABLE_REASONS = frozenset({"AM04"})

ISO_REASONS = {
    "AC01": gettext_lazy("incorrect account number"),
    "AC04": gettext_lazy("account closed"),
    "AC06": gettext_lazy("account blocked"),
    "AG01": gettext_lazy("transaction forbidden on this account"),
    "AM04": gettext_lazy("insufficient funds"),
    "AM05": gettext_lazy("duplicate collection"),
    "MD01": gettext_lazy("no mandate"),
    "MD06": gettext_lazy("refund requested by the debtor"),
    "MD07": gettext_lazy("debtor deceased"),
    "MS02": gettext_lazy("refused by the debtor"),
    "MS03": gettext_lazy("reason not specified"),
}


def iso_status_bucket(status: str, reason: str = "") -> Bucket:
    """A transaction status (and its reason code) → bucket."""
    if status in ISO_SUCCESS:
        return Bucket.SUCCESS
    if status == ISO_REJECTED:
        return Bucket.FAILED_RETRYABLE if iso_reason_retryable(reason) else Bucket.FAILED_FINAL
    return Bucket.UNKNOWN


def iso_reason_retryable(code: str) -> bool:
    return code.strip() in ISO_RETRYABLE_REASONS


def iso_reason_text(code: str) -> str:
    """The meaning of an ISO external reason code, translated ("" when we do not know the code)."""
    text = ISO_REASONS.get(code.strip())
    return str(text) if text is not None else ""
