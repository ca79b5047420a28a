"""The late fee on the QR pay pages, against paysim: shown per line and in the total before paying,
asked of the channel at exactly its value of the day, collected with the bills, printed on the receipt."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import staff
from tests.payments.factories import issue_bill
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from tests.portal.test_pay_flow import _empty_cache, attempt_page, lines_of, pay, payer, status_page  # noqa: F401
from wuye.billing.domain.latefees import line_late_fee_waiver_approve, line_late_fee_waiver_request
from wuye.billing.enums import LateFeeMethod
from wuye.billing.models import FeeItem
from wuye.core.enums import Role
from wuye.ledger.enums import Account
from wuye.ledger.models import Posting
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.queries import receipt_items
from wuye.payments.models import OrderLine, PaymentAttempt, Receipt
from wuye.paysim.seed import paysim_accounts

DAYS_LATE = 20


@pytest.fixture
def home(household, paysim):  # noqa: F811
    """王小明's household with one bill of two lines due 20 days ago, 0.05 % a day late fee; identified.
    20 days × 0.05 %: 12345 fen → 123.45 → 123 fen of late fee; 500 fen → 5 fen."""
    bill = issue_bill(household, datetime.date(2026, 1, 1), [12345, 500])
    bill.due_on = timezone.localdate() - datetime.timedelta(days=DAYS_LATE)
    bill.save(update_fields=["due_on"])
    FeeItem.objects.filter(lines__bill=bill).update(
        late_fee_method=LateFeeMethod.DAILY_RATE, late_fee_rate=Decimal("0.0005")
    )
    paysim_accounts(household.community, base_url=paysim.base_url)
    return household


def settle_by_query(payer, attempt, paysim):  # noqa: F811
    paysim.pay(attempt.out_trade_no, notify=False)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=6)
    )
    assert 'data-final="1"' in payer.get(status_page(attempt)).content.decode()
    attempt.refresh_from_db()
    return attempt


def test_bills_page_shows_each_late_fee_and_the_total_before_paying(payer, home):  # noqa: F811
    first, second = lines_of(home)

    response = payer.get(reverse("portal:pay_bills"))

    html = response.content.decode()
    assert response.context["chosen_fen"] == 12345 + 500 + 123 + 5
    assert response.context["chosen_late_fee_fen"] == 128
    assert f'data-fen="{12345 + 123}"' in html and f'data-fen="{500 + 5}"' in html
    assert f'id="late-fee-{first.pk}"' in html and "¥1.23" in html
    assert f'id="late-fee-{second.pk}"' in html and "¥0.05" in html
    assert 'id="pay-total">129.73<' in html


def test_qr_payment_asks_and_collects_the_late_fee_of_the_day(payer, home, paysim):  # noqa: F811
    first, second = lines_of(home)

    pay(payer, [first.pk, second.pk])

    attempt = PaymentAttempt.objects.get()
    assert attempt.amount_fen == 12973
    assert paysim.order(attempt.out_trade_no).amount_fen == 12973  # what the channel asks the payer
    assert sorted(OrderLine.objects.filter(order=attempt.order).values_list("line_id", "late_fee_fen")) == [
        (first.pk, 123),
        (second.pk, 5),
    ]
    page = payer.get(attempt_page(attempt)).content.decode()
    assert (
        'id="pay-attempt-amount">¥129.73<' in page and 'id="pay-attempt-late-fee"' in page and "¥1.28" in page
    )

    attempt = settle_by_query(payer, attempt, paysim)

    receipt = Receipt.objects.get()
    assert (attempt.state, receipt.amount_fen) == ("succeeded", 12973)
    assert [(line.paid_fen, line.late_fee_paid_fen) for line in lines_of(home)] == [(12345, 123), (500, 5)]
    assert sorted(
        Posting.objects.filter(transaction_id=attempt.transaction_id).values_list("account", "amount_fen")
    ) == sorted([(Account.WECHAT, 12973), (Account.RECEIVABLE, -12845), (Account.LATE_FEE_INCOME, -128)])
    assert [item.amount_fen for item in receipt_items(receipt=receipt, rooms=False)] == [12345, 500, 128]
    assert ledger_check(community=home.community) == []


def test_qr_payment_of_a_waived_late_fee_asks_only_the_bills(payer, home, paysim):  # noqa: F811
    first, second = lines_of(home)
    line_late_fee_waiver_request(line=first, reason="首次逾期", actor=staff(home.community, Role.SUPERVISOR))
    line_late_fee_waiver_approve(line=first, actor=staff(home.community, Role.SUPERVISOR))

    assert payer.get(reverse("portal:pay_bills")).context["chosen_late_fee_fen"] == 5
    pay(payer, [first.pk, second.pk])
    attempt = settle_by_query(payer, PaymentAttempt.objects.get(), paysim)

    assert attempt.amount_fen == 12345 + 500 + 5
    assert [(line.paid_fen, line.late_fee_paid_fen) for line in lines_of(home)] == [(12345, 0), (500, 5)]
    assert ledger_check(community=home.community) == []
