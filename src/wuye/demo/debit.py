"""The demo's bank direct debit: the partner bank, three of its branches, a few households' mandates
(most active, some awaiting the bank) and one card-opening appointment.

Idempotent: a community that has its debit settings already is left alone. Deterministic: cards come
from a seeded random generator. The first demo owner of each community (see ``seed_owner_accounts``)
has no mandate, so one can be signed in the portal; the second has an active one.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from wuye.billing.models import FeeItem
from wuye.core.models import Community
from wuye.debit.domain.mandates import MANDATE_RULE, MandateTerms, mandate_sign_online, mandate_transition
from wuye.debit.domain.referrals import referral_book
from wuye.debit.enums import MandateState
from wuye.debit.models import BankBranch, DebitSettings
from wuye.households.domain.tagrules import tags_refresh
from wuye.households.enums import PersonKind
from wuye.households.models import Person
from wuye.households.validators import MOBILE

BANK_NAME = "合作银行"
BRANCHES = (
    ("合作银行滨江支行", "滨江大道88号"),
    ("合作银行科技园支行", "科技园南路12号"),
    ("合作银行中心广场支行", "中心广场东座1楼"),
)
ACTIVE_MANDATES = 6
PENDING_MANDATES = 3
COVERED_FEE_ITEMS = ("物业费", "卫生费")


def card_number(rng: random.Random) -> str:
    """A 16-digit card number of the partner bank's range, with a valid Luhn check digit that paysim's
    bank debits (0-6: see ``wuye.paysim.bank``), so these owners' debits succeed in the demo."""
    while True:
        body = "6228" + "".join(str(rng.randint(0, 9)) for _ in range(11))
        total = 0
        for index, digit in enumerate(reversed(body)):
            value = int(digit) * (2 if index % 2 == 0 else 1)
            total += value - 9 if value > 9 else value
        check = (10 - total % 10) % 10
        if check <= 6:
            return body + str(check)


def seed_debit(*, community: Community, actor, rng_seed: int = 11) -> bool:
    """Returns whether anything was seeded."""
    if DebitSettings.objects.filter(community=community).exists():
        return False
    rng = random.Random(f"{rng_seed}:{community.name}")
    today = timezone.localdate()
    with transaction.atomic():
        DebitSettings.objects.create(
            community=community,
            bank_name=BANK_NAME,
            creditor_name=community.company.name,
            creditor_account=f"4100{community.pk:04d}{rng.randint(10**11, 10**12 - 1)}",
            creditor_id=f"WY{community.pk:06d}",
        )
        branches = [
            BankBranch.objects.get_or_create(
                company_id=community.company_id, name=name, defaults={"address": address}
            )[0]
            for name, address in BRANCHES
        ]
        fee_items = tuple(
            FeeItem.objects.filter(community=community, name__in=COVERED_FEE_ITEMS).order_by("pk")
        )
        # Owners with a mobile number, one per household, in the order the demo invites them.
        owners, seen = [], set()
        candidates = (
            Person.objects.filter(
                community=community, kind=PersonKind.OWNER, household__room_links__isnull=False
            )
            .exclude(phone="")
            .select_related("household")
            .order_by("household_id", "pk")
        )
        for person in candidates[
            : (2 + ACTIVE_MANDATES + PENDING_MANDATES) * 20
        ]:  # bounded: the loop stops early
            if person.household_id in seen or not MOBILE.match(person.phone):
                continue
            seen.add(person.household_id)
            owners.append(person)
            if len(owners) == 2 + ACTIVE_MANDATES + PENDING_MANDATES:
                break
        signing = owners[1 : 1 + ACTIVE_MANDATES + PENDING_MANDATES]
        for index, person in enumerate(signing):
            mandate = mandate_sign_online(
                household=person.household,
                terms=MandateTerms(
                    bank_name=BANK_NAME,
                    holder_name=person.name,
                    card_number=card_number(rng),
                    fee_items=fee_items,
                    # Signed lately: the past batch (demo.debit_batches) is the scripted cards' alone.
                    effective_on=today - datetime.timedelta(days=rng.randint(1, 20)),
                    limit_per_debit_fen=rng.choice([None, None, 200000, 300000]),
                    limit_per_month_fen=rng.choice([None, None, None, 500000]),
                    holder_id_number=person.id_number,
                    phone=person.phone,
                ),
                code_checked=True,
                client_address="127.0.0.1",
            )
            if index < ACTIVE_MANDATES:
                mandate_transition(
                    mandate=mandate,
                    to_state=MandateState.ACTIVE,
                    agreement_no=f"HZ{community.pk:03d}{rng.randint(10**9, 10**10 - 1)}",
                    actor=actor,
                )
        if len(owners) > 1 + len(signing):
            person = owners[1 + len(signing)]
            tomorrow = timezone.make_aware(
                datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(10, 0))
            )
            referral_book(
                household=person.household,
                branch=branches[0],
                name=person.name,
                phone=person.phone,
                visit_at=tomorrow,
            )
    # The transitions refresh the 已签代扣 tag after commit; here at once, like the demo's other tags.
    tags_refresh(community=community, keys=[MANDATE_RULE])
    return True
