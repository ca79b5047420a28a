"""A debit mandate and a card-opening appointment of the foreign community."""

import datetime

from django.utils import timezone

from tests.billing.factories import FeeItemFactory
from tests.factories import HouseholdRoomFactory
from wuye.debit.domain.mandates import MandateTerms, mandate_sign_online
from wuye.debit.domain.referrals import referral_book
from wuye.debit.models import BankBranch


def build(community, staff_user) -> dict[str, int]:
    household = HouseholdRoomFactory(household__community=community).household
    mandate = mandate_sign_online(
        household=household,
        terms=MandateTerms(
            bank_name="合作银行",
            holder_name="王小明",
            card_number="6228480402564890018",
            fee_items=(FeeItemFactory(community=community),),
            effective_on=datetime.date(2025, 1, 1),
        ),
        code_checked=True,
    )
    referral = referral_book(
        household=household,
        branch=BankBranch.objects.create(company=community.company, name="合作银行某支行"),
        name="王小明",
        phone="13900000000",
        visit_at=timezone.now() + datetime.timedelta(days=1),
    )
    return {"mandate_pk": mandate.pk, "cardreferral_pk": referral.pk}
