"""The demo's bank direct debit, for the partner dashboard to show something: debit settings, mandates
in several states, two monthly debit batches sent and settled (most lines debited, some refused for
insufficient funds or a closed card, one without an answer yet) and card-opening bookings.

Idempotent and deferential: each part is seeded only when the community has none of it yet (another
part of the demo may seed mandates and batches of its own; then this one leaves them alone).
Deterministic: households are picked by their order, outcomes by line number.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from wuye.billing.domain.compute import add_months, month_start
from wuye.billing.models import LINE_OUTSTANDING, BillLine, FeeItem
from wuye.core.models import Community
from wuye.debit.domain.batches import BatchError, batch_build, batch_send
from wuye.debit.domain.mandates import MandateTerms, mandate_sign_online, mandate_transition
from wuye.debit.domain.results import result_settle
from wuye.debit.enums import MandateState, ReferralState
from wuye.debit.interfaces.files import Outcome, ResultFile, ResultLine
from wuye.debit.models import BankBranch, CardReferral, DebitLine, DebitSettings, Mandate
from wuye.households.enums import PersonKind
from wuye.households.models import Household, Person

BANK = "合作银行"
MANDATES_MAX = 60  # per community, at full scale
# Bank codes as the generic_cn format reads them: success, insufficient funds (may be retried),
# card closed (final), and a line the bank is still processing.
SUCCESS = ("0000", "交易成功")
NO_FUNDS = ("51", "余额不足")
CARD_CLOSED = ("14", "无效卡号或卡已注销")
PROCESSING = ("2000", "处理中")
BRANCHES = ("合作银行城东支行", "合作银行锦绣路支行")


def _outcome(line_no: int, *, last: bool) -> tuple[Outcome, tuple[str, str], bool]:
    """About one line in ten refused for insufficient funds, one in ten for a closed card, and in the
    latest batch one in ten still being processed; the rest debited."""
    kind = line_no % 10
    if kind == 3:
        return Outcome.FAILED, NO_FUNDS, True
    if kind == 6:
        return Outcome.FAILED, CARD_CLOSED, False
    if kind == 9 and last:
        return Outcome.UNKNOWN, PROCESSING, False
    return Outcome.SUCCESS, SUCCESS, False


def _settle(batch, *, last: bool, actor) -> None:
    lines = []
    for line in DebitLine.objects.filter(batch=batch).order_by("line_no"):
        outcome, (code, message), retryable = _outcome(line.line_no, last=last)
        lines.append(
            ResultLine(line.line_no, line.reference, line.amount_fen, outcome, code, message, retryable)
        )
    result = ResultFile(
        batch_no=batch.number,
        file_rejected=False,
        reject_code="",
        reject_message="",
        lines=tuple(lines),
        declared_count=len(lines),
        declared_sum_fen=sum(line.amount_fen for line in lines),
    )
    result_settle(
        batch=batch,
        result=result,
        file_name=f"{batch.number}_result.txt",
        sha256=f"demo:{batch.number}",
        actor=actor,
    )


def _mandated_households(community: Community, count: int) -> list[tuple[Household, Person | None]]:
    """Every tenth household that still owes on the first month's bills, with its first owner."""
    owing = (
        BillLine.objects.filter(community=community, is_void=False)
        .alias(outstanding=LINE_OUTSTANDING)
        .filter(outstanding__gt=0)
        .values("household_id")
    )
    households = list(
        Household.objects.filter(community=community, pk__in=owing).order_by("pk")[::10][:count]
    )
    owners = {}
    for person in Person.objects.filter(household__in=households, kind=PersonKind.OWNER).order_by("pk"):
        owners.setdefault(person.household_id, person)
    return [(household, owners.get(household.pk)) for household in households]


def _mandates(community: Community, *, scale_count: int, actor) -> None:
    items = tuple(FeeItem.objects.filter(community=community).order_by("pk"))
    if not items:
        return
    today = timezone.localdate()
    start = add_months(month_start(today), -3)
    picked = _mandated_households(community, scale_count)
    for index, (household, owner) in enumerate(picked):
        mandate = mandate_sign_online(
            household=household,
            terms=MandateTerms(
                bank_name=BANK,
                holder_name=owner.name if owner else household.name,
                card_number=f"62220{community.pk % 100:02d}{household.pk % 10**12:012d}",  # 19 digits
                fee_items=items,
                effective_on=start,
                phone=owner.phone if owner else "",
            ),
            code_checked=True,
            client_address="127.0.0.1",
            actor=actor,
        )
        if index % 20 == 7:
            continue  # still with the bank
        mandate_transition(
            mandate=mandate,
            to_state=MandateState.ACTIVE,
            agreement_no=f"AG{community.pk:03d}{household.pk:09d}",
            actor=actor,
        )
        if index % 20 == 13:
            mandate_transition(
                mandate=mandate, to_state=MandateState.REVOKED, reason="业主改为自行缴费", actor=actor
            )


def _batches(community: Community, *, actor) -> None:
    """One batch in each of the two months before this one, each sent and its result imported."""
    this_month = month_start(timezone.localdate())
    months = [add_months(this_month, -2), add_months(this_month, -1)]
    for month in months:
        try:
            batch = batch_build(
                company=community.company,
                communities=[community],
                cutoff_on=month.replace(day=20),
                collection_on=month.replace(day=25),
                actor=actor,
            )
        except BatchError:
            continue  # nothing owed by then (every mandated household had paid)
        batch = batch_send(batch=batch, files_sha256=f"demo-{batch.number}".ljust(64, "0")[:64], actor=actor)
        _settle(batch, last=month == months[-1], actor=actor)


def _referrals(community: Community) -> None:
    """Visits already handled by the bank (opened, not opened, cancelled by the owner), in the past:
    the bookings still to come are demo.debit's."""
    branches = list(BankBranch.objects.filter(company=community.company).order_by("pk")) or [
        BankBranch.objects.get_or_create(company=community.company, name=name)[0] for name in BRANCHES
    ]
    states = [
        ReferralState.OPENED,
        ReferralState.OPENED,
        ReferralState.OPENED,
        ReferralState.NOT_OPENED,
        ReferralState.CANCELLED,
    ]
    without = (
        Person.objects.filter(community=community, kind=PersonKind.OWNER)
        .exclude(phone="")
        .exclude(household__in=Mandate.objects.filter(community=community).values("household_id"))
        .exclude(household__in=CardReferral.objects.filter(community=community).values("household_id"))
        .order_by("household_id", "pk")
    )
    chosen, seen = [], set()
    for person in without[:200]:
        if person.household_id not in seen:
            seen.add(person.household_id)
            chosen.append(person)
        if len(chosen) == len(states):
            break
    visit = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(10)))
    CardReferral.objects.bulk_create(
        [
            CardReferral(
                community=community,
                household_id=person.household_id,
                branch=branches[index % len(branches)],
                name=person.name,
                phone=person.phone,
                visit_at=visit - datetime.timedelta(days=3 * (index + 1)),
                state=state,
            )
            for index, (person, state) in enumerate(zip(chosen, states, strict=False))
        ]
    )


def seed_partner_demo(community: Community, *, actor=None, scale: float = 1.0) -> None:
    """Seed what the partner dashboard shows for ``community``; each part only if it has none yet."""
    DebitSettings.objects.get_or_create(
        community=community,
        defaults={
            "bank_name": BANK,
            "creditor_name": community.company.name[:70],
            "creditor_account": "6222600100012345678",
            "creditor_id": f"WY{community.pk:04d}",
        },
    )
    if not Mandate.objects.filter(community=community).exists():
        _mandates(community, scale_count=max(8, round(MANDATES_MAX * scale)), actor=actor)
    if not DebitLine.objects.filter(community=community).exists():
        _batches(community, actor=actor)
    if not CardReferral.objects.filter(community=community).exclude(state=ReferralState.BOOKED).exists():
        _referrals(community)
