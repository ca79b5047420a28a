"""Payment attempts: their lock and their one state transition.

Every writer of an attempt (``payment_apply``, the channels' answers in ``online``, refunds) takes
the attempt's row lock first (``attempt_lock``) and moves its state only through
``attempt_transition``, along ``enums.ATTEMPT_TRANSITIONS``. Kept apart from ``payments`` so that
refunds and the inbox use them without importing the payment path (no import circle).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from wuye.core import sql
from wuye.core.audit import log_action, register_actions
from wuye.payments.enums import ATTEMPT_TRANSITIONS, AttemptState
from wuye.payments.models import PaymentAttempt

register_actions({"payments.attempt.changed": gettext_lazy("Payment attempt changed")})

# For the concurrency control test only: with False, ``payment_apply`` neither locks the attempt nor
# gives the ledger an idempotency key, and the double application it otherwise prevents shows.
EXACTLY_ONCE_GUARDS = True


class PaymentError(Exception):
    """A refused payment operation; the message is translated and nothing was written."""


def attempt_transition(
    *, attempt: PaymentAttempt, to_state: str, reason: str = "", actor=None, save: bool = True
) -> bool:
    """Move a (locked) attempt to ``to_state`` if the move is allowed; False when it is not (nothing
    written). Moving to the state it is in is a no-op. The one writer of ``attempt.state``; with
    ``save=False`` the caller saves the attempt (with "state") in its own update."""
    if attempt.state == to_state:
        return False
    if to_state not in ATTEMPT_TRANSITIONS[attempt.state]:
        return False
    before = attempt.state
    attempt.state = to_state
    if reason:
        attempt.failure_reason = reason[:200]
    if save:
        attempt.save(update_fields=["state", "failure_reason", "updated_at"])
    if to_state != AttemptState.SUCCEEDED:  # a success is logged with its money by payment_apply
        log_action(
            "payments.attempt.changed",
            actor=actor,
            obj=attempt,
            household_id=attempt.household_id,
            changes={"out_trade_no": attempt.out_trade_no, "attempt_state": [before, to_state]},
        )
    return True


_ATTEMPT_SQL = f"SELECT {sql.columns(PaymentAttempt)} FROM payments_paymentattempt WHERE id = %s"


def attempt_lock(pk: int) -> PaymentAttempt:
    """The attempt, locked until the transaction ends (plain SQL, wuye.core.sql: every payment and
    every notification of a payment not yet applied takes it)."""
    attempt = sql.instance(
        PaymentAttempt, _ATTEMPT_SQL + (sql.for_update() if EXACTLY_ONCE_GUARDS else ""), [pk]
    )
    if attempt is None:
        raise PaymentAttempt.DoesNotExist(pk)
    return attempt
