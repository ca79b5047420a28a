"""The demo's channel payments of yesterday, for the accountant to reconcile (对账).

Six households paid their bills by QR yesterday (Beijing time): four through WeChat Pay, two through
Alipay, applied as every payment is. Paysim is told of them through its file of past orders
(``wuye.paysim.seed.orders_write``), together with two differences in WeChat Pay's bill for the
accountant to find and settle: a seventh household's payment whose notification never arrived (query and
book it), and a payment under an order number Wuye never issued (to suspense, then refunded or written
off). Alipay's bill matches. Idempotent: the payments are made once; the file is written on every seed.
"""

from __future__ import annotations

import datetime

from wuye.core.models import Community
from wuye.debit.enums import MANDATE_LIVE_STATES
from wuye.households.models import Household
from wuye.payments.domain.attempts import attempt_lock, attempt_transition
from wuye.payments.domain.payments import PaymentError, attempt_create, order_create, payment_apply
from wuye.payments.enums import AttemptState
from wuye.payments.models import PaymentAttempt
from wuye.recon.domain.runs import beijing_today, day_window

PREFIX = "DEMOQR"
CHANNELS = ("wechat_native",) * 4 + ("alipay_qr",) * 2 + ("wechat_native",)  # the last one's notice is lost
STRANGER = ("DEMOXX0001", 8800)  # paid at WeChat under a number Wuye never issued


def _yesterday() -> datetime.date:
    return beijing_today() - datetime.timedelta(days=1)


def _households(community: Community) -> list[Household]:
    """Households that owe something, have no owner account (the demo owner's bills stay open) and no
    debit mandate (the debit story keeps its bills)."""
    return list(
        Household.objects.filter(community=community, bills__state__in=("open", "partial"))
        .exclude(owner_bindings__isnull=False)
        .exclude(mandates__state__in=MANDATE_LIVE_STATES)
        .distinct()
        .order_by("-pk")[: len(CHANNELS)]
    )


def _pay(community: Community, day: datetime.date, actor) -> None:
    noon = day_window(day)[0] + datetime.timedelta(hours=9)
    for index, (household, channel) in enumerate(zip(_households(community), CHANNELS, strict=False)):
        try:
            attempt = attempt_create(
                order=order_create(household=household, actor=actor), channel=channel, actor=actor
            )
        except PaymentError:
            continue
        attempt.out_trade_no = f"{PREFIX}{community.pk:03d}{index:04d}"
        attempt.save(update_fields=["out_trade_no"])
        locked = attempt_lock(attempt.pk)
        attempt_transition(attempt=locked, to_state=AttemptState.PENDING)
        at = noon + datetime.timedelta(minutes=37 * index)
        if index < len(CHANNELS) - 1:
            payment_apply(
                attempt=locked, amount_fen=locked.amount_fen, paid_at=at, channel_trade_no=f"42{index:026d}"
            )
        else:  # the notification was lost: paid at the channel, still pending here
            PaymentAttempt.objects.filter(pk=locked.pk).update(expires_at=at)


def seed_recon(*, community: Community, actor) -> list[dict]:
    """Make the payments once; the orders paysim must know of (for ``orders_write``)."""
    prefix = f"{PREFIX}{community.pk:03d}"
    attempts = PaymentAttempt.objects.filter(community=community, out_trade_no__startswith=prefix)
    if not attempts.exists():
        _pay(community, _yesterday(), actor)
    orders = []
    for attempt in attempts.order_by("pk"):
        paid_at = attempt.paid_at or attempt.expires_at
        orders.append(
            {
                "method": attempt.method,
                "out_trade_no": attempt.out_trade_no,
                "amount_fen": attempt.amount_fen,
                "paid_at": paid_at.isoformat(),
                "channel_trade_no": attempt.channel_trade_no or f"42{attempt.pk:026d}",
            }
        )
    if orders:
        number, amount = STRANGER
        orders.append(
            {
                "method": "wechat",
                "out_trade_no": number,  # one stranger per merchant: the same number from every community
                "amount_fen": amount,
                "paid_at": orders[0]["paid_at"],
                "channel_trade_no": f"43{community.pk:026d}",
            }
        )
    return orders
