"""A small partner-bank dataset with known figures: two communities of two companies, mandates in
several states, card referrals, three debit batches (two sent and settled, one built and not sent), a
late return, and money by every kind of method, some of it just outside the months asked for.

Figures of community A over January to April 2026 (fen):

- households 10, with an active mandate 6 (60.0%); mandates: active 6, awaiting the bank 1, revoked 1;
  card referrals: booked 2, opened 1, not opened 1.
- February (batch 1, six lines): debited 15000 (1 line); failed 5000 + 2000 (code 51) and 4000
  (code 14); unknown 7000; 6000 debited then returned. March (batch 2, three lines): debited 5000 and
  6000, failed 2000 (code 51). April: a batch built but not sent (not counted).
- money: debit 21000 (Feb) + 11000 (Mar); WeChat Pay 8000 (Mar); Alipay 3000 (Apr); cash prepayments
  10000 + 700 (Feb; the 700 at 00:10 on 1 February, Shanghai time, which is still January in UTC);
  a cash prepayment of 500 at 00:10 on 1 May (Shanghai) is outside.

Community B: one household with an active mandate, one debit of 9000 in February, a card referral
opened, a cash prepayment of 2500 in February.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from tests.debit.factories import community_with_debit, digest, mandated_household, result_of
from tests.factories import HouseholdRoomFactory
from tests.payments.factories import issue_bill, prepay
from wuye.billing.models import BillLine
from wuye.core.models import Community
from wuye.debit.domain.batches import batch_build, batch_send
from wuye.debit.domain.mandates import MandateTerms, mandate_sign_online, mandate_transition
from wuye.debit.domain.results import line_return, result_settle
from wuye.debit.enums import MandateState
from wuye.debit.models import BankBranch, CardReferral, DebitBatch, DebitLine
from wuye.payments.domain.payments import attempt_create, order_create, payment_apply
from wuye.payments.models import PaymentAttempt, Receipt

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
JAN = datetime.date(2026, 1, 1)
APR = datetime.date(2026, 4, 1)


def at(year, month, day, hour=10, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class PartnerData:
    a: Community
    b: Community
    households_a: list  # every household of A, for the privacy checks
    batches_a: list[DebitBatch]


def _batch(community, collection_on, outcomes=None, *, paid_at=None) -> DebitBatch:
    batch = batch_build(
        company=community.company,
        communities=[community],
        cutoff_on=collection_on - datetime.timedelta(days=5),
        collection_on=collection_on,
    )
    if outcomes is None:
        return batch
    batch = batch_send(batch=batch, files_sha256="x" * 64)
    result = result_of(batch, outcomes)
    result_settle(batch=batch, result=result, file_name=f"{batch.number}.txt", sha256=digest(result))
    # The bank's answer came back the day after the collection date.
    PaymentAttempt.objects.filter(debit_line__batch=batch, transaction__isnull=False).update(paid_at=paid_at)
    return batch


def _prepay(household, amount_fen, issued_at):
    receipt = prepay(household, amount_fen)
    Receipt.objects.filter(pk=receipt.pk).update(issued_at=issued_at)


def _referrals(community, household, states):
    branch, _created = BankBranch.objects.get_or_create(company=community.company, name="合作银行城东支行")
    for state in states:
        CardReferral.objects.create(
            community=community,
            household=household,
            branch=branch,
            name=household.name,
            phone="13800138000",
            visit_at=at(2026, 2, 3),
            state=state,
        )


def _online(household, line, channel, paid_at):
    order = order_create(household=household, line_ids=[line.pk])
    attempt = attempt_create(order=order, channel=channel)
    payment_apply(attempt=attempt, amount_fen=attempt.amount_fen, paid_at=paid_at)


def partner_data() -> PartnerData:
    a = community_with_debit()
    b = community_with_debit()
    mandated = [
        mandated_household(a, amounts)[0]
        for amounts in ((12000, 3000), (5000,), (7000,), (2000,), (4000,), (6000,))
    ]
    h1, h2, h3, h4, h5, h6 = mandated
    cash_payer = HouseholdRoomFactory(household__community=a, room__community=a, community=a).household
    online_payer = HouseholdRoomFactory(household__community=a, room__community=a, community=a).household
    waiting = HouseholdRoomFactory(household__community=a, room__community=a, community=a).household
    revoked, _bills, revoked_mandate = mandated_household(a, (1000,))
    mandate_transition(mandate=revoked_mandate, to_state=MandateState.REVOKED, reason="换卡")
    mandate_sign_online(
        household=waiting,
        terms=MandateTerms(
            bank_name="合作银行",
            holder_name=waiting.name,
            card_number="6222021234567890999",
            fee_items=tuple(revoked_mandate.fee_items.all()),
            effective_on=JAN,
        ),
        code_checked=True,
    )

    february = _batch(
        a,
        datetime.date(2026, 2, 25),
        {
            1: ("success", "0000", False),
            2: ("failed", "51", True),
            3: ("unknown", "2000", False),
            4: ("failed", "51", True),
            5: ("failed", "14", False),
            6: ("success", "0000", False),
        },
        paid_at=at(2026, 2, 26),
    )
    line_return(line=DebitLine.objects.get(batch=february, line_no=6), code="R04", message="持卡人撤销")
    march = _batch(
        a,
        datetime.date(2026, 3, 25),
        {1: ("success", "0000", False), 2: ("failed", "51", True), 3: ("success", "0000", False)},
        paid_at=at(2026, 3, 26),
    )
    assert [line.household_id for line in march.lines.order_by("line_no")] == [h2.pk, h4.pk, h6.pk]
    april = _batch(a, datetime.date(2026, 4, 25))  # built, not sent: the bank never had it
    assert [line.household_id for line in april.lines.all()] == [h4.pk]

    issue_bill(online_payer, JAN, [8000, 3000])
    wechat_line, alipay_line = BillLine.objects.filter(household=online_payer).order_by("-amount_fen")
    _online(online_payer, wechat_line, "wechat_native", at(2026, 3, 5))
    _online(online_payer, alipay_line, "alipay_qr", at(2026, 4, 2))
    _prepay(cash_payer, 10000, at(2026, 2, 10))
    _prepay(cash_payer, 700, at(2026, 2, 1, 0, 10))
    _prepay(cash_payer, 500, at(2026, 5, 1, 0, 10))
    _referrals(a, cash_payer, ["booked", "booked", "opened", "not_opened"])

    hb = mandated_household(b, (9000,))[0]
    _batch(b, datetime.date(2026, 2, 25), {1: ("success", "0000", False)}, paid_at=at(2026, 2, 26))
    _prepay(hb, 2500, at(2026, 2, 12))
    _referrals(b, hb, ["opened"])

    households = [h1, h2, h3, h4, h5, h6, cash_payer, online_payer, waiting, revoked]
    return PartnerData(a=a, b=b, households_a=households, batches_a=[february, march, april])
