"""Debit fixtures: a community with a partner bank and two fee items, mandates in any state."""

import datetime

import pytest

from tests.billing.factories import FeeItemFactory
from tests.factories import HouseholdRoomFactory, PersonFactory
from wuye.debit.domain.mandates import MandateTerms, mandate_sign_online
from wuye.debit.enums import MandateState
from wuye.debit.models import BankBranch, DebitSettings, Mandate

CARD = "6228480402564890018"  # 19 digits; never to be seen whole outside the database
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def debit_settings(community):
    return DebitSettings.objects.create(
        community=community, bank_name="合作银行", creditor_name="安居物业", creditor_account="41001234"
    )


@pytest.fixture
def fee_items(community):
    return [
        FeeItemFactory(community=community, name="物业费"),
        FeeItemFactory(community=community, name="卫生费"),
    ]


@pytest.fixture
def branch(community):
    return BankBranch.objects.create(
        company=community.company, name="合作银行滨江支行", address="滨江大道88号"
    )


def terms_for(items, /, **overrides) -> MandateTerms:
    values = {
        "bank_name": "合作银行",
        "holder_name": "王小明",
        "card_number": CARD,
        "fee_items": tuple(items),
        "effective_on": datetime.date(2025, 1, 1),
        "holder_id_number": ID_NUMBER,
        "phone": "13912345678",
    }
    values.update(overrides)
    return MandateTerms(**values)


def mandate_in(household, fee_items, state: str = MandateState.PENDING_BANK, **overrides) -> Mandate:
    """A mandate signed online, then put straight into ``state`` (no log: the arrangement of a test)."""
    mandate = mandate_sign_online(
        household=household,
        terms=terms_for(fee_items, **overrides),
        code_checked=True,
        client_address="10.0.0.1",
    )
    if state != MandateState.PENDING_BANK:
        agreement = f"AG{mandate.pk:06d}" if state in (MandateState.ACTIVE, MandateState.SUSPENDED) else ""
        Mandate.objects.filter(pk=mandate.pk).update(state=state, agreement_no=agreement)
        mandate.refresh_from_db()
    return mandate


@pytest.fixture
def other_household(community):
    link = HouseholdRoomFactory(household__community=community)
    PersonFactory(household=link.household, name="李四", phone="13800000002")
    return link.household


# The bank file tests read the codecs' error messages as written (the English msgids).
ENGLISH_MODULES = {"test_bankfiles", "test_files", "test_iso20022", "test_text", "test_textformat"}


@pytest.fixture(autouse=True)
def _english_messages(request):
    from django.utils import translation

    if request.module.__name__.rsplit(".", 1)[-1] not in ENGLISH_MODULES:
        yield
        return
    with translation.override("en"):
        yield
