"""The demo's bank batch debit (批量代扣): the partner bank arrangement, a few households with active
mandates, and one batch of the month before last already debited and settled, so the batch pages
are not empty and a new batch shows retries and left-out lines.

The cards' last digits script paysim's bank (0-6 debited, 7 insufficient funds, 8 account closed, 9
unknown), so building a batch now, taking its file to the simulated bank at ``/bank/`` and importing
the answer gives mixed outcomes. Everything goes through the debit domain functions, as in production.
Idempotent: the settings are got or created, households that already have a live mandate are left
alone, and the past batch is made once.
"""

from __future__ import annotations

import datetime
import hashlib

from django.db.models import Max
from django.utils import timezone

from wuye.billing.domain import compute
from wuye.billing.models import Bill, FeeItem
from wuye.core.models import Community
from wuye.debit.domain.batches import batch_build, batch_send
from wuye.debit.domain.files import batch_files, files_digest, result_read
from wuye.debit.domain.mandates import MANDATE_RULE, MandateTerms, mandate_sign_online, mandate_transition
from wuye.debit.domain.results import result_settle
from wuye.debit.enums import MANDATE_LIVE_STATES, MandateState
from wuye.debit.models import DebitBatch, DebitSettings, Mandate
from wuye.households.domain.tagrules import tags_refresh
from wuye.households.models import Household
from wuye.owners.models import HouseholdBinding
from wuye.paysim.bank import bank_result

BANK = "合作银行"
# The last digit of each demo card: five are debited, then insufficient funds, a closed account and
# an answer the bank still owes. The unknown one signs after the past batch, which therefore settles.
CARD_DIGITS = "12356789"
UNKNOWN_DIGIT = "9"
DEBITED_MONTHS_AGO = 2  # the past batch debited the bills of the month before last


def seed_debit_settings(*, community: Community, creditor_name: str) -> DebitSettings:
    settings, _created = DebitSettings.objects.get_or_create(
        community=community,
        defaults={
            "bank_name": BANK,
            "creditor_name": creditor_name,
            "creditor_account": f"4420150010005{community.pk:07d}",
            "creditor_id": f"WY{community.pk:06d}",
            "file_format": "generic_cn",
        },
    )
    return settings


def _households(community: Community, period: datetime.date, count: int) -> list[Household]:
    """Households with an open bill of ``period``, nobody bound to them (no messages to send) and no
    live mandate yet, the first ``count`` by pk."""
    open_bills = Bill.objects.filter(community=community, period=period, state="open").values("household_id")
    return list(
        Household.objects.filter(community=community, pk__in=open_bills)
        .exclude(pk__in=HouseholdBinding.objects.values("household_id"))
        .exclude(mandates__state__in=MANDATE_LIVE_STATES)
        .order_by("pk")[:count]
    )


def seed_mandates(*, community: Community, first_month: datetime.date) -> int:
    """Active mandates for a few households with open bills, one per card digit. Returns how many."""
    if Mandate.objects.filter(community=community, agreement_no__startswith="AGDEMO").exists():
        return 0
    items = tuple(FeeItem.objects.filter(community=community).order_by("pk"))
    if not items:
        return 0
    today = timezone.localdate()
    households = _households(community, first_month, len(CARD_DIGITS))
    for index, (household, digit) in enumerate(zip(households, CARD_DIGITS, strict=False)):
        card = f"62220200{community.pk % 1000:03d}{index:07d}{digit}"  # 19 digits, whatever the pk
        mandate = mandate_sign_online(
            household=household,
            terms=MandateTerms(
                bank_name=BANK,
                holder_name=household.name,
                card_number=card,
                fee_items=items,
                effective_on=today if digit == UNKNOWN_DIGIT else first_month,
            ),
            code_checked=True,
            client_address="127.0.0.1",
        )
        mandate_transition(
            mandate=mandate,
            to_state=MandateState.ACTIVE,
            agreement_no=f"AGDEMO{community.pk:03d}{index:05d}",
        )
    # The transitions refresh the 已签代扣 tag after commit; here at once, like the demo's other tags.
    tags_refresh(community=community, keys=[MANDATE_RULE])
    return len(households)


def seed_past_batch(*, community: Community, first_month: datetime.date, actor) -> DebitBatch | None:
    """The first billed month's bills of the mandated households, debited through paysim's bank and
    settled: built, its files written and sent, the bank's result read and imported."""
    if DebitBatch.objects.filter(communities=community).exists():
        return None
    cutoff = Bill.objects.filter(community=community, period=first_month).aggregate(due=Max("due_on"))["due"]
    if cutoff is None or not Mandate.objects.filter(community=community, state=MandateState.ACTIVE).exists():
        return None
    batch = batch_build(
        company=community.company,
        communities=[community],
        cutoff_on=cutoff,
        collection_on=cutoff + datetime.timedelta(days=3),
        actor=actor,
    )
    files = batch_files(batch)
    batch = batch_send(batch=batch, files_sha256=files_digest(files), actor=actor)
    for _name, data in files:
        name, answer, _debit = bank_result(batch.file_format, data)
        result_settle(
            batch=batch,
            result=result_read(batch, answer, file_name=name),
            file_name=name,
            sha256=hashlib.sha256(answer).hexdigest(),
            actor=actor,
        )
    batch.refresh_from_db()
    return batch


def seed_debit(*, community: Community, creditor_name: str, actor) -> None:
    seed_debit_settings(community=community, creditor_name=creditor_name)
    # The mandates take effect two months ago and the past batch debits that month's bills; the months
    # before it the households paid another way (demo.history), the month after it waits for a batch.
    first_month = compute.add_months(compute.month_start(timezone.localdate()), -DEBITED_MONTHS_AGO)
    seed_mandates(community=community, first_month=first_month)
    seed_past_batch(community=community, first_month=first_month, actor=actor)
