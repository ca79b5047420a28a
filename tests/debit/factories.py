"""Helpers for debit tests: households with bills and active mandates, and result files as the codec
returns them."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field

from tests.factories import CommunityFactory, CompanyFactory, HouseholdRoomFactory
from tests.payments.factories import issue_bill
from wuye.billing.models import FeeItem
from wuye.debit.domain.mandates import MandateTerms, mandate_sign_online, mandate_transition
from wuye.debit.enums import MandateState
from wuye.debit.models import DebitSettings

JAN = datetime.date(2026, 1, 1)
FEB = datetime.date(2026, 2, 1)


def community_with_debit(**settings):
    community = CommunityFactory(company=CompanyFactory())
    DebitSettings.objects.create(
        community=community,
        bank_name="合作银行",
        creditor_name="物业公司",
        creditor_account="6222000011112222",
        creditor_id="C001",
        **settings,
    )
    return community


def mandated_household(
    community, amounts=(12000, 3000), *, periods=(JAN,), agreement="", card="6222021234567890123", **limits
):
    """A household with one bill per period (one line per amount) and an active mandate covering them.
    The card's last digit scripts paysim's bank (0-6 success, 7 insufficient funds, 8 closed, 9 unknown)."""
    household = HouseholdRoomFactory(
        household__community=community, room__community=community, community=community
    ).household
    bills = [issue_bill(household, period, list(amounts)) for period in periods]
    items = FeeItem.objects.filter(lines__bill__in=bills).distinct()
    mandate = mandate_sign_online(
        household=household,
        terms=MandateTerms(
            bank_name="合作银行",
            holder_name=household.name,
            card_number=card,
            fee_items=tuple(items),
            effective_on=JAN,
            **limits,
        ),
        code_checked=True,
    )
    mandate_transition(
        mandate=mandate, to_state=MandateState.ACTIVE, agreement_no=agreement or f"AG{household.pk:08d}"
    )
    mandate.refresh_from_db()
    return household, bills, mandate


@dataclass(frozen=True)
class Line:
    line_no: int
    reference: str
    amount_fen: int
    outcome: str
    code: str = "0000"
    message: str = ""
    retryable: bool = False


@dataclass(frozen=True)
class Result:
    batch_no: str
    lines: tuple = ()
    file_rejected: bool = False
    reject_code: str = ""
    reject_message: str = ""
    partial: bool = False
    declared_count: int = 0
    declared_sum_fen: int = 0
    extra: dict = field(default_factory=dict)


def result_of(batch, outcomes: dict[int, tuple]) -> Result:
    """A result file of ``batch``: outcomes {line_no: ("success" | "failed" | "unknown", code, retryable)}."""
    lines = []
    for line in batch.lines.order_by("line_no"):
        if line.line_no not in outcomes:
            continue
        outcome, code, retryable = outcomes[line.line_no]
        lines.append(
            Line(line.line_no, line.reference, line.amount_fen, outcome, code, f"code {code}", retryable)
        )
    return Result(batch_no=batch.number, lines=tuple(lines))


def digest(result) -> str:
    return hashlib.sha256(repr(result).encode()).hexdigest()
