"""Opening balances: preview, import, pay (QR against paysim, counter), reverse; totals and the ledger check."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from tests.factories import HouseholdRoomFactory, staff
from tests.opening.factories import ARREARS_FEN, DEPOSIT_FEN, PREPAYMENT_FEN, ROWS, estate, workbook
from tests.payments.factories import issue_bill, prepay
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from wuye.billing.domain.arrears import arrears_totals, overdue_household_pks
from wuye.billing.domain.charges import charge_add
from wuye.billing.models import Bill, BillLine
from wuye.billing.tagrules import ARREARS_RULE
from wuye.core.models import AuditLog
from wuye.households.models import HouseholdTag
from wuye.ledger.models import LedgerTransaction, Posting
from wuye.opening.domain.imports import (
    OpeningError,
    OpeningRefusedError,
    opening_import,
    opening_preview,
    opening_reverse,
)
from wuye.opening.interfaces.excel import read_opening
from wuye.opening.models import OpeningBalance, OpeningImport
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.online import attempt_start
from wuye.payments.domain.payments import attempt_create, counter_payment_take, order_create
from wuye.payments.domain.prepayments import prepayment_balance_fen, prepayments_apply
from wuye.paysim.seed import paysim_accounts

MARCH, APRIL = datetime.date(2026, 3, 1), datetime.date(2026, 4, 1)


def balance(account: str, **filters) -> int:
    return Posting.objects.filter(account=account, **filters).aggregate(t=Sum("amount_fen"))["t"] or 0


# One file, the same bytes every time (openpyxl writes the time into a workbook it saves).
FILE = workbook()


def preview(place, actor, content=FILE, name="期初.xlsx"):
    sheet = read_opening(content)
    assert sheet.problems == []
    return opening_preview(
        community=place.community, file_name=name, sha256=sheet.sha256, rows=sheet.rows, actor=actor
    )


def imported(place, actor, content=FILE):
    return opening_import(opening_import=preview(place, actor, content), actor=actor)


@pytest.fixture
def place(community):
    return estate(community)


@pytest.fixture
def actor(community):
    return staff(community)


def ledger_state():
    return (
        LedgerTransaction.objects.count(),
        Posting.objects.count(),
        sorted(BillLine.objects.values_list("pk", "is_void", "paid_fen")),
        sorted(Bill.objects.values_list("pk", "state", "total_fen")),
    )


def test_preview_totals_per_fee_item_and_building_and_writes_nothing_else(place, actor):
    record = preview(place, actor)

    assert (record.state, record.row_count) == ("previewed", 5)
    assert (record.arrears_fen, record.prepayment_fen, record.deposit_fen) == (
        ARREARS_FEN,
        PREPAYMENT_FEN,
        DEPOSIT_FEN,
    )
    assert record.preview["fee_items"] == [
        {"name": "水费", "rows": 1, "fen": 3520},
        {"name": "物业费", "rows": 2, "fen": 55680},
    ]
    assert record.preview["buildings"] == [
        {"name": "1栋", "rows": 4, "arrears": 29200, "prepayment": 50000, "deposit": 200000},
        {"name": "2栋", "rows": 1, "arrears": 30000, "prepayment": 0, "deposit": 0},
    ]
    assert record.preview["households"] == 3
    assert (Bill.objects.count(), LedgerTransaction.objects.count(), OpeningBalance.objects.count()) == (
        0,
        0,
        0,
    )


def test_import_posts_against_the_opening_account_and_bills_the_arrears(
    place, actor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record = imported(place, actor)

    assert record.state == "imported"
    assert record.transaction.kind == "opening"
    h101, h102, h201 = (place.households[key].pk for key in ("101", "102", "2-201"))
    assert sorted(
        record.transaction.postings.values_list("account", "household_id", "fee_item_id", "amount_fen"),
        key=str,
    ) == sorted(
        [
            ("receivable", h101, None, 29200),
            ("opening", h101, place.property_fee.pk, -25680),
            ("opening", h101, place.water.pk, -3520),
            ("receivable", h201, None, 30000),
            ("opening", h201, place.property_fee.pk, -30000),
            ("opening", h102, None, 50000),
            ("prepayment", h102, None, -50000),
            ("opening", h101, None, 200000),
            ("deposits", h101, None, -200000),
        ],
        key=str,
    )
    # Ordinary bills of their months: one per household and month, due on the fee item's day.
    bills = Bill.objects.order_by("household_id", "period")
    assert [(b.household_id, b.period, b.total_fen, b.state, b.due_on) for b in bills] == [
        (h101, MARCH, 29200, "open", datetime.date(2026, 3, 15)),
        (h201, APRIL, 30000, "open", datetime.date(2026, 4, 15)),
    ]
    assert sorted(
        BillLine.objects.values_list("room_id", "fee_item_id", "period", "amount_fen", "transaction_id")
    ) == sorted(
        [
            (place.rooms["101"].pk, place.property_fee.pk, MARCH, 25680, record.transaction_id),
            (place.rooms["101"].pk, place.water.pk, MARCH, 3520, record.transaction_id),
            (place.rooms["2-201"].pk, place.property_fee.pk, APRIL, 30000, record.transaction_id),
        ]
    )
    assert OpeningBalance.objects.filter(opening_import=record).count() == 5
    assert OpeningBalance.objects.filter(kind="arrears", line__isnull=False).count() == 3
    assert balance("receivable") == ARREARS_FEN
    assert balance("opening") == PREPAYMENT_FEN + DEPOSIT_FEN - ARREARS_FEN
    assert prepayment_balance_fen(household=place.households["102"]) == PREPAYMENT_FEN
    assert balance("deposits", household_id=h101) == -DEPOSIT_FEN
    # In the arrears report and the 欠费 tag like any bill.
    today = timezone.localdate()
    assert {row["household_id"] for row in overdue_household_pks(community=place.community, as_of=today)} == {
        h101,
        h201,
    }
    aging = arrears_totals(community=place.community, as_of=today)
    assert (aging.total_fen, aging.lines, aging.households) == (ARREARS_FEN, 3, 2)
    assert set(
        HouseholdTag.objects.filter(tag__rule=ARREARS_RULE).values_list("household_id", flat=True)
    ) == {
        h101,
        h201,
    }
    assert AuditLog.objects.filter(action="opening.balance.imported").count() == 3
    assert ledger_check(community=place.community) == []
    call_command("ledger", "check", "--community", str(place.community.pk), stdout=io.StringIO())


def test_the_ledger_check_finds_opening_balances_the_ledger_does_not_hold(place, actor):
    record = imported(place, actor)
    h101, h102 = place.households["101"].pk, place.households["102"].pk
    OpeningBalance.objects.filter(opening_import=record, kind="deposit").update(amount_fen=DEPOSIT_FEN + 1)
    OpeningBalance.objects.filter(opening_import=record, kind="prepayment").update(
        amount_fen=PREPAYMENT_FEN - 1
    )

    found = sorted(
        (d.check, d.subject.split()[1], d.ledger_fen, d.documents_fen)
        for d in ledger_check(community=place.community)
    )

    assert found == sorted(
        [
            ("deposits", str(h101), DEPOSIT_FEN, DEPOSIT_FEN + 1),
            ("opening", str(h101), DEPOSIT_FEN - 29200, DEPOSIT_FEN + 1 - 29200),
            ("opening", str(h102), PREPAYMENT_FEN, PREPAYMENT_FEN - 1),
            ("prepayment", str(h102), PREPAYMENT_FEN, PREPAYMENT_FEN - 1),
        ]
    )
    with pytest.raises(CommandError):
        call_command("ledger", "check", "--community", str(place.community.pk), stdout=io.StringIO())


def test_importing_twice_returns_the_import_and_the_same_file_is_refused_after(place, actor):
    record = imported(place, actor)
    assert opening_import(opening_import=record, actor=actor).pk == record.pk
    before = ledger_state()

    with pytest.raises(OpeningError, match=f"#{record.pk}"):
        preview(place, actor)

    assert ledger_state() == before
    assert OpeningImport.objects.count() == 1


def test_uploading_a_previewed_file_again_returns_its_preview(place, actor):
    first = preview(place, actor)
    assert preview(place, actor, name="again.xlsx").pk == first.pk
    assert OpeningImport.objects.count() == 1


@pytest.mark.parametrize(
    ("row", "code", "column"),
    [
        (["1栋-1单元-999", "欠费", "物业费", "2026-03", 10, ""], "opening_unknown_room", "房号"),
        (["1栋-1单元-103", "预存", None, None, 10, ""], "opening_no_household", "房号"),
        (["1栋-1单元-101", "欠费", "停车费", "2026-03", 10, ""], "opening_unknown_fee_item", "收费项目"),
        (["1栋-1单元-101", "欠费", "物业费", "2099-01", 10, ""], "opening_future_month", "所属月份"),
        (["1-1-101", "欠费", "物业费", "2026年3月", 10, ""], "opening_duplicate_arrear", "房号"),
        (["1栋-1单元-102", "预存", None, None, 10, ""], "opening_duplicate_prepayment", "房号"),
    ],
)
def test_rows_are_refused_with_row_and_column_and_nothing_is_kept(place, actor, row, code, column):
    sheet = read_opening(workbook([*ROWS, row]))
    assert sheet.problems == []

    with pytest.raises(OpeningRefusedError) as refused:
        opening_preview(
            community=place.community, file_name="x.xlsx", sha256=sheet.sha256, rows=sheet.rows, actor=actor
        )

    assert [(p.row, p.code, p.column) for p in refused.value.problems] == [(7, code, column)]
    assert OpeningImport.objects.count() == 0


def test_a_due_date_given_is_the_bills_and_one_before_its_month_is_refused(place, actor):
    rows = [
        ["1-1-101", "欠费", "物业费", "2026-03", 100, "", "2026-03-31"],
        ["1-1-101", "欠费", "水费", "2026-03", 100, "", ""],
        ["2-1-201", "欠费", "物业费", "2026-04", 100, "", "2026-03-31"],
    ]
    sheet = read_opening(workbook(rows))
    with pytest.raises(OpeningRefusedError) as refused:
        opening_preview(
            community=place.community, file_name="x.xlsx", sha256=sheet.sha256, rows=sheet.rows, actor=actor
        )
    assert [(p.row, p.code, p.column) for p in refused.value.problems] == [
        (4, "opening_due_before_month", "应缴日期")
    ]

    imported(place, actor, workbook(rows[:2]))

    # One bill for the month, due on the earliest day of its lines (水费's own day is the 20th).
    assert list(Bill.objects.values_list("period", "due_on", "total_fen")) == [
        (MARCH, datetime.date(2026, 3, 20), 20000)
    ]
    assert ledger_check(community=place.community) == []


def test_a_month_already_billed_is_refused(place, actor):
    issue_bill(place.households["2-201"], APRIL, [100], room=place.rooms["2-201"])
    sheet = read_opening(workbook())

    with pytest.raises(OpeningRefusedError) as refused:
        opening_preview(
            community=place.community, file_name="x.xlsx", sha256=sheet.sha256, rows=sheet.rows, actor=actor
        )

    assert [(p.row, p.code) for p in refused.value.problems] == [(4, "opening_bill_exists")]


def test_confirm_rechecks_and_refuses_a_room_whose_household_changed(place, actor):
    record = preview(place, actor)
    link = place.rooms["102"].household_links.get()
    link.delete()
    HouseholdRoomFactory(household__community=place.community, room=place.rooms["102"])
    before = ledger_state()

    with pytest.raises(OpeningRefusedError) as refused:
        opening_import(opening_import=record, actor=actor)

    assert [(p.row, p.code) for p in refused.value.problems] == [(5, "opening_household_changed")]
    record.refresh_from_db()
    assert record.state == "previewed"
    assert ledger_state() == before


def test_reverse_an_untouched_import_takes_everything_back(place, actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record = imported(place, actor)
    assert HouseholdTag.objects.filter(tag__rule=ARREARS_RULE).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        opening_reverse(opening_import=record, reason="文件有误", actor=actor)

    record.refresh_from_db()
    assert (record.state, record.reverse_reason) == ("reversed", "文件有误")
    assert record.reversal_transaction.kind == "opening_reversal"
    assert LedgerTransaction.objects.count() == 2  # nothing deleted: the import and its reversal
    for account in ("receivable", "opening", "prepayment", "deposits"):
        assert balance(account) == 0, account
    assert set(BillLine.objects.values_list("is_void", flat=True)) == {True}
    assert set(Bill.objects.values_list("state", "total_fen")) == {("void", 0)}
    assert prepayment_balance_fen(household=place.households["102"]) == 0
    assert not HouseholdTag.objects.filter(tag__rule=ARREARS_RULE).exists()
    assert AuditLog.objects.filter(action="opening.import.reversed").count() == 1
    assert ledger_check(community=place.community) == []
    call_command("ledger", "check", "--community", str(place.community.pk), stdout=io.StringIO())
    # The same file may be brought in again once its import is reversed.
    again = imported(place, actor)
    assert again.pk != record.pk
    assert balance("receivable") == ARREARS_FEN
    assert ledger_check(community=place.community) == []


def test_pay_one_arrear_at_the_counter_then_reversal_is_refused_and_changes_nothing(place, actor):
    record = imported(place, actor)
    household = place.households["2-201"]
    line = BillLine.objects.get(household=household)

    taken = counter_payment_take(
        household=household, line_ids=[line.pk], method="cash", key="desk1", tendered_fen=30000, actor=actor
    )

    assert (taken.attempt.amount_fen, taken.change_fen) == (30000, 0)
    assert BillLine.objects.get(pk=line.pk).paid_fen == 30000
    assert Bill.objects.get(household=household).state == "paid"
    assert (balance("cash"), balance("receivable")) == (30000, ARREARS_FEN - 30000)
    assert ledger_check(community=place.community) == []
    before = ledger_state()

    with pytest.raises(OpeningError, match="2栋-1单元-201"):
        opening_reverse(opening_import=record, reason="文件有误", actor=actor)

    record.refresh_from_db()
    assert record.state == "imported"
    assert ledger_state() == before
    assert ledger_check(community=place.community) == []


def test_reversal_is_refused_once_an_imported_prepayment_was_used(place, actor):
    record = imported(place, actor)
    household = place.households["102"]
    issue_bill(household, datetime.date(2026, 11, 1), [12000], room=place.rooms["102"])
    assert prepayments_apply(household=household) == 12000
    before = ledger_state()

    with pytest.raises(OpeningError, match="1栋-1单元-102"):
        opening_reverse(opening_import=record, reason="文件有误", actor=actor)

    assert ledger_state() == before
    assert prepayment_balance_fen(household=household) == PREPAYMENT_FEN - 12000
    assert ledger_check(community=place.community) == []


def test_a_counter_prepayment_after_the_import_does_not_block_the_reversal(place, actor):
    record = imported(place, actor)
    prepay(place.households["102"], 1000, actor=actor)

    opening_reverse(opening_import=record, reason="重新导入", actor=actor)

    assert prepayment_balance_fen(household=place.households["102"]) == 1000
    assert ledger_check(community=place.community) == []


@pytest.mark.parametrize("channel", ["wechat_native", "alipay_qr"])
def test_pay_one_imported_arrear_by_qr(client, place, actor, paysim, channel):  # noqa: F811
    imported(place, actor)
    household = place.households["101"]
    paysim_accounts(place.community, base_url=paysim.base_url)
    line = BillLine.objects.get(household=household, fee_item=place.property_fee)
    attempt = attempt_start(
        attempt=attempt_create(order=order_create(household=household, line_ids=[line.pk]), channel=channel),
        description="物业费",
    )
    assert (attempt.state, attempt.amount_fen) == ("pending", 25680)

    paysim.pay(attempt.out_trade_no, notify=False)  # the owner confirms on the phone
    _url, headers, body = paysim.notification_for(attempt.out_trade_no, method=attempt.method)
    notify = reverse(
        "payments_notify:notify", kwargs={"method": attempt.method, "community_pk": attempt.community_id}
    )
    answer = client.post(
        notify,
        data=body,
        content_type=headers.get("Content-Type", "application/json"),
        headers={k: v for k, v in headers.items() if k.lower() != "content-type"},
    )
    assert answer.status_code == 200

    attempt.refresh_from_db()
    assert attempt.state == "succeeded"
    assert BillLine.objects.get(pk=line.pk).paid_fen == 25680
    assert Bill.objects.get(household=household).state == "partial"
    clearing = "clearing_wechat" if channel == "wechat_native" else "clearing_alipay"
    assert (balance(clearing), balance("receivable")) == (25680, ARREARS_FEN - 25680)
    assert ledger_check(community=place.community) == []


def test_reversal_leaves_a_bill_the_import_shares_with_later_lines(place, actor):
    record = imported(place, actor)
    household = place.households["101"]
    charge = charge_add(
        household=household,
        amount_fen=8800,
        description="换水龙头",
        reference="service.request:1",
        actor=actor,
        period=MARCH,
    )
    bill = Bill.objects.get(household=household, period=MARCH)
    assert (charge.bill_id, bill.total_fen) == (bill.pk, 29200 + 8800)

    opening_reverse(opening_import=record, reason="文件有误", actor=actor)

    bill.refresh_from_db()
    assert (bill.state, bill.total_fen) == ("open", 8800)
    assert list(BillLine.objects.filter(bill=bill, is_void=False).values_list("pk", flat=True)) == [charge.pk]
    assert balance("receivable", household_id=household.pk) == 8800
    assert ledger_check(community=place.community) == []
