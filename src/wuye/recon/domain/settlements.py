"""Check 2 of reconciliation: the bank statement against what the channels and debit batches owe us.

A channel pays a day's takings into the company's bank account on the next day (T+1), net of its fees
and of the day's refunds: WeChat Pay and Alipay as one credit per merchant and trade day, the credit's
reference naming both (``WX<mchid><yyyymmdd>``, ``ALI<app id><yyyymmdd>``). The partner bank credits a
debit batch as one entry naming the batch number, valued on the collection date. What each owes comes
from what the channel's own bill said (check 1 explains the bill against our books; this check explains
the bank against the bill), or from the batch's debited lines.

``statement_run(community, data)`` reads a camt.053 statement (or camt.054 notification) of the
community's account for one day and, for each credit:

- one we expected (by its reference, else by a unique amount): a ``Settlement`` and one ledger
  transaction moving this community's part out of the channel's clearing account into the bank and
  channel fees; credited beyond or short of what the bill said is a difference held in suspense
  (``SETTLE_AMOUNT``); credited after its due value date, a ``SETTLE_LATE`` difference to accept;
- one nobody announced: booked to suspense at once (``BANK_ONLY``: Dr bank, Cr suspense), to be refunded
  or written off by a person.

What was due by the statement's day and is still not credited is ``SETTLE_MISSING`` (rechecked by every
later statement: found there, it resolves itself). Debits on the statement are not reconciled here (debit
returns come through the debit batch's returns file). Several communities through one merchant each book
their own part of its credit; the merchant's first community records what the whole credit lacks, as
it reports the orders nobody issued in check 1. The same file again changes nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import zlib
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions
from wuye.core.models import Community
from wuye.debit.enums import BatchState, LineState
from wuye.debit.interfaces.files import BankFileError
from wuye.debit.interfaces.iso20022 import Statement, StatementEntry, statement_read
from wuye.debit.models import DebitLine, DebitSettings
from wuye.ledger.domain.ledger import Entry, transaction_post
from wuye.ledger.enums import Account, TransactionKind
from wuye.payments.enums import METHOD_ACCOUNT, PaymentMethod
from wuye.payments.models import ChannelAccount
from wuye.recon.domain.days import day_guard
from wuye.recon.domain.runs import RECONCILED_METHODS, ReconError, beijing_today, merchant_communities
from wuye.recon.enums import (
    BANK,
    STATEMENT_KINDS,
    DifferenceKind,
    DifferenceState,
    Document,
    Resolution,
    RunSource,
)
from wuye.recon.interfaces.bills import SETTLEMENT_PREFIXES, bill_read, settlement_reference
from wuye.recon.models import Difference, ReconRun, Settlement

register_actions({"recon.statement.done": gettext_lazy("Bank statement reconciled")})

__all__ = ["BankFileError", "settlement_reference", "statement_run"]

SETTLE_DAYS = 1  # the channels pay a day's takings on the next day (T+1)
LOOKBACK_DAYS = 14  # how far back a statement looks for what is still owed


def _merchant(account: ChannelAccount) -> str:
    return account.merchant_id if account.method == PaymentMethod.WECHAT else account.app_id


@dataclass(frozen=True)
class Owed:
    """One credit the statement should show: ``whole_fen`` is what the bank credits (a shared merchant's
    whole day); ``net_fen``, ``fee_fen`` this community's part of it."""

    method: str
    reference: str
    trade_day: datetime.date
    due_on: datetime.date
    whole_fen: int
    net_fen: int
    fee_fen: int
    records_gap: bool  # this community records what the credit lacks (the merchant's first)

    def listed_in(self, entry: StatementEntry) -> bool:
        return self.reference in entry.references or bool(
            re.search(rf"(?<![0-9A-Za-z]){re.escape(self.reference)}(?![0-9A-Za-z])", entry.text)
        )


def owed(community: Community, day: datetime.date) -> list[Owed]:
    """What the channels and debit batches owe this community by ``day`` and have not credited yet."""
    since = day - datetime.timedelta(days=LOOKBACK_DAYS)
    settled = set(Settlement.objects.filter(community=community).values_list("method", "reference"))
    found: list[Owed] = []
    for account in ChannelAccount.objects.filter(community=community, method__in=RECONCILED_METHODS):
        sharing = merchant_communities(account)
        latest: dict[datetime.date, ReconRun] = {}
        for run in ReconRun.objects.filter(
            community=community, method=account.method, day__gte=since, day__lt=day, document=Document.TRADE
        ).order_by("day", "created_at"):
            latest[run.day] = run  # a corrected bill of the same day replaces the first
        for trade_day, run in sorted(latest.items()):
            reference = settlement_reference(account.method, _merchant(account), trade_day)
            net = run.their_paid_fen - run.their_refunded_fen - run.their_fee_fen
            if (account.method, reference) in settled or net <= 0:
                continue
            bill = bill_read(account.method, zlib.decompress(run.content))
            found.append(
                Owed(
                    method=account.method,
                    reference=reference,
                    trade_day=trade_day,
                    due_on=trade_day + datetime.timedelta(days=SETTLE_DAYS),
                    whole_fen=bill.paid_fen - bill.refunded_fen - bill.fee_fen,
                    net_fen=net,
                    fee_fen=run.their_fee_fen,
                    records_gap=sharing[0] == community.pk,
                )
            )
    debited = (
        DebitLine.objects.filter(
            community=community,
            state__in=(LineState.SUCCEEDED, LineState.RETURNED),
            batch__state__in=(BatchState.SETTLED, BatchState.PARTIAL),
            batch__collection_on__gte=since,
            batch__collection_on__lte=day,
        )
        .values_list("batch__number", "batch__collection_on")
        .annotate(total=Sum("amount_fen"))
        .order_by("batch__collection_on")
    )
    shared = set(
        DebitLine.objects.filter(batch__number__in=[number for number, _on, _total in debited])
        .exclude(community=community)
        .values_list("batch__number", flat=True)
    )
    for number, collection_on, total in debited:
        if (PaymentMethod.DEBIT, number) in settled or number in shared or not total:
            continue  # a batch of several communities is settled by hand
        found.append(Owed(PaymentMethod.DEBIT, number, collection_on, collection_on, total, total, 0, True))
    return found


def _statement_check(community: Community, statement: Statement) -> None:
    if statement.day > beijing_today():
        raise ReconError(_("The statement is of %(day)s, a day still to come.") % {"day": statement.day})
    creditor = (
        DebitSettings.objects.filter(community=community).values_list("creditor_account", flat=True).first()
    )
    if creditor and creditor != statement.account:
        raise ReconError(
            _("The statement is of the account %(theirs)s; this community's account is %(ours)s.")
            % {"theirs": statement.account, "ours": creditor}
        )
    day_guard(community=community, day=statement.day)


def _records_unknowns(community: Community, account: str) -> bool:
    """Whether this community books the credits nobody announced on ``account`` (the first community
    whose account it is, so a shared account's stray credit is booked once)."""
    first = (
        DebitSettings.objects.filter(creditor_account=account)
        .order_by("community_id")
        .values_list("community_id", flat=True)
        .first()
    )
    return first is None or first == community.pk


def _unclaimed(community: Community, entry: StatementEntry) -> None:
    """Refuse the statement when a credit names a channel day of ours whose bill is not reconciled yet:
    what it owes is not known, and the credit is not a stranger."""
    for account in ChannelAccount.objects.filter(community=community, method__in=RECONCILED_METHODS):
        prefix = SETTLEMENT_PREFIXES[account.method] + _merchant(account)
        for text in (*entry.references, entry.text):
            match = re.search(rf"{re.escape(prefix)}(\d{{8}})", text)
            if match is None:
                continue
            try:
                trade_day = datetime.datetime.strptime(match.group(1), "%Y%m%d").date()
            except ValueError:
                continue
            if not ReconRun.objects.filter(
                community=community, method=account.method, day=trade_day, document=Document.TRADE
            ).exists():
                raise ReconError(
                    _(
                        "The statement credits %(channel)s's takings of %(day)s, whose bill is not reconciled yet: reconcile that bill first."
                    )
                    % {"channel": PaymentMethod(account.method).label, "day": trade_day.isoformat()}
                )


def difference_record(
    run: ReconRun, kind: str, method: str, reference: str, **fields
) -> tuple[Difference, bool]:
    """The difference of (community, method, kind, reference): created, or pointed at this run."""
    known = Difference.objects.filter(
        community=run.community, method=method, kind=kind, reference=reference[:64]
    ).first()
    if known is not None:
        known.last_run = run
        known.save(update_fields=["last_run"])
        return known, False
    return (
        Difference.objects.create(
            community=run.community,
            method=method,
            day=run.day,
            kind=kind,
            reference=reference[:64],
            first_run=run,
            last_run=run,
            **fields,
        ),
        True,
    )


def _to_suspense(run: ReconRun, difference: Difference, amount: int, reason: str, key: str) -> None:
    """Book money the bank holds beyond (> 0) or short of (< 0) what was owed against suspense."""
    record = transaction_post(
        community_id=run.community_id,
        kind=TransactionKind.SUSPENSE,
        entries=[
            Entry(account=Account.BANK, amount_fen=amount),
            Entry(account=Account.SUSPENSE, amount_fen=-amount),
        ],
        memo=reason,
        reference=f"recon.difference:{difference.pk}",
        key=key,
        actor=run.created_by,
    )
    difference.state = DifferenceState.SUSPENSE
    difference.resolution = Resolution.SUSPENDED
    difference.note = reason[:200]
    difference.suspense_fen = amount
    difference.suspense_transaction = record
    difference.resolved_at = timezone.now()
    difference.save()


def _settle(run: ReconRun, due: Owed, entry: StatementEntry, counts: dict[str, int]) -> Settlement:
    community_id = run.community_id
    record = transaction_post(
        community_id=community_id,
        kind=TransactionKind.SETTLEMENT,
        entries=[
            Entry(account=Account.BANK, amount_fen=due.net_fen),
            Entry(account=Account.CHANNEL_FEES, amount_fen=due.fee_fen),
            Entry(account=METHOD_ACCOUNT[due.method], amount_fen=-(due.net_fen + due.fee_fen)),
        ],
        memo=_("%(channel)s settlement %(reference)s")
        % {"channel": PaymentMethod(due.method).label, "reference": due.reference},
        reference=f"recon.settlement:{due.method}:{due.reference}",
        key=f"settlement:{due.method}:{due.reference}",
        actor=run.created_by,
    )
    settlement = Settlement.objects.create(
        community_id=community_id,
        method=due.method,
        reference=due.reference,
        trade_day=due.trade_day,
        due_on=due.due_on,
        expected_fen=due.net_fen,
        fee_fen=due.fee_fen,
        credited_fen=entry.amount_fen,
        value_on=entry.value_on,
        entry_reference=entry.reference[:64],
        statement=run,
        transaction=record,
    )
    now = timezone.now()
    Difference.objects.filter(
        community_id=community_id,
        method=due.method,
        kind=DifferenceKind.SETTLE_MISSING,
        reference=due.reference,
        state=DifferenceState.OPEN,
    ).update(
        state=DifferenceState.RESOLVED,
        resolution=Resolution.MATCHED_LATER,
        note=_("Credited on %(day)s.") % {"day": entry.booked_on.isoformat()},
        last_run=run,
        resolved_at=now,
    )
    gap = entry.amount_fen - due.whole_fen
    if gap and due.records_gap:
        counts[DifferenceKind.SETTLE_AMOUNT] += 1
        difference, new = difference_record(
            run,
            DifferenceKind.SETTLE_AMOUNT,
            due.method,
            due.reference,
            ours_fen=due.whole_fen,
            theirs_fen=entry.amount_fen,
            detail=_("The bill of %(day)s gives %(owed)s fen; the bank credited %(credited)s fen.")
            % {"day": due.trade_day.isoformat(), "owed": due.whole_fen, "credited": entry.amount_fen},
        )
        if new:
            _to_suspense(
                run,
                difference,
                gap,
                _("Settlement %(reference)s differs from its bill.") % {"reference": due.reference},
                f"settle-gap:{due.method}:{due.reference}",
            )
    if entry.value_on > due.due_on:
        counts[DifferenceKind.SETTLE_LATE] += 1
        difference_record(
            run,
            DifferenceKind.SETTLE_LATE,
            due.method,
            due.reference,
            theirs_fen=entry.amount_fen,
            detail=_("Value date %(value)s, due %(due)s.")
            % {"value": entry.value_on.isoformat(), "due": due.due_on.isoformat()},
        )
    return settlement


def statement_run(
    *,
    community: Community,
    data: bytes,
    source: str = RunSource.UPLOADED,
    file_name: str = "",
    actor=None,
    day: datetime.date | None = None,
) -> ReconRun:
    """Reconcile a bank statement (camt.053 or camt.054) of the community's account; see the module's
    docstring. ``day``: the day the person meant (the statement must be of it). Raises ReconError or
    BankFileError and then writes nothing."""
    statement = statement_read(data)
    if day is not None and statement.day != day:
        raise ReconError(
            _("The statement is of %(theirs)s, not of %(day)s.")
            % {"theirs": statement.day.isoformat(), "day": day.isoformat()}
        )
    _statement_check(community, statement)
    digest = hashlib.sha256(data).hexdigest()
    seen = ReconRun.objects.filter(community=community, method=BANK, day=statement.day, sha256=digest).first()
    if seen is not None:
        return seen
    with transaction.atomic():
        dues = owed(community, statement.day)
        credits = list(statement.credits)
        already = set(
            Settlement.objects.filter(community=community).values_list("entry_reference", flat=True)
        )
        credits = [entry for entry in credits if entry.reference[:64] not in already]
        pairs: list[tuple[Owed, StatementEntry]] = []
        left = list(credits)
        for due in list(dues):
            entry = next((entry for entry in left if due.listed_in(entry)), None)
            if entry is not None:
                pairs.append((due, entry))
                left.remove(entry)
                dues.remove(due)
        for entry in list(left):  # no reference we know: a unique amount among what is still owed
            if any(_named(entry)):
                continue
            same = [due for due in dues if due.whole_fen == entry.amount_fen and due.due_on <= entry.value_on]
            if len(same) == 1:
                pairs.append((same[0], entry))
                left.remove(entry)
                dues.remove(same[0])
        for entry in left:
            _unclaimed(community, entry)
        run = ReconRun.objects.create(
            community=community,
            method=BANK,
            document=Document.STATEMENT,
            day=statement.day,
            source=source,
            file_name=file_name[:200],
            sha256=digest,
            content=zlib.compress(data, 1),
            their_payments=len(statement.credits),
            their_paid_fen=sum(entry.amount_fen for entry in statement.credits),
            their_refunds=sum(1 for entry in statement.entries if not entry.credit),
            their_refunded_fen=sum(entry.amount_fen for entry in statement.entries if not entry.credit),
            our_payments=len(pairs) + len(dues),
            our_paid_fen=sum(due.whole_fen for due, _entry in pairs) + sum(due.whole_fen for due in dues),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        counts = dict.fromkeys(STATEMENT_KINDS, 0)
        for due, entry in pairs:
            _settle(run, due, entry, counts)
        if _records_unknowns(community, statement.account):
            for entry in left:
                counts[DifferenceKind.BANK_ONLY] += 1
                difference, new = difference_record(
                    run,
                    DifferenceKind.BANK_ONLY,
                    BANK,
                    entry.reference,
                    theirs_fen=entry.amount_fen,
                    detail=(entry.counterparty + " " + entry.text).strip()[:200],
                )
                if new:
                    _to_suspense(
                        run,
                        difference,
                        entry.amount_fen,
                        _("Credited by the bank, owed by nobody we know."),
                        f"bank-only:{entry.reference[:64]}",
                    )
        if statement.day < beijing_today():  # today's credits may still come
            for due in dues:
                if due.due_on <= statement.day:
                    counts[DifferenceKind.SETTLE_MISSING] += 1
                    difference_record(
                        run,
                        DifferenceKind.SETTLE_MISSING,
                        due.method,
                        due.reference,
                        ours_fen=due.whole_fen,
                        detail=_("Due on %(due)s (%(count)s fen of trade day %(day)s).")
                        % {
                            "due": due.due_on.isoformat(),
                            "count": due.whole_fen,
                            "day": due.trade_day.isoformat(),
                        },
                    )
        run.matched = len(pairs)
        run.found = {kind: count for kind, count in counts.items() if count}
        run.save(update_fields=["matched", "found"])
        log_action(
            "recon.statement.done",
            actor=actor,
            obj=run,
            community_id=community.pk,
            changes={
                "account": statement.account,
                "day": statement.day.isoformat(),
                "matched": len(pairs),
                **run.found,
            },
        )
    return run


def _named(entry: StatementEntry):
    """Whether the entry names a channel settlement or a debit batch of any merchant (not only ours)."""
    yield from (
        bool(re.search(r"(?<![0-9A-Za-z])(WX|ALI)\d{8,20}\d{8}(?![0-9A-Za-z])", text))
        for text in (*entry.references, entry.text)
    )
