"""WeChat Pay's fund-flow bill (资金账单) against its trade bill: the channel's own money, part of check 2.

The trade bill says what was paid, refunded and charged on a day; the fund-flow bill of the merchant's
basic account says what moved: each payment in (交易), its fee out (手续费), each refund out (退款), and
the payout to the bank (提现) of an earlier day's net, its voucher naming the settlement
(``WX<mchid><yyyymmdd>``). ``fundflow_run(community, day, data)`` checks, against the reconciled trade
bill of the same day (the whole merchant's bill, as both files are the merchant's):

- Σ payments in = the bill's payments, Σ fees out = its fees, Σ refunds out = its refunds;
- each payout = the net (payments − refunds − fees) of the trade day its voucher names, when that day's
  bill is reconciled (the bank statement then checks that the payout arrived: ``settlements``).

Each disagreement is a ``FLOW`` difference (no money moves: the books follow the trade bill and the bank;
it is the channel's account of its own money that disagrees), recorded by the merchant's first
community; a later, corrected file of the same day resolves what it no longer shows. The same file again
changes nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import zlib

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions
from wuye.core.models import Community
from wuye.payments.enums import PaymentMethod
from wuye.payments.models import ChannelAccount
from wuye.recon.domain.days import day_guard
from wuye.recon.domain.runs import ReconError, beijing_today, merchant_communities
from wuye.recon.domain.settlements import difference_record
from wuye.recon.enums import DifferenceKind, DifferenceState, Document, Resolution, RunSource
from wuye.recon.interfaces.bills import (
    FLOW_FEE,
    FLOW_PAYOUT,
    FLOW_REFUND,
    FLOW_TRADE,
    ChannelBill,
    bill_read,
    settlement_reference,
    wechat_fundflow_read,
)
from wuye.recon.models import Difference, ReconRun

register_actions({"recon.fundflow.done": gettext_lazy("Fund-flow bill reconciled")})

METHOD = PaymentMethod.WECHAT


def _trade_bill(community: Community, day: datetime.date) -> ChannelBill | None:
    run = (
        ReconRun.objects.filter(community=community, method=METHOD, day=day, document=Document.TRADE)
        .order_by("-created_at")
        .first()
    )
    return bill_read(METHOD, zlib.decompress(run.content)) if run is not None else None


def _net(bill: ChannelBill) -> int:
    return bill.paid_fen - bill.refunded_fen - bill.fee_fen


def fundflow_run(
    *,
    community: Community,
    day: datetime.date,
    data: bytes,
    source: str = RunSource.UPLOADED,
    file_name: str = "",
    actor=None,
) -> ReconRun:
    """Check the fund-flow bill of ``day`` against the trade bills; see the module's docstring. Raises
    ReconError (or BillError) and then writes nothing."""
    if day >= beijing_today():
        raise ReconError(_("A day can be reconciled once it is over (Beijing time)."))
    day_guard(community=community, day=day)
    digest = hashlib.sha256(data).hexdigest()
    seen = ReconRun.objects.filter(
        community=community, method=METHOD, day=day, sha256=digest, document=Document.FUNDFLOW
    ).first()
    if seen is not None:
        return seen
    flow = wechat_fundflow_read(data)
    bill = _trade_bill(community, day)
    if bill is None:
        raise ReconError(
            _("Reconcile WeChat Pay's trade bill of %(day)s first: the fund-flow bill is checked against it.")
            % {"day": day.isoformat()}
        )
    account = ChannelAccount.objects.filter(community=community, method=METHOD).first()
    records = account is None or merchant_communities(account)[0] == community.pk
    # (reference, what the trade bills say, what the money says, detail)
    checks = [
        (f"FF{day:%Y%m%d}-{name}", ours, theirs, label)
        for name, ours, theirs, label in (
            ("trade", bill.paid_fen, flow.total(FLOW_TRADE), _("Payments in")),
            ("fee", bill.fee_fen, -flow.total(FLOW_FEE), _("Fees out")),
            ("refund", bill.refunded_fen, -flow.total(FLOW_REFUND), _("Refunds out")),
        )
    ]
    for line in flow.lines:
        if line.kind != FLOW_PAYOUT or line.income:
            continue
        paid_for = _payout_day(account, line.voucher)
        earlier = _trade_bill(community, paid_for) if paid_for is not None else None
        if earlier is not None:
            checks.append(
                (
                    line.voucher,
                    _net(earlier),
                    line.amount_fen,
                    _("Payout of the takings of %(day)s") % {"day": paid_for.isoformat()},
                )
            )
    with transaction.atomic():
        run = ReconRun.objects.create(
            community=community,
            method=METHOD,
            day=day,
            document=Document.FUNDFLOW,
            source=source,
            file_name=file_name[:200],
            sha256=digest,
            content=zlib.compress(data, 1),
            their_payments=sum(1 for line in flow.lines if line.kind == FLOW_TRADE),
            their_paid_fen=flow.total(FLOW_TRADE),
            their_refunds=sum(1 for line in flow.lines if line.kind == FLOW_REFUND),
            their_refunded_fen=-flow.total(FLOW_REFUND),
            their_fee_fen=-flow.total(FLOW_FEE),
            our_payments=sum(1 for line in bill.lines if line.kind == "payment"),
            our_paid_fen=bill.paid_fen,
            matched=sum(1 for _ref, ours, theirs, _label in checks if ours == theirs),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        found = [check for check in checks if check[1] != check[2]] if records else []
        keys = set()
        for reference, ours, theirs, label in found:
            keys.add(reference)
            difference_record(
                run,
                DifferenceKind.FLOW,
                METHOD,
                reference,
                ours_fen=ours,
                theirs_fen=theirs,
                detail=_("%(what)s: the trade bill gives %(ours)s fen, the fund-flow bill %(theirs)s fen.")
                % {"what": label, "ours": ours, "theirs": theirs},
            )
        Difference.objects.filter(
            community=community, method=METHOD, kind=DifferenceKind.FLOW, day=day, state=DifferenceState.OPEN
        ).exclude(reference__in=keys).update(
            state=DifferenceState.RESOLVED,
            resolution=Resolution.MATCHED_LATER,
            note=_("The fund-flow bill of %(day)s agrees.") % {"day": day.isoformat()},
            last_run=run,
            resolved_at=timezone.now(),
        )
        run.found = {DifferenceKind.FLOW: len(found)}
        run.save(update_fields=["found"])
        log_action(
            "recon.fundflow.done",
            actor=actor,
            obj=run,
            community_id=community.pk,
            changes={"day": day.isoformat(), "matched": run.matched, "flow": len(found)},
        )
    return run


def _payout_day(account: ChannelAccount | None, voucher: str) -> datetime.date | None:
    """The trade day a payout's voucher names (``WX<mchid><yyyymmdd>`` of this merchant), or None."""
    if account is None:
        return None
    prefix = settlement_reference(METHOD, account.merchant_id, datetime.date(2000, 1, 1))[:-8]
    if not voucher.startswith(prefix) or len(voucher) != len(prefix) + 8:
        return None
    try:
        return datetime.datetime.strptime(voucher[len(prefix) :], "%Y%m%d").date()
    except ValueError:
        return None


def fundflow_fetch(*, community: Community, day: datetime.date, actor=None) -> ReconRun:
    """Download the day's fund-flow bill through the community's WeChat Pay account and check it."""
    from wuye.payments.channels import ChannelError, adapter_for

    account = ChannelAccount.objects.filter(community=community, method=METHOD, enabled=True).first()
    if account is None:
        raise ReconError(
            _("This community has no %(channel)s account.") % {"channel": PaymentMethod(METHOD).label}
        )
    try:
        data = adapter_for(account).fundflow_download(day)
    except ChannelError as error:
        raise ReconError(_("The channel did not deliver the bill: %(error)s") % {"error": error}) from error
    return fundflow_run(
        community=community,
        day=day,
        data=data,
        source=RunSource.FETCHED,
        file_name=f"wechat-fundflow-{day.isoformat()}.csv",
        actor=actor,
    )
