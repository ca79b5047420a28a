"""Console payments: take a payment of ticked lines at the counter, refunds requested and approved."""

import datetime
import re

import pytest
from django.urls import reverse

from tests.factories import staff
from tests.payments.factories import issue_bill
from wuye.billing.models import BillLine
from wuye.core.enums import Role
from wuye.payments.domain.checks import ledger_check
from wuye.payments.models import PaymentAttempt, Receipt, Refund

JAN, FEB = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)


@pytest.fixture
def cashier_client(client, household):
    client.force_login(staff(household.community, Role.CASHIER))
    return client


def counter_key(response) -> str:
    return re.search(r'name="key" value="([0-9a-f]{24})"', response.content.decode()).group(1)


def test_counter_payment_of_the_ticked_lines_with_change(cashier_client, household):
    issue_bill(household, JAN, [12345])
    issue_bill(household, FEB, [20000])
    jan_line = BillLine.objects.order_by("period").values_list("pk", flat=True)[0]
    url = reverse("console:payment_new", kwargs={"household_pk": household.pk})
    page = cashier_client.get(url)
    assert page.status_code == 200
    assert "323.45" in page.content.decode()  # both ticked at first

    response = cashier_client.post(
        url, {"line": [jan_line], "method": "cash", "tendered": "200", "key": counter_key(page)}, follow=True
    )

    attempt = PaymentAttempt.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "console:payment", kwargs={"paymentattempt_pk": attempt.pk}
    )
    assert (attempt.amount_fen, attempt.tendered_fen, attempt.method) == (12345, 20000, "cash")
    assert list(BillLine.objects.order_by("period").values_list("paid_fen", flat=True)) == [12345, 0]
    text = response.content.decode()
    assert "76.55" in text  # the change
    assert attempt.receipt.display_number in text
    assert ledger_check(community=household.community) == []


def test_counter_payment_with_too_little_cash_is_refused(cashier_client, household):
    issue_bill(household, JAN, [12345])
    url = reverse("console:payment_new", kwargs={"household_pk": household.pk})
    key = counter_key(cashier_client.get(url))
    response = cashier_client.post(
        url, {"line": [BillLine.objects.get().pk], "method": "cash", "tendered": "100", "key": key}
    )
    assert response.status_code == 200
    assert (PaymentAttempt.objects.count(), Receipt.objects.count()) == (0, 0)


def test_counter_payment_without_lines_is_refused(cashier_client, household):
    issue_bill(household, JAN, [12345])
    url = reverse("console:payment_new", kwargs={"household_pk": household.pk})
    key = counter_key(cashier_client.get(url))
    response = cashier_client.post(url, {"method": "card", "key": key})
    assert response.status_code == 200
    assert PaymentAttempt.objects.count() == 0


def test_refund_requested_by_the_cashier_and_approved_by_a_supervisor(client, household):
    issue_bill(household, JAN, [5000])
    cashier, supervisor = (
        staff(household.community, Role.CASHIER),
        staff(household.community, Role.SUPERVISOR),
    )
    client.force_login(cashier)
    url = reverse("console:payment_new", kwargs={"household_pk": household.pk})
    key = counter_key(client.get(url))
    client.post(url, {"line": [BillLine.objects.get().pk], "method": "card", "key": key})
    attempt = PaymentAttempt.objects.get()
    client.post(
        reverse("console:payment_refund", kwargs={"paymentattempt_pk": attempt.pk}),
        {"amount": "20.00", "reason": "多收"},
    )
    refund = Refund.objects.get()
    assert (refund.amount_fen, refund.state, refund.requested_by) == (2000, "requested", cashier)
    approve = reverse("console:refund_approve", kwargs={"refund_pk": refund.pk})
    assert client.post(approve).status_code == 404  # a cashier cannot approve

    client.force_login(supervisor)
    assert "多收" in client.get(reverse("console:refunds")).content.decode()
    client.post(approve)

    refund.refresh_from_db()
    assert (refund.state, refund.approved_by) == ("succeeded", supervisor)
    assert BillLine.objects.get().paid_fen == 3000
    assert ledger_check(community=household.community) == []


def test_refund_approval_by_the_person_who_requested_it_is_refused_in_the_console(client, household):
    from wuye.core.models import AuditLog
    from wuye.ledger.models import LedgerTransaction

    issue_bill(household, JAN, [5000])
    administrator = staff(household.community, Role.ADMINISTRATOR)  # may take payments and approve refunds
    client.force_login(administrator)
    url = reverse("console:payment_new", kwargs={"household_pk": household.pk})
    client.post(
        url, {"line": [BillLine.objects.get().pk], "method": "card", "key": counter_key(client.get(url))}
    )
    attempt = PaymentAttempt.objects.get()
    client.post(
        reverse("console:payment_refund", kwargs={"paymentattempt_pk": attempt.pk}),
        {"amount": "20.00", "reason": "多收"},
    )
    refund = Refund.objects.get()

    response = client.post(reverse("console:refund_approve", kwargs={"refund_pk": refund.pk}), follow=True)

    assert "必须由申请人以外的人审批" in response.content.decode()
    refund.refresh_from_db()
    assert (refund.state, refund.approved_by, refund.transaction_id) == ("requested", None, None)
    assert LedgerTransaction.objects.filter(kind="refund").count() == 0
    assert BillLine.objects.get().paid_fen == 5000
    assert not AuditLog.objects.filter(action="payments.refund.approved").exists()


def test_administrator_sets_the_amount_one_person_may_refund_alone(client, household):
    from wuye.core.models import AuditLog
    from wuye.payments.models import PaymentSettings

    client.force_login(staff(household.community, Role.ADMINISTRATOR))
    form = {"excess_policy": "prepayment", "order_minutes": "15"}
    page = client.get(reverse("console:channel_settings")).content.decode()
    assert 'name="refund_self_approval_below" value="0.00"' in page  # two people, unless set

    client.post(reverse("console:channel_settings"), form | {"refund_self_approval_below": "200.50"})

    assert PaymentSettings.of(household.community_id).refund_self_approval_below_fen == 20050
    entry = AuditLog.objects.get(action="payments.settings.changed")
    assert entry.changes["refund_self_approval_below_yuan"] == [None, "200.50"]
    refused = client.post(reverse("console:channel_settings"), form | {"refund_self_approval_below": "-1"})
    assert refused.status_code == 200
    assert PaymentSettings.of(household.community_id).refund_self_approval_below_fen == 20050


def test_payments_list_and_inbox_pages(client, household):
    client.force_login(staff(household.community, Role.ADMINISTRATOR))
    assert client.get(reverse("console:payments")).status_code == 200
    assert client.get(reverse("console:channel_events")).status_code == 200


def test_pay_poster_and_household_pay_link(client, household):
    client.force_login(staff(household.community, Role.CASHIER))
    poster = client.get(reverse("console:pay_poster"))
    assert (poster.status_code, poster["Content-Type"], poster.content[:4]) == (
        200,
        "application/pdf",
        b"%PDF",
    )
    page = client.get(reverse("console:household_pay_link", kwargs={"household_pk": household.pk}))
    text = page.content.decode()
    assert page.status_code == 200 and "<svg" in text
    url = re.search(r'<code id="pay-link-url">([^<]+)</code>', text).group(1)
    path = url.split("://", 1)[1].split("/", 1)[1]
    opened = client.get("/" + path, follow=True)  # the link opens the household's pay page
    assert (opened.status_code, opened.redirect_chain[-1][0]) == (200, "/m/pay/")


def test_administrator_sets_up_a_channel_account_with_key_references_only(client, household):
    from wuye.core.models import AuditLog
    from wuye.payments.models import ChannelAccount, PaymentSettings

    client.force_login(staff(household.community, Role.ADMINISTRATOR))
    url = reverse("console:channel_account_new") + "?method=alipay"
    data = {
        "method": "alipay",
        "enabled": "on",
        "merchant_id": "2088000000000001",
        "app_id": "2021000000000001",
        "private_key_ref": "-----BEGIN PRIVATE KEY-----",
        "platform_public_key_ref": "file:alipay/alipay_public.pem",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200 and ChannelAccount.objects.count() == 0  # a key itself is refused

    client.post(url, data | {"private_key_ref": "env:WUYE_CHANNEL_ALIPAY_KEY"})

    account = ChannelAccount.objects.get()
    assert (account.method, account.private_key_ref, account.community) == (
        "alipay",
        "env:WUYE_CHANNEL_ALIPAY_KEY",
        household.community,
    )
    assert AuditLog.objects.filter(action="payments.channel_account.saved").count() == 1
    client.post(
        reverse("console:channel_settings"),
        {"excess_policy": "refund", "order_minutes": "10", "refund_self_approval_below": "0"},
    )
    assert (
        PaymentSettings.of(household.community_id).excess_policy,
        PaymentSettings.of(household.community_id).order_minutes,
    ) == ("refund", 10)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("private_key_ref", "file:/etc/passwd"),
        ("private_key_ref", "file:../../../../etc/passwd"),
        ("platform_public_key_ref", "env:PATH"),
        ("gateway_url", "https://evil.example.com/gateway.do"),
        ("gateway_url", "http://127.0.0.1:8001/gateway.do"),  # paysim, in production
        ("merchant_id", "../../etc"),
    ],
)
def test_a_channel_account_pointing_at_the_server_s_files_or_another_host_is_refused_on_save(
    client, household, settings, field, value
):
    from wuye.core.models import AuditLog
    from wuye.payments.models import ChannelAccount

    settings.PAYSIM_ENABLED = False  # production
    client.force_login(staff(household.community, Role.ADMINISTRATOR))
    data = {
        "method": "alipay",
        "enabled": "on",
        "merchant_id": "2088000000000001",
        "app_id": "2021000000000001",
        "private_key_ref": "file:alipay/app_private.pem",
        "platform_public_key_ref": "env:WUYE_CHANNEL_ALIPAY_PUBLIC",
    }

    response = client.post(reverse("console:channel_account_new") + "?method=alipay", data | {field: value})

    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()
    assert "root:" not in response.content.decode()
    assert ChannelAccount.objects.count() == 0
    assert not AuditLog.objects.filter(action="payments.channel_account.saved").exists()


def test_the_domain_refuses_an_account_the_form_would_refuse(household, settings):
    from wuye.core.models import AuditLog
    from wuye.payments.domain.settings import ChannelAccountError, channel_account_save
    from wuye.payments.models import ChannelAccount

    settings.PAYSIM_ENABLED = False
    for fields in (
        {"private_key_ref": "file:/etc/passwd"},
        {"private_key_ref": "env:PATH"},
        {"private_key_ref": "env:WUYE_CHANNEL_KEY", "gateway_url": "https://evil.example.com"},
    ):
        account = ChannelAccount(
            community=household.community, method="alipay", app_id="2021000000000001", **fields
        )
        with pytest.raises(ChannelAccountError):
            channel_account_save(account=account, actor=None)
    assert ChannelAccount.objects.count() == 0
    assert not AuditLog.objects.filter(action="payments.channel_account.saved").exists()


def test_channel_settings_are_for_administrators(client, household):
    client.force_login(staff(household.community, Role.SUPERVISOR))
    assert client.get(reverse("console:channel_settings")).status_code == 404
