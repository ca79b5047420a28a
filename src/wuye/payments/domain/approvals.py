"""Four eyes (双人复核) for money going back: a refund, or a receipt's void, is approved by someone other
than the person who asked for it, unless its amount is below the community's
``PaymentSettings.refund_self_approval_below_fen`` (0 by default: never). The one check, used by
``refunds`` and ``voids``."""

from __future__ import annotations

from wuye.core.money import fen_to_yuan
from wuye.payments.domain.attempts import PaymentError
from wuye.payments.models import PaymentSettings


class ApprovalError(PaymentError):
    """The approver may not approve this (four eyes); nothing was changed."""


def four_eyes_check(
    *,
    community_id: int,
    amount_fen: int,
    requested_by_id: int | None,
    actor,
    never_message: str,
    limit_message: str,
    error: type[ApprovalError] = ApprovalError,
) -> dict:
    """Raise ``error`` when ``actor`` asked for it themselves and the amount is not below the community's
    limit for one person (``never_message`` when there is no limit; ``limit_message``, with
    ``%(limit)s`` yuan, otherwise). Returns what the approval's audit entry adds: nothing when two
    people were involved, else that the requester approved it and the limit then."""
    if not getattr(actor, "is_authenticated", False) or requested_by_id != actor.pk:
        return {}
    below_fen = PaymentSettings.of(community_id).refund_self_approval_below_fen
    if amount_fen >= below_fen:
        if below_fen <= 0:
            raise error(never_message)
        raise error(limit_message % {"limit": fen_to_yuan(below_fen)})
    return {"approved_by_requester": True, "refund_self_approval_below_yuan": fen_to_yuan(below_fen)}
