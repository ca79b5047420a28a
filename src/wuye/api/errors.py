"""Domain refusals → HTTP 400 ``{"detail": message}``.

Each app refuses with its own exception and a translated message, and changes nothing when it does
(style point 11). ``api.py`` registers one handler for all of them; an operation run through
``wuye.api.idempotency.idempotent`` turns them into an outcome with ``refusing`` instead, so that the
refusal is stored with its key and replayed like any other answer.
"""

from __future__ import annotations

from collections.abc import Callable

from wuye.billing.domain.meters import MeterError, ReadingsRefusedError
from wuye.households.domain.households import ArchiveError
from wuye.notices.domain.errors import NoticeError
from wuye.payments.domain.attempts import PaymentError
from wuye.service.domain.errors import ServiceError

DOMAIN_ERRORS: tuple[type[Exception], ...] = (
    ArchiveError,
    MeterError,
    NoticeError,
    PaymentError,
    ReadingsRefusedError,
    ServiceError,
)

Outcome = tuple[int, dict]


def refusing(operation: Callable[[], Outcome]) -> Callable[[], Outcome]:
    """``operation`` with a domain refusal returned as the outcome (400, {"detail": message})."""

    def run() -> Outcome:
        try:
            return operation()
        except DOMAIN_ERRORS as error:
            return 400, {"detail": str(error)}

    return run
