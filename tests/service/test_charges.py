"""Paid repairs: the charge of a request is a one-off line on the household's bill of the month."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import staff
from tests.payments.factories import prepay
from wuye.billing.domain.compute import month_start
from wuye.billing.models import Adjustment, Bill, BillLine
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.ledger.models import LedgerTransaction
from wuye.payments.domain.checks import ledger_check
from wuye.service.domain.errors import ServiceError
from wuye.service.domain.requests import request_charge
from wuye.service.enums import EventKind, RequestState
from wuye.service.models import RequestEvent, ServiceRequest


@pytest.fixture(autouse=True)
def _english():
    """The tests read the domain's messages in English (the default language is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def repair(make_request, tech):
    return make_request(state=RequestState.IN_PROGRESS, assignee=tech)


def test_charge_bills_the_household_this_month(repair, tech):
    request_charge(request=repair, amount_fen=4550, note="更换角阀", actor=tech)

    line = BillLine.objects.get()
    assert (line.household_id, line.room_id, line.amount_fen, line.source) == (
        repair.household_id,
        repair.room_id,
        4550,
        f"service.request:{repair.pk}",
    )
    assert (line.bill.period, line.bill.total_fen) == (month_start(timezone.localdate()), 4550)
    assert line.transaction.memo == f"#{repair.pk} 水电 更换角阀"
    assert ServiceRequest.objects.get(pk=repair.pk).charge_fen == 4550
    assert (
        AuditLog.objects.filter(action="billing.charge.added", household_id=repair.household_id).count() == 1
    )
    assert ledger_check(community=repair.community) == []


def test_charging_again_does_not_bill_twice(repair, tech):
    request_charge(request=repair, amount_fen=4550, note="更换角阀", actor=tech)
    request_charge(request=repair, amount_fen=6000, note="更换角阀和软管", actor=tech)
    request_charge(request=repair, amount_fen=6000, note="更换角阀和软管", actor=tech)

    line = BillLine.objects.get()
    assert (line.amount_fen, line.adjusted_fen, line.outstanding_fen) == (4550, 1450, 6000)
    assert Adjustment.objects.count() == 1
    assert Bill.objects.count() == 1
    assert RequestEvent.objects.filter(request=repair, kind=EventKind.CHARGE).count() == 3
    assert ledger_check(community=repair.community) == []


def test_charge_of_zero_bills_nothing(repair, tech):
    request_charge(request=repair, amount_fen=0, note="保修期内", actor=tech)
    assert (BillLine.objects.count(), Bill.objects.count(), LedgerTransaction.objects.count()) == (0, 0, 0)
    assert ServiceRequest.objects.get(pk=repair.pk).charge_note == "保修期内"


def test_lowering_a_paid_charge_is_refused_and_changes_nothing(
    repair, tech, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        prepay(repair.household, 4550)
        request_charge(request=repair, amount_fen=4550, note="更换角阀", actor=tech)
    assert BillLine.objects.get().paid_fen == 4550
    events = RequestEvent.objects.count()
    transactions = LedgerTransaction.objects.count()

    with pytest.raises(ServiceError, match="paid or waived already"):
        request_charge(request=repair, amount_fen=1000, note="打折", actor=tech)

    stored = ServiceRequest.objects.get(pk=repair.pk)
    assert (stored.charge_fen, stored.charge_note) == (4550, "更换角阀")
    line = BillLine.objects.get()
    assert (line.amount_fen, line.adjusted_fen, line.paid_fen) == (4550, 0, 4550)
    assert (RequestEvent.objects.count(), LedgerTransaction.objects.count()) == (events, transactions)
    assert AuditLog.objects.filter(action="service.request.charged").count() == 1


def test_closed_request_charge_is_refused_and_bills_nothing(make_request, tech):
    request = make_request(state=RequestState.CLOSED)
    with pytest.raises(ServiceError):
        request_charge(request=request, amount_fen=4550, actor=tech)
    assert (BillLine.objects.count(), LedgerTransaction.objects.count()) == (0, 0)


def test_detail_page_links_the_charge_to_its_bill(client, repair, tech, community):
    request_charge(request=repair, amount_fen=4550, note="更换角阀", actor=tech)
    bill = Bill.objects.get()
    client.force_login(staff(community, Role.ADMINISTRATOR))

    page = client.get(reverse("console:service_request", args=[repair.pk])).content.decode()

    assert 'id="charge-bill"' in page
    assert reverse("console:bill", args=[bill.pk]) in page


def test_detail_page_without_a_charge_shows_no_bill(client, repair, community):
    client.force_login(staff(community, Role.ADMINISTRATOR))
    page = client.get(reverse("console:service_request", args=[repair.pk])).content.decode()
    assert 'id="charge-bill"' not in page
