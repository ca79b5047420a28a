"""The accountant's pages: reconcile a day from the console, read the differences, settle one."""

import pytest
from django.urls import reverse

from tests.factories import staff
from tests.recon.test_runs import _household, back, paid, stranger
from wuye.core.enums import Role
from wuye.ledger.models import LedgerTransaction
from wuye.payments.domain.checks import ledger_check
from wuye.recon.models import Difference, ReconRun


def test_the_accountant_reconciles_a_day_and_moves_unknown_money_to_suspense(client, setup, paysim):
    day = back(1)
    paid(paysim, _household(setup), "wechat", day)
    stranger(paysim, "wechat", "NOTOURS9", 2500, day, 3)
    client.force_login(staff(setup, Role.ACCOUNTANT))

    assert client.get(reverse("console:recon_runs")).status_code == 200
    answer = client.post(
        reverse("console:recon_run_new"), {"method": "wechat", "day": day.isoformat()}, follow=True
    )

    run = ReconRun.objects.get()
    assert answer.redirect_chain[-1][0] == reverse("console:recon_run", args=[run.pk])
    page = answer.content.decode()
    assert "NOTOURS9" in page and "25.00" in page
    difference = Difference.objects.get()
    assert client.get(reverse("console:recon_differences")).content.decode().count("NOTOURS9") == 1

    refused = client.post(reverse("console:recon_difference_suspend", args=[difference.pk]), {"reason": " "})
    assert refused.status_code == 302
    difference.refresh_from_db()
    assert difference.state == "open"

    client.post(reverse("console:recon_difference_suspend", args=[difference.pk]), {"reason": "不明来款"})
    difference.refresh_from_db()
    assert (difference.state, difference.suspense_fen) == ("suspense", 2500)
    page = client.get(reverse("console:recon_differences") + "?state=suspense").content.decode()
    assert "NOTOURS9" in page and "25.00" in page

    client.post(
        reverse("console:recon_difference_write_off", args=[difference.pk]),
        {"reason": "无法退回，转营业外收入"},
    )
    difference.refresh_from_db()
    assert (difference.state, difference.resolution) == ("resolved", "written_off")
    assert ledger_check(community=setup) == []


def test_an_uploaded_bill_is_reconciled_and_the_same_file_again_changes_nothing(client, setup, paysim):
    from wuye.paysim import keys as sim_keys
    from wuye.paysim.wechat import bill_text

    day = back(1)
    paid(paysim, _household(setup), "wechat", day)
    data = bill_text(paysim, sim_keys.WECHAT_MCHID, day)
    client.force_login(staff(setup, Role.SUPERVISOR))
    for _ in range(2):
        client.post(
            reverse("console:recon_run_new"),
            {"method": "wechat", "day": day.isoformat(), "file": _upload(data)},
        )
    run = ReconRun.objects.get()
    assert (run.source, run.matched, run.file_name) == ("uploaded", 1, "bill.csv")

    answer = client.post(
        reverse("console:recon_run_new"),
        {"method": "wechat", "day": day.isoformat(), "file": _upload(b"not a bill")},
        follow=True,
    )
    assert "不是微信支付交易账单" in answer.content.decode() or "not a WeChat Pay" in answer.content.decode()
    assert ReconRun.objects.count() == 1


def _upload(data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("bill.csv", data, content_type="text/csv")


@pytest.mark.parametrize("role", [Role.CASHIER, Role.FRONT_DESK, Role.TECHNICIAN, Role.BANK])
def test_staff_without_finance_rights_see_no_reconciliation(client, setup, paysim, role):
    day = back(1)
    paid(paysim, _household(setup), "wechat", day)
    stranger(paysim, "wechat", "NOTOURS9", 2500, day, 3)
    client.force_login(staff(setup, Role.ACCOUNTANT))
    client.post(reverse("console:recon_run_new"), {"method": "wechat", "day": day.isoformat()})
    difference = Difference.objects.get()
    before = LedgerTransaction.objects.count()

    client.force_login(staff(setup, role))
    for url in (
        reverse("console:recon_runs"),
        reverse("console:recon_differences"),
        reverse("console:recon_difference", args=[difference.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            reverse("console:recon_difference_suspend", args=[difference.pk]), {"reason": "x"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("console:recon_run_new"), {"method": "wechat", "day": day.isoformat()}
        ).status_code
        == 404
    )
    difference.refresh_from_db()
    assert (difference.state, LedgerTransaction.objects.count(), ReconRun.objects.count()) == (
        "open",
        before,
        1,
    )


def test_the_accountant_reconciles_the_bank_statement_after_the_bill(client, setup, paysim):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from wuye.paysim.bank import bank_statement
    from wuye.recon.models import Settlement

    day = back(2)
    paid(paysim, _household(setup, 10000), "wechat", day)
    client.force_login(staff(setup, Role.ACCOUNTANT))
    name, data = bank_statement(paysim, account="6222000011112222", day=back(1))

    def upload():
        return client.post(
            reverse("console:recon_run_new"),
            {"method": "bank", "day": back(1).isoformat(), "file": SimpleUploadedFile(name, data)},
            follow=True,
        )

    refused = upload().content.decode()
    assert "bill is not reconciled" in refused or "账单尚未对账" in refused
    assert ReconRun.objects.count() == 0
    no_file = client.post(reverse("console:recon_run_new"), {"method": "bank", "day": back(1).isoformat()})
    assert no_file.status_code == 302 and ReconRun.objects.count() == 0

    client.post(reverse("console:recon_run_new"), {"method": "wechat", "day": day.isoformat()})
    answer = upload()

    run = ReconRun.objects.get(method="bank")
    assert answer.redirect_chain[-1][0] == reverse("console:recon_run", args=[run.pk])
    page = answer.content.decode()
    settlement = Settlement.objects.get()
    assert settlement.reference in page and "99.40" in page and "0.60" in page
    bill_page = client.get(reverse("console:recon_run", args=[ReconRun.objects.get(method="wechat").pk]))
    assert 'id="check-settlement"' in bill_page.content.decode() and "99.40" in bill_page.content.decode()
    assert ledger_check(community=setup) == []


def test_the_accountant_checks_the_fund_flow_bill_from_the_console(client, setup, paysim):
    day = back(1)
    paid(paysim, _household(setup, 10000), "wechat", day)
    client.force_login(staff(setup, Role.ACCOUNTANT))
    first = client.post(
        reverse("console:recon_run_new"), {"method": "wechat_fundflow", "day": day.isoformat()}, follow=True
    )
    assert ReconRun.objects.count() == 0 and "请先核对微信支付" in first.content.decode()

    client.post(reverse("console:recon_run_new"), {"method": "wechat", "day": day.isoformat()})
    answer = client.post(
        reverse("console:recon_run_new"), {"method": "wechat_fundflow", "day": day.isoformat()}, follow=True
    )

    run = ReconRun.objects.get(document="fundflow")
    assert answer.redirect_chain[-1][0] == reverse("console:recon_run", args=[run.pk])
    assert (run.matched, run.their_paid_fen, run.their_fee_fen) == (3, 10000, 60)
    assert 'id="found-flow">0<' in answer.content.decode()
