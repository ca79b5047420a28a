"""An owner on a phone signs a bank direct debit mandate: the form with the mandate's text, the
one-time code sent to the bank phone, the mandate awaiting the bank. The card shows masked only."""

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore

from tests.billing.factories import FeeItemFactory
from tests.browser.conftest import screenshot
from tests.browser.test_owner_flow import phone_page, staff_page  # noqa: F401  (phone-sized browser)
from tests.factories import HouseholdRoomFactory, PersonFactory, UserFactory
from tests.owners.factories import HouseholdBindingFactory
from wuye.core.enums import Role
from wuye.debit.enums import MandateState, SignedVia
from wuye.debit.models import DebitSettings, Mandate
from wuye.portal.auth import SESSION_ACCOUNT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13912345678"
CARD = "6228480402564890018"


def logged_in(page, live_server, account) -> None:
    """The owner logged in already (an hour ago, say): the login itself is test_owner_flow's."""
    session = SessionStore()
    session[SESSION_ACCOUNT] = account.pk
    session.save()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}]
    )


def test_owner_signs_a_mandate_on_a_phone_and_the_office_activates_it(
    phone_page,  # noqa: F811
    browser,
    live_server,
    community,
    sms,
):
    DebitSettings.objects.create(
        community=community, bank_name="合作银行", creditor_name="安居物业服务有限公司"
    )
    property_fee = FeeItemFactory(community=community, name="物业费")
    FeeItemFactory(community=community, name="卫生费")
    household = HouseholdRoomFactory(household__community=community, household__name="王小明").household
    person = PersonFactory(household=household, name="王小明", phone=PHONE)
    logged_in(phone_page, live_server, HouseholdBindingFactory(person=person).account)
    page = phone_page

    page.goto("/m/")
    assert "签约银行代扣" in page.locator("#debit-mandate").inner_text()
    page.click("#debit-sign")
    page.wait_for_url("**/m/debit/sign/")
    assert page.input_value("input[name=bank_name]") == "合作银行"
    assert page.input_value("input[name=phone]") == PHONE
    assert page.input_value("input[name=holder_name]") == "王小明"
    page.fill("input[name=card_number]", "6228 4804 0256 4890 018")
    page.fill("input[name=holder_id_number]", "11010519491231002X")
    page.check(f"input[name=fee_items][value='{property_fee.pk}']")
    page.fill("input[name=limit_per_debit]", "500")
    page.check("input[name=agree]")
    assert "授权安居物业服务有限公司" in page.locator("#mandate-text").inner_text()
    screenshot(page, "portal-debit-sign")
    page.click("#mandate-form button[type=submit]")

    page.wait_for_url("**/m/debit/sign/code/")
    assert page.locator("#summary-card").inner_text() == "合作银行 ****0018"
    page.fill("input[name=code]", sms.code(PHONE))
    screenshot(page, "portal-debit-code")
    page.click("#code-form button[type=submit]")

    page.wait_for_url("**/m/debit/")
    assert page.locator("#mandate-state").inner_text() == "待银行确认"
    screenshot(page, "portal-debit-mandate")
    assert CARD not in page.content()
    mandate = Mandate.objects.get()
    assert (mandate.household, mandate.state, mandate.signed_via, mandate.consent_code_checked) == (
        household,
        MandateState.PENDING_BANK,
        SignedVia.PORTAL,
        True,
    )
    assert (mandate.card_number, mandate.limit_per_debit_fen) == (CARD, 50000)
    assert list(mandate.fee_items.all()) == [property_fee]

    # The bank confirmed it: the supervisor enters the bank's agreement number on the mandate's page.
    supervisor = UserFactory(username="zhuguan", roles=[(community, Role.SUPERVISOR)])
    office = staff_page(browser, live_server, supervisor)
    office.goto("/console/debit/mandates/")
    office.click(f"text={mandate.number}")
    office.wait_for_url(f"**/console/debit/mandates/{mandate.pk}/")
    office.fill("#move-active input[name=agreement_no]", "HZ0012345678")
    office.click("#move-active button[type=submit]")
    office.wait_for_load_state()
    assert office.locator("#mandate-state").inner_text() == "生效"
    screenshot(office, "console-debit-mandate")
    assert CARD not in office.content()
    office.goto(f"/console/households/{household.pk}/")
    assert "已签代扣" in office.locator("#tags").inner_text()

    page.reload()
    assert page.locator("#mandate-state").inner_text() == "生效"
