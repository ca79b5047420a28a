"""A visitor's car pays at the exit through the payments core: an order of kind parking (no household)
for what the car owes now, its money to temporary-parking income, its receipt printed with the plate and
the car park. Once applied, the visit records what was paid and when (``visit_paid``), so the car
leaves within the grace minutes; ``parking_check`` proves the income equals what the visits record.

A visitor's payment is refunded (an overcharge, a car that paid twice) once the car has left: the
refund takes the money back out of temporary-parking income and off what the visit records as paid
(``visit_refunded``); a refund the channel fails puts both back. While the car is inside, a refund would
only make it owe the amount again at the gate, so it is refused."""

from __future__ import annotations

from django.db.models import Sum
from django.utils.translation import gettext as _

from wuye.ledger.enums import Account
from wuye.ledger.models import Posting
from wuye.parking.domain.errors import ParkingError
from wuye.parking.domain.gates import visit_due_fen
from wuye.parking.enums import VisitState
from wuye.parking.models import ParkingVisit
from wuye.payments.domain.attempts import PaymentError
from wuye.payments.domain.checks import Difference
from wuye.payments.domain.order_kinds import OrderKindHandler
from wuye.payments.domain.payments import order_visitor_create
from wuye.payments.enums import OrderKind, ReceiptKind
from wuye.payments.models import PaymentAttempt, PaymentOrder

REFERENCE = "parking.visit:"


def visit_order_create(*, visit: ParkingVisit) -> PaymentOrder:
    """An order for what the car of ``visit`` owes now; ParkingError when it owes nothing."""
    due = visit_due_fen(visit)
    if due <= 0:
        raise ParkingError(_("Nothing to pay: the car may leave."))
    return order_visitor_create(
        community_id=visit.community_id,
        kind=OrderKind.PARKING,
        amount_fen=due,
        reference=f"{REFERENCE}{visit.pk}",
    )


def _visit_pk(order: PaymentOrder) -> int | None:
    """The pk of the visit a parking order pays for (its reference); None for any other order."""
    if order.kind != OrderKind.PARKING or not order.reference.startswith(REFERENCE):
        return None
    return int(order.reference.removeprefix(REFERENCE))


def visit_of_order(order: PaymentOrder) -> ParkingVisit | None:
    pk = _visit_pk(order)
    if pk is None:
        return None
    return ParkingVisit.objects.filter(pk=pk, community_id=order.community_id).select_related("area").first()


def _visitor(order: PaymentOrder) -> tuple[str, str]:
    visit = visit_of_order(order)
    return (visit.plate, visit.area.name) if visit is not None else ("", "")


def visit_paid(order: PaymentOrder, attempt: PaymentAttempt) -> None:
    """In the payment's transaction: the visit (locked) records the amount and the time it was paid."""
    visit = ParkingVisit.objects.select_for_update().get(pk=_visit_pk(order), community_id=order.community_id)
    visit.paid_fen += attempt.amount_fen
    visit.paid_at = attempt.paid_at
    visit.fee_fen = max(visit.fee_fen, visit.paid_fen)
    visit.save(update_fields=["paid_fen", "paid_at", "fee_fen"])


def _refusal(visit: ParkingVisit | None) -> str:
    """Why the payments of ``visit`` cannot be refunded now, or ""."""
    if visit is None:
        return _("This payment names no parking visit.")
    if visit.state == VisitState.INSIDE:
        return _("The car %(plate)s is still inside: refund its payment after it has left.") % {
            "plate": visit.plate
        }
    return ""


def _refund_refusal(order: PaymentOrder) -> str:
    return _refusal(visit_of_order(order))


def visit_refunded(order: PaymentOrder, amount_fen: int) -> None:
    """In the refund's transaction: ``amount_fen`` of the visit's payments given back (negative: a failed
    refund's money back); the visit (locked) records it. PaymentError when it cannot be refunded now."""
    visit = (
        ParkingVisit.objects.select_for_update()
        .filter(pk=_visit_pk(order), community_id=order.community_id)
        .first()
    )
    refusal = _refusal(visit) if amount_fen > 0 else ""
    if refusal:
        raise PaymentError(refusal)
    visit.paid_fen -= amount_fen
    visit.save(update_fields=["paid_fen"])


HANDLER = OrderKindHandler(
    income_account=Account.PARKING_INCOME,
    receipt_kind=ReceiptKind.PARKING,
    visitor=_visitor,
    on_paid=visit_paid,
    refund_refusal=_refund_refusal,
    on_refunded=visit_refunded,
)


def parking_check(community) -> list[Difference]:
    """``wuye ledger check``: temporary-parking income equals what the community's visits record as paid."""
    income = -(
        Posting.objects.filter(community=community, account=Account.PARKING_INCOME).aggregate(
            total=Sum("amount_fen")
        )["total"]
        or 0
    )
    paid = ParkingVisit.objects.filter(community=community).aggregate(total=Sum("paid_fen"))["total"] or 0
    return [] if income == paid else [Difference("parking", "temporary parking", income, paid)]
