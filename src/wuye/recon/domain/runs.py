"""Reconciling one channel's bill of one day for one community (对账).

``recon_run`` reads the bill (``wuye.recon.interfaces.bills``), compares it with our books and records
what differs; the same file again changes nothing and returns its first run. The day is cut at 00:00
Beijing time, as the channels cut it. Three checks:

1. the bill against our payment attempts and refunds, matched on the order (or refund) number, then
   the amount in fen, then the state, then the fee against the merchant's contracted rate;
2. settlement against the bank statement: ``wuye.recon.domain.settlements``;
3. the ledger against receivables and documents (``wuye ledger check`` of the community).

Classes (``DifferenceKind``): the channel has a payment we do not have as paid (a lost notification, or
an order number we never issued); we have a payment the channel does not list (rechecked against the
bills of the next two days: found there, it resolves itself); amounts differ; a refund's state differs;
the fee differs from the rate; a household paid the same bill lines twice (QR and debit, or two QR
payments). A difference is one row per (community, channel, class, number) however often it is found.
"""

from __future__ import annotations

import datetime
import hashlib
import zlib
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core import sql
from wuye.core.audit import log_action, register_actions
from wuye.core.models import Community
from wuye.payments.domain.checks import ledger_check
from wuye.payments.enums import AttemptState, PaymentMethod, RefundState
from wuye.payments.models import ChannelAccount, PaymentAttempt, Refund
from wuye.recon.enums import BILL_KINDS, DifferenceKind, DifferenceState, Document, Resolution, RunSource
from wuye.recon.interfaces.bills import PAYMENT, REFUND, BillError, ChannelBill, bill_read
from wuye.recon.models import DayClose, Difference, ReconRun

register_actions({"recon.run.done": gettext_lazy("Channel bill reconciled")})

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
RECHECK_DAYS = 2  # a payment the channel does not list is looked for in the bills of T+1 and T+2
RECONCILED_METHODS = (PaymentMethod.WECHAT, PaymentMethod.ALIPAY)

__all__ = ["BillError", "ReconError", "day_window", "expected_fee_fen", "recon_fetch", "recon_run"]


class ReconError(Exception):
    """A reconciliation refused or an action not allowed; the message is translated, nothing changed."""


def beijing_today() -> datetime.date:
    """Today as the channels count days (Beijing time), whatever the server's time zone."""
    return timezone.localdate(timezone=BEIJING)


def day_window(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=BEIJING)
    return start, start + datetime.timedelta(days=1)


def expected_fee_fen(amount_fen: int, fee_per_10000: int) -> int:
    """The fee the contract allows on a payment: the rate, rounded half up to the fen."""
    return (amount_fen * fee_per_10000 + 5000) // 10000


@dataclass(frozen=True, slots=True)
class Found:
    kind: str
    reference: str
    out_trade_no: str = ""
    attempt_id: int | None = None
    refund_id: int | None = None
    household_id: int | None = None
    ours_fen: int | None = None
    theirs_fen: int | None = None
    detail: str = ""


def _attempts_by_number(numbers: Iterable[str]) -> dict[str, tuple]:
    """(pk, community_id, household_id, amount_fen, state, paid_at) by order number."""
    found = {}
    for part in sql.chunks(sorted(set(numbers))):
        for values in PaymentAttempt.objects.filter(out_trade_no__in=part).values_list(
            "out_trade_no", "pk", "community_id", "household_id", "amount_fen", "state", "paid_at"
        ):
            found[values[0]] = values[1:]
    return found


def _compare(
    community: Community, method: str, day: datetime.date, bill: ChannelBill, rate: int, owns_unknowns: bool
) -> tuple:
    """(differences, matched, our_count, our_fen, this community's bill lines): check 1 of the docstring. Several communities may
    share one merchant account: lines of another community's orders are left to its reconciliation,
    and numbers nobody issued are reported once, by the merchant's first community (``owns_unknowns``)."""
    start, end = day_window(day)
    ours = {
        number: (pk, household, amount)
        for number, pk, household, amount in PaymentAttempt.objects.filter(
            community=community,
            method=method,
            state=AttemptState.SUCCEEDED,
            paid_at__gte=start,
            paid_at__lt=end,
        ).values_list("out_trade_no", "pk", "household_id", "amount_fen")
    }
    payments = [line for line in bill.lines if line.kind == PAYMENT]
    refunds = [line for line in bill.lines if line.kind == REFUND]
    elsewhere = _attempts_by_number(line.out_trade_no for line in payments if line.out_trade_no not in ours)
    found: list[Found] = []
    matched = 0
    listed = set()
    skipped: set[int] = set()  # rows of the bill that are not this community's
    for line in payments:
        listed.add(line.out_trade_no)
        mine = ours.get(line.out_trade_no)
        if mine is None:
            other = elsewhere.get(line.out_trade_no)
            if (other is not None and other[1] != community.pk) or (other is None and not owns_unknowns):
                # Another community's payment through the same merchant (its own reconciliation), or a
                # number nobody issued (reported by the merchant's first community).
                skipped.add(line.row)
                continue
            if other is None:
                found.append(
                    Found(
                        DifferenceKind.CHANNEL_ONLY,
                        line.out_trade_no,
                        line.out_trade_no,
                        theirs_fen=line.amount_fen,
                        detail=_("No order of ours has this number."),
                    )
                )
                continue
            pk, _community, household, amount, state, _paid_at = other
            if state != AttemptState.SUCCEEDED:
                found.append(
                    Found(
                        DifferenceKind.CHANNEL_ONLY,
                        line.out_trade_no,
                        line.out_trade_no,
                        attempt_id=pk,
                        household_id=household,
                        ours_fen=amount,
                        theirs_fen=line.amount_fen,
                        detail=_("Paid at the channel, %(state)s here: a notification was lost.")
                        % {"state": AttemptState(state).label},
                    )
                )
                continue
            mine = (pk, household, amount)  # paid on another day by our clock: compare it all the same
        pk, household, amount = mine
        if amount != line.amount_fen:
            found.append(
                Found(
                    DifferenceKind.AMOUNT,
                    line.out_trade_no,
                    line.out_trade_no,
                    attempt_id=pk,
                    household_id=household,
                    ours_fen=amount,
                    theirs_fen=line.amount_fen,
                )
            )
            continue
        fee = expected_fee_fen(line.amount_fen, rate)
        if line.fee_fen != fee:
            found.append(
                Found(
                    DifferenceKind.FEE,
                    line.out_trade_no,
                    line.out_trade_no,
                    attempt_id=pk,
                    household_id=household,
                    ours_fen=fee,
                    theirs_fen=line.fee_fen,
                    detail=_("The contract's rate gives %(fee)s fen.") % {"fee": fee},
                )
            )
            continue
        matched += 1
    for number, (pk, household, amount) in ours.items():
        if number not in listed:
            found.append(
                Found(
                    DifferenceKind.OURS_ONLY,
                    number,
                    number,
                    attempt_id=pk,
                    household_id=household,
                    ours_fen=amount,
                    detail=_("Paid here, not in the channel's bill: rechecked at T+1 and T+2."),
                )
            )
    found += _refunds_compare(community, method, start, end, refunds, owns_unknowns, skipped)
    found += _doubles(community, method, start, end)
    kept = [line for line in bill.lines if line.row not in skipped] if skipped else bill.lines
    return found, matched, len(ours), sum(amount for _pk, _household, amount in ours.values()), kept


def _refunds_compare(
    community, method, start, end, lines, owns_unknowns: bool, skipped: set[int]
) -> list[Found]:
    found = []
    by_number = {}
    for part in sql.chunks(sorted({line.out_refund_no for line in lines})):
        for values in Refund.objects.filter(out_refund_no__in=part).values_list(
            "out_refund_no", "pk", "household_id", "amount_fen", "state", "community_id"
        ):
            by_number[values[0]] = values[1:]
    for line in lines:
        mine = by_number.get(line.out_refund_no)
        if (mine is not None and mine[4] != community.pk) or (mine is None and not owns_unknowns):
            skipped.add(line.row)  # another community's refund through the same merchant
            continue
        if mine is None or mine[3] != RefundState.SUCCEEDED:
            state = _("unknown here") if mine is None else RefundState(mine[3]).label
            found.append(
                Found(
                    DifferenceKind.STATE,
                    line.out_refund_no,
                    line.out_trade_no,
                    refund_id=mine and mine[0],
                    household_id=mine and mine[1],
                    ours_fen=mine and mine[2],
                    theirs_fen=line.amount_fen,
                    detail=_("Refunded at the channel, %(state)s here.") % {"state": state},
                )
            )
        elif mine[2] != line.amount_fen:
            found.append(
                Found(
                    DifferenceKind.AMOUNT,
                    line.out_refund_no,
                    line.out_trade_no,
                    refund_id=mine[0],
                    household_id=mine[1],
                    ours_fen=mine[2],
                    theirs_fen=line.amount_fen,
                    detail=_("A refund."),
                )
            )
    listed = {line.out_refund_no for line in lines}
    for number, pk, household, amount, trade_no in Refund.objects.filter(
        community=community,
        attempt__method=method,
        state=RefundState.SUCCEEDED,
        settle_transaction__created_at__gte=start,
        settle_transaction__created_at__lt=end,
    ).values_list("out_refund_no", "pk", "household_id", "amount_fen", "attempt__out_trade_no"):
        if number not in listed:
            found.append(
                Found(
                    DifferenceKind.STATE,
                    number,
                    trade_no,
                    refund_id=pk,
                    household_id=household,
                    ours_fen=amount,
                    detail=_("Refunded here, not in the channel's bill."),
                )
            )
    return found


def _doubles(community, method, start, end) -> list[Found]:
    """Payments of the day (on this channel) that paid bill lines another payment had paid: the second
    collection went to the household's prepayment."""
    rows = sql.rows(
        """SELECT a.id, a.out_trade_no, a.household_id, a.excess_fen, MIN(b.out_trade_no)
           FROM payments_paymentattempt a
           JOIN payments_orderline ol ON ol.order_id = a.order_id
           JOIN payments_orderline other ON other.line_id = ol.line_id AND other.order_id <> a.order_id
           JOIN payments_paymentattempt b ON b.order_id = other.order_id AND b.state = %s AND b.id <> a.id
                AND (b.paid_at < a.paid_at OR (b.paid_at = a.paid_at AND b.id < a.id))
           WHERE a.community_id = %s AND a.method = %s AND a.state = %s AND a.excess_fen > 0
                 AND a.paid_at >= %s AND a.paid_at < %s
           GROUP BY a.id, a.out_trade_no, a.household_id, a.excess_fen""",
        [AttemptState.SUCCEEDED, community.pk, method, AttemptState.SUCCEEDED, start, end],
    )
    return [
        Found(
            DifferenceKind.DOUBLE,
            number,
            number,
            attempt_id=pk,
            household_id=household,
            ours_fen=excess,
            detail=_("The same bill lines were paid by %(other)s; %(excess)s fen went to prepayment.")
            % {"other": first, "excess": excess},
        )
        for pk, number, household, excess, first in rows
    ]


def _record(run: ReconRun, found: list[Found], listed: frozenset[str]) -> dict[str, int]:
    """Write the run's differences: new ones created, known ones pointed at this run; open ones of the
    same day that this file no longer shows are resolved (a corrected bill); open payments we had and
    earlier bills lacked are resolved when this bill lists them (the T+1/T+2 recheck)."""
    counts = dict.fromkeys(BILL_KINDS, 0)
    existing = {
        (difference.kind, difference.reference): difference
        for difference in Difference.objects.filter(
            community=run.community, method=run.method, reference__in=[item.reference for item in found]
        )
    }
    new = []
    keys = set()
    for item in found:
        counts[item.kind] += 1
        keys.add((item.kind, item.reference))
        known = existing.get((item.kind, item.reference))
        if known is not None:
            known.last_run = run
            known.save(update_fields=["last_run"])
            continue
        new.append(
            Difference(
                community=run.community,
                method=run.method,
                day=run.day,
                kind=item.kind,
                reference=item.reference[:64],
                out_trade_no=item.out_trade_no[:64],
                attempt_id=item.attempt_id,
                refund_id=item.refund_id,
                household_id=item.household_id,
                ours_fen=item.ours_fen,
                theirs_fen=item.theirs_fen,
                detail=item.detail[:200],
                first_run=run,
                last_run=run,
            )
        )
    Difference.objects.bulk_create(new)
    now = timezone.now()
    gone = [
        difference.pk
        for difference in Difference.objects.filter(
            community=run.community,
            method=run.method,
            day=run.day,
            state=DifferenceState.OPEN,
            kind__in=BILL_KINDS,  # not what the fund-flow bill or the statement found
        ).only("kind", "reference")
        if (difference.kind, difference.reference) not in keys
    ]
    recheck = [
        pk
        for pk, reference in Difference.objects.filter(
            community=run.community,
            method=run.method,
            kind=DifferenceKind.OURS_ONLY,
            state=DifferenceState.OPEN,
            day__gte=run.day - datetime.timedelta(days=RECHECK_DAYS),
            day__lt=run.day,
        ).values_list("pk", "reference")
        if reference in listed
    ]
    if gone or recheck:
        Difference.objects.filter(pk__in=gone + recheck).update(
            state=DifferenceState.RESOLVED,
            resolution=Resolution.MATCHED_LATER,
            note=_("Found in the bill of %(day)s.") % {"day": run.day.isoformat()},
            last_run=run,
            resolved_at=now,
        )
    return counts


def merchant_communities(account: ChannelAccount) -> list[int]:
    """The communities paid through the same merchant account as ``account``, first community first."""
    return list(
        ChannelAccount.objects.filter(
            method=account.method, merchant_id=account.merchant_id, app_id=account.app_id
        )
        .order_by("community_id")
        .values_list("community_id", flat=True)
    )


def recon_run(
    *,
    community: Community,
    method: str,
    day: datetime.date,
    data: bytes,
    source: str = RunSource.UPLOADED,
    file_name: str = "",
    actor=None,
    ledger: bool = True,
) -> ReconRun:
    """Reconcile ``data`` (the channel's bill of ``day``) for ``community``. See the module's docstring.
    Raises ReconError (or BillError for a bill that cannot be read) and then writes nothing."""
    if method not in RECONCILED_METHODS:
        raise ReconError(_("Only WeChat Pay and Alipay bills are reconciled here."))
    if day >= beijing_today():
        raise ReconError(_("A day can be reconciled once it is over (Beijing time)."))
    if DayClose.objects.filter(community=community, day=day, reopened_at__isnull=True).exists():
        raise ReconError(_("%(day)s is closed: reopen it first.") % {"day": day.isoformat()})
    digest = hashlib.sha256(data).hexdigest()
    seen = ReconRun.objects.filter(
        community=community, method=method, day=day, sha256=digest, document=Document.TRADE
    ).first()
    if seen is not None:
        return seen
    bill = bill_read(method, data)
    account = ChannelAccount.objects.filter(community=community, method=method).first()
    rate = account.fee_per_10000 if account is not None else 0
    first = merchant_communities(account)[0] if account is not None else community.pk
    with transaction.atomic():
        found, matched, our_count, our_fen, lines = _compare(
            community, method, day, bill, rate, first == community.pk
        )
        run = ReconRun.objects.create(
            community=community,
            method=method,
            day=day,
            source=source,
            file_name=file_name[:200],
            sha256=digest,
            content=zlib.compress(data, 1),
            their_payments=sum(1 for line in lines if line.kind == PAYMENT),
            their_paid_fen=sum(line.amount_fen for line in lines if line.kind == PAYMENT),
            their_refunds=sum(1 for line in lines if line.kind == REFUND),
            their_refunded_fen=sum(line.amount_fen for line in lines if line.kind == REFUND),
            their_fee_fen=sum(line.fee_fen for line in lines),
            our_payments=our_count,
            our_paid_fen=our_fen,
            matched=matched,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        listed = frozenset(line.out_trade_no for line in bill.lines if line.kind == PAYMENT)
        run.found = _record(run, found, listed)
        run.ledger_differences = len(ledger_check(community=community)) if ledger else None
        run.save(update_fields=["found", "ledger_differences"])
        log_action(
            "recon.run.done",
            actor=actor,
            obj=run,
            community_id=community.pk,
            changes={
                "payment_method": method,
                "day": day.isoformat(),
                "matched": matched,
                **{kind: count for kind, count in run.found.items() if count},
            },
        )
    return run


def recon_fetch(*, community: Community, method: str, day: datetime.date, actor=None) -> ReconRun:
    """Download the day's bill through the community's channel account and reconcile it."""
    from wuye.payments.channels import ChannelError, adapter_for

    account = ChannelAccount.objects.filter(community=community, method=method, enabled=True).first()
    if account is None:
        raise ReconError(
            _("This community has no %(channel)s account.") % {"channel": PaymentMethod(method).label}
        )
    try:
        data = adapter_for(account).bill_download(day)
    except ChannelError as error:
        raise ReconError(_("The channel did not deliver the bill: %(error)s") % {"error": error}) from error
    return recon_run(
        community=community,
        method=method,
        day=day,
        data=data,
        source=RunSource.FETCHED,
        file_name=f"{method}-{day.isoformat()}.csv",
        actor=actor,
    )
