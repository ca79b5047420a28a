"""The owner portal's bank direct debit: the home section, signing online with a one-time code (a wrong
code signs nothing), revoking, booking a card opening; the card number never appears in a page."""

import re

import pytest
from django.urls import reverse

from tests.debit.conftest import CARD, ID_NUMBER, mandate_in
from tests.owners.factories import HouseholdBindingFactory
from tests.portal.conftest import log_in
from wuye.core.models import AuditLog
from wuye.debit.enums import MandateState, ReferralState, SignedVia
from wuye.debit.models import CardReferral, Mandate
from wuye.notifications.models import Message
from wuye.owners.domain.login import login_code_send
from wuye.owners.models import LoginCode

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture
def owner_client(client, household):
    binding = HouseholdBindingFactory(person=household.people.get())
    return log_in(client, binding.account)


def sign_form(fee_items, **overrides):
    data = {
        "holder_name": "王小明",
        "card_number": "6228 4804 0256 4890 018",
        "holder_id_number": ID_NUMBER.lower(),
        "phone": PHONE,
        "fee_items": [item.pk for item in fee_items],
        "limit_per_debit": "500",
        "limit_per_month": "1,280.50",
        "agree": "on",
    }
    data.update(overrides)
    return data


def assert_no_card(response):
    html = response.content.decode()
    assert CARD not in html
    assert ID_NUMBER not in html and ID_NUMBER.lower() not in html


def test_home_invites_to_sign_where_the_community_has_a_partner_bank(owner_client, debit_settings):
    html = owner_client.get(reverse("portal:home")).content.decode()
    assert 'id="debit-mandate"' in html
    assert reverse("portal:debit_sign") in html
    assert "签约银行代扣" in html


def test_home_has_no_debit_section_without_a_partner_bank(owner_client):
    assert 'id="debit-mandate"' not in owner_client.get(reverse("portal:home")).content.decode()
    assert owner_client.get(reverse("portal:debit_sign")).status_code == 404


def test_the_form_shows_the_community_bank_and_the_accounts_phone(owner_client, debit_settings, fee_items):
    response = owner_client.get(reverse("portal:debit_sign"))
    html = response.content.decode()
    assert re.search(r'<input[^>]*name="bank_name"[^>]*value="合作银行"', html)
    assert re.search(r'name="bank_name"[^>]*(readonly|disabled)', html)
    assert f'value="{PHONE}"' in html
    assert "物业费" in html and "卫生费" in html
    assert "安居物业" in html  # the creditor in the mandate's text


def test_signing_with_the_right_code_creates_a_mandate_awaiting_the_bank(
    owner_client, household, debit_settings, fee_items, sms
):
    with sms.delivered():
        response = owner_client.post(reverse("portal:debit_sign"), sign_form(fee_items, bank_name="别的银行"))
    assert response.status_code == 302 and response["Location"] == reverse("portal:debit_confirm")
    code = LoginCode.objects.get(phone=PHONE)
    assert code.purpose == "mandate"
    assert "您正在签约银行代扣" in sms.text(PHONE)  # not a login code's text
    assert Mandate.objects.count() == 0

    confirm = owner_client.get(reverse("portal:debit_confirm"))
    assert "合作银行 ****0018" in confirm.content.decode()
    assert_no_card(confirm)

    response = owner_client.post(reverse("portal:debit_confirm"), {"code": sms.code(PHONE)})
    assert response.status_code == 302 and response["Location"] == reverse("portal:debit")

    mandate = Mandate.objects.get()
    assert (mandate.household, mandate.state, mandate.signed_via) == (
        household,
        MandateState.PENDING_BANK,
        SignedVia.PORTAL,
    )
    assert (mandate.consent_code_checked, mandate.consent_address) == (True, "127.0.0.1")
    assert (mandate.bank_name, mandate.card_number, mandate.holder_id_number, mandate.phone) == (
        "合作银行",
        CARD,
        ID_NUMBER,
        PHONE,
    )
    assert (mandate.limit_per_debit_fen, mandate.limit_per_month_fen) == (50000, 128050)
    assert set(mandate.fee_items.all()) == set(fee_items)
    assert "wuye_owner_mandate" not in owner_client.session
    for name in ("portal:debit", "portal:home"):
        page = owner_client.get(reverse(name))
        assert "合作银行 ****0018" in page.content.decode()
        assert_no_card(page)


def test_a_wrong_code_signs_nothing(owner_client, debit_settings, fee_items, sms):
    with sms.delivered():
        owner_client.post(reverse("portal:debit_sign"), sign_form(fee_items))
    right = sms.code(PHONE)
    wrong = "000000" if right != "000000" else "111111"

    response = owner_client.post(reverse("portal:debit_confirm"), {"code": wrong})

    assert response.status_code == 200
    assert "验证码错误" in response.content.decode()
    assert_no_card(response)
    assert Mandate.objects.count() == 0
    assert AuditLog.objects.filter(action__startswith="debit.").count() == 0


def test_a_login_code_does_not_sign(owner_client, debit_settings, fee_items, sms):
    owner_client.post(reverse("portal:debit_sign"), sign_form(fee_items))
    mandate_code = LoginCode.objects.get(purpose="mandate")
    LoginCode.objects.filter(pk=mandate_code.pk).update(created_at=mandate_code.created_at.replace(year=2000))
    with sms.delivered():
        login_code_send(phone=PHONE)  # a newer code, for logging in

    response = owner_client.post(reverse("portal:debit_confirm"), {"code": sms.code(PHONE)})

    assert response.status_code == 200
    assert Mandate.objects.count() == 0


def test_form_errors_ask_for_the_card_again_and_send_no_code(owner_client, debit_settings, fee_items):
    response = owner_client.post(reverse("portal:debit_sign"), sign_form(fee_items, agree=""))
    assert response.status_code == 200
    assert "请勾选同意协议" in response.content.decode()
    assert_no_card(response)
    assert LoginCode.objects.count() == 0 and Message.objects.count() == 0

    response = owner_client.post(reverse("portal:debit_sign"), sign_form(fee_items, card_number="12ab"))
    assert "银行卡号为 12 到 19 位数字" in response.content.decode()
    assert LoginCode.objects.count() == 0


def test_the_code_step_without_the_form_goes_back_to_the_form(owner_client, debit_settings):
    response = owner_client.get(reverse("portal:debit_confirm"))
    assert response["Location"] == reverse("portal:debit_sign")


def test_a_household_with_a_mandate_is_not_offered_another(
    owner_client, household, debit_settings, fee_items
):
    mandate_in(household, fee_items, MandateState.ACTIVE)
    assert owner_client.get(reverse("portal:debit_sign"))["Location"] == reverse("portal:debit")
    html = owner_client.get(reverse("portal:home")).content.decode()
    assert "合作银行 ****0018" in html and reverse("portal:debit_sign") not in html


def test_the_owner_revokes_with_a_reason(owner_client, household, debit_settings, fee_items):
    mandate = mandate_in(household, fee_items, MandateState.ACTIVE)
    url = reverse("portal:debit_revoke", args=[mandate.pk])

    owner_client.post(url, {"reason": ""})
    assert Mandate.objects.get(pk=mandate.pk).state == MandateState.ACTIVE

    response = owner_client.post(url, {"reason": "换了工资卡"})
    assert response["Location"] == reverse("portal:debit")
    mandate.refresh_from_db()
    assert (mandate.state, mandate.state_reason) == (MandateState.REVOKED, "业主撤销：换了工资卡")
    html = owner_client.get(reverse("portal:debit")).content.decode()
    assert "以往的协议" in html and reverse("portal:debit_sign") in html


def test_another_households_mandate_cannot_be_revoked(
    owner_client, other_household, debit_settings, fee_items
):
    mandate = mandate_in(other_household, fee_items, MandateState.ACTIVE)
    assert (
        owner_client.post(reverse("portal:debit_revoke", args=[mandate.pk]), {"reason": "x"}).status_code
        == 404
    )
    assert Mandate.objects.get(pk=mandate.pk).state == MandateState.ACTIVE


def test_booking_and_cancelling_a_card_opening(owner_client, household, debit_settings, branch):
    page = owner_client.get(reverse("portal:debit_referrals"))
    assert branch.name in page.content.decode()

    response = owner_client.post(
        reverse("portal:debit_referrals"),
        {"branch": branch.pk, "visit_at": "2099-01-05T10:00", "name": "王先生", "phone": PHONE},
    )
    assert response.status_code == 200  # 2099 is beyond the booking horizon
    assert "最多可提前 60 天预约" in response.content.decode()
    assert CardReferral.objects.count() == 0

    from django.utils import timezone

    soon = timezone.localtime() + timezone.timedelta(days=3)
    response = owner_client.post(
        reverse("portal:debit_referrals"),
        {"branch": branch.pk, "visit_at": soon.strftime("%Y-%m-%dT%H:%M"), "name": "王先生", "phone": PHONE},
    )
    assert response["Location"] == reverse("portal:debit_referrals")
    referral = CardReferral.objects.get()
    assert (referral.household, referral.name, referral.state) == (household, "王先生", ReferralState.BOOKED)
    assert "您的预约" in owner_client.get(reverse("portal:debit")).content.decode()

    owner_client.post(reverse("portal:debit_referral_cancel", args=[referral.pk]))
    assert CardReferral.objects.get().state == ReferralState.CANCELLED


def test_a_new_code_within_the_minute_is_refused_with_the_reason(
    owner_client, debit_settings, fee_items, sms
):
    owner_client.post(reverse("portal:debit_sign"), sign_form(fee_items))
    response = owner_client.post(reverse("portal:debit_code_send"), follow=True)
    assert "验证码发送未满一分钟" in response.content.decode()
    assert LoginCode.objects.filter(purpose="mandate").count() == 1


def test_a_code_to_sign_is_sent_right_after_a_code_to_log_in(owner_client, debit_settings, fee_items, sms):
    """An owner logs in with a code and signs at once: the minute between codes is per purpose."""
    with sms.delivered():
        login_code_send(phone=PHONE)
    with sms.delivered():
        owner_client.post(reverse("portal:debit_sign"), sign_form(fee_items))
    assert list(LoginCode.objects.order_by("pk").values_list("purpose", flat=True)) == ["login", "mandate"]
    response = owner_client.post(reverse("portal:debit_confirm"), {"code": sms.code(PHONE)})
    assert response.status_code == 302 and response["Location"] == reverse("portal:debit")
    assert Mandate.objects.get().state == MandateState.PENDING_BANK
