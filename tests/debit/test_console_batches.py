"""The console's debit batch pages: build with a preview, download the files (the same bytes every
time), mark them sent (lines locked), import the simulated bank's result (bills paid, receipts) and
late returns; bad files refused with a clear message and nothing changed; who may do what.

The bank's side is paysim's bank (``wuye.paysim.bank``), answering the very files the console gave."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.debit.factories import FEB, JAN, community_with_debit, mandated_household
from tests.factories import CommunityFactory, HouseholdRoomFactory, staff
from wuye.billing.models import Bill, BillLine
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.debit.domain.batches import batch_build, batch_send
from wuye.debit.domain.files import batch_files, files_digest, files_zip
from wuye.debit.enums import BatchState, LineState
from wuye.debit.models import DebitBatch, DebitLine, DebitSettings, Mandate, ResultFile
from wuye.ledger.models import LedgerTransaction
from wuye.payments.domain.checks import ledger_check
from wuye.payments.models import PaymentAttempt, Receipt
from wuye.paysim.bank import Script, bank_result, bank_returns
from wuye.paysim.seed import paysim_accounts

pytestmark = pytest.mark.django_db
CUTOFF = datetime.date(2026, 2, 20)
COLLECT = datetime.date(2026, 2, 25)
CARD = "62220212345678901"  # + the last two digits: the last one scripts the bank


@pytest.fixture
def community():
    return community_with_debit()


@pytest.fixture
def cashier(community):
    return staff(community, Role.CASHIER)


@pytest.fixture
def cashier_client(client, cashier):
    client.force_login(cashier)
    return client


@pytest.fixture
def households(community):
    """Four households whose cards the simulated bank answers: debited (150.00 over two lines),
    insufficient funds (50.00), account closed (70.00), unknown (20.00)."""
    return {
        "paid": mandated_household(community, (12000, 3000), card=CARD + "03")[0],
        "broke": mandated_household(community, (5000,), card=CARD + "17")[0],
        "closed": mandated_household(community, (7000,), card=CARD + "28")[0],
        "unsure": mandated_household(community, (2000,), card=CARD + "39")[0],
    }


def _build(client, community, **data):
    return client.post(
        reverse("console:debit_batch_new"),
        {
            "cutoff_on": CUTOFF.isoformat(),
            "collection_on": COLLECT.isoformat(),
            "communities": [community.pk],
            **data,
        },
    )


def _built(client, community) -> DebitBatch:
    response = _build(client, community)
    batch = DebitBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("console:debit_batch", args=[batch.pk])
    return batch


def _download(client, batch) -> tuple[str, bytes]:
    response = client.get(reverse("console:debit_batch_files", args=[batch.pk]))
    assert response.status_code == 200, response.status_code
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    return disposition.split('filename="')[1].rstrip('"'), response.content


def _sent(client, community) -> DebitBatch:
    batch = _built(client, community)
    client.post(reverse("console:debit_batch_send", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.state == BatchState.SENT
    return batch


def _upload(client, batch, name: str, data: bytes, *, kind="result"):
    url = reverse(
        "console:debit_batch_result" if kind == "result" else "console:debit_batch_returns", args=[batch.pk]
    )
    return client.post(url, {"file": SimpleUploadedFile(name, data)}, follow=True)


def _messages(response) -> str:
    return " | ".join(str(message) for message in response.context["messages"])


def _paid(household) -> int:
    return BillLine.objects.filter(household=household).aggregate(total=Sum("paid_fen"))["total"]


def _snapshot(batch):
    """Everything an import may change."""
    batch.refresh_from_db()
    return (
        LedgerTransaction.objects.count(),
        Receipt.objects.count(),
        ResultFile.objects.count(),
        sorted(DebitLine.objects.values_list("line_no", "state", "result_code")),
        sorted(PaymentAttempt.objects.values_list("pk", "state")),
        sorted(BillLine.objects.values_list("pk", "paid_fen")),
        (batch.state, batch.settled_at, batch.reject_code),
    )


# --- build and preview ------------------------------------------------------------------------


def test_the_build_form_proposes_today_three_days_and_the_current_community(cashier_client, community):
    other = CommunityFactory(company=community.company)
    staff_roles = cashier_client.get(reverse("console:debit_batch_new"))
    form = staff_roles.context["form"]
    today = timezone.localdate()
    assert form["cutoff_on"].value() == today
    assert form["collection_on"].value() == today + datetime.timedelta(days=3)
    assert form["communities"].value() == [community.pk]
    # Only the communities of the company where the user manages debits are offered.
    assert list(form.fields["communities"].queryset) == [community]
    assert other.pk not in [c.pk for c in form.fields["communities"].queryset]


def test_a_built_batch_shows_exact_control_totals_left_out_reasons_and_masked_cards(
    cashier_client, community, households
):
    limited, _bills, _m = mandated_household(
        community, (5000,), periods=(JAN, FEB), limit_per_debit_fen=6000, card=CARD + "44"
    )

    batch = _built(cashier_client, community)

    # 150.00 + 50.00 + 70.00 + 20.00 + 50.00 (one month of the limited household)
    assert (batch.line_count, batch.total_fen, batch.state) == (5, 34000, BatchState.BUILT)
    assert batch.left_out == [{"reason": "limit_debit", "households": 1, "lines": 1, "amount_fen": 5000}]
    page = cashier_client.get(reverse("console:debit_batch", args=[batch.pk]))
    body = page.content.decode()
    assert page.context["by_community"][0].lines == 5
    assert page.context["by_community"][0].total_fen == 34000
    totals = body[body.index('id="control-totals"') :]
    assert '<div class="figure" id="total-lines">5</div>' in totals
    assert '<div class="figure" id="total-yuan">340.00</div>' in totals
    left_out = body[body.index('id="left-out"') :]
    assert 'data-reason="limit_debit"' in left_out
    assert "超过代扣协议的单笔限额" in left_out
    assert "50.00" in left_out
    lines = body[body.index('id="lines"') :]
    assert lines.count("<tr data-line=") == 5
    first = DebitLine.objects.get(batch=batch, line_no=1)
    room = str(first.household.rooms.get())
    assert room in lines and "合作银行 ****0103" in lines and "150.00" in lines
    assert str(limited.rooms.get()) in lines
    for mandate in Mandate.objects.all():  # never a whole card number on the page
        assert mandate.card_number not in body
        assert mandate.card_number[:12] not in body


def test_the_lines_filter_by_state_and_page(cashier_client, community, households):
    batch = _sent(cashier_client, community)
    DebitLine.objects.filter(batch=batch, line_no=2).update(state=LineState.FAILED, result_code="51")
    page = cashier_client.get(reverse("console:debit_batch", args=[batch.pk]), {"state": "failed"})
    assert [line.line_no for line, _rooms in page.context["rows"]] == [2]
    tabs = {tab["value"]: tab["count"] for tab in page.context["tabs"]}
    assert tabs == {"": 4, "pending": 3, "succeeded": 0, "failed": 1, "unknown": 0, "returned": 0}
    page = cashier_client.get(reverse("console:debit_batch", args=[batch.pk]), {"state": "nonsense"})
    assert len(page.context["rows"]) == 4


def test_nothing_to_debit_and_a_collection_before_the_cut_off_are_form_errors(cashier_client, community):
    response = _build(cashier_client, community)
    assert response.status_code == 200
    assert "没有可代扣的账单" in response.content.decode()
    mandated_household(community, (12000,))
    response = _build(cashier_client, community, collection_on="2026-02-19")
    assert response.status_code == 200
    assert "扣款日期不能早于账单截止日期" in response.content.decode()
    assert DebitBatch.objects.count() == 0
    assert PaymentAttempt.objects.count() == 0


def test_the_list_shows_batches_with_yuan_totals_or_says_there_are_none(
    cashier_client, community, households
):
    empty = cashier_client.get(reverse("console:debit_batches")).content.decode()
    assert 'id="no-batches"' in empty and "还没有代扣批次" in empty
    batch = _sent(cashier_client, community)
    body = cashier_client.get(reverse("console:debit_batches")).content.decode()
    row = body[body.index(batch.number) :]
    assert community.name in row and "290.00" in row and "已送盘" in row


# --- files and sending ------------------------------------------------------------------------


def test_the_files_download_byte_identical_before_and_after_sending(cashier_client, community, households):
    batch = _built(cashier_client, community)
    name, first = _download(cashier_client, batch)
    _name, second = _download(cashier_client, batch)
    assert name == f"{batch.number}.txt"
    assert first == second
    assert first.startswith(f"H|DKSP|{batch.number}|".encode())

    cashier_client.post(reverse("console:debit_batch_send", args=[batch.pk]))

    batch.refresh_from_db()
    assert batch.files_sha256 == files_digest([(name, first)])
    assert _download(cashier_client, batch) == (name, first)
    assert AuditLog.objects.filter(action="debit.batch.downloaded").count() == 3


def test_a_split_batch_downloads_as_one_zip_with_the_same_bytes_every_time(community, households):
    batch = batch_build(
        company=community.company, communities=[community], cutoff_on=CUTOFF, collection_on=COLLECT
    )
    name, content = batch_files(batch)[0]
    parts = [(name.replace(".txt", "_01.txt"), content), (name.replace(".txt", "_02.txt"), content + b"x")]

    archive = files_zip(parts, batch=batch)

    assert archive == files_zip(parts, batch=batch)
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert [(info.filename, opened.read(info)) for info in opened.infolist()] == parts


def test_files_that_changed_since_sending_are_not_downloaded_without_a_warning(
    cashier_client, community, households
):
    batch = _sent(cashier_client, community)
    DebitSettings.objects.filter(community=community).update(creditor_name="另一家物业公司")

    response = cashier_client.get(reverse("console:debit_batch_files", args=[batch.pk]), follow=True)

    assert "不再是送往银行的文件" in _messages(response)
    assert 'id="download-anyway"' in response.content.decode()
    anyway = cashier_client.get(reverse("console:debit_batch_files", args=[batch.pk]), {"anyway": "1"})
    assert anyway.status_code == 200 and "另一家物业公司".encode("gbk") in anyway.content


def test_a_line_the_format_cannot_carry_stops_download_and_sending_naming_the_line(
    cashier_client, community, households
):
    batch = _built(cashier_client, community)
    line = DebitLine.objects.get(batch=batch, line_no=3)
    Mandate.objects.filter(pk=line.mandate_id).update(holder_name="王𠮷")  # 𠮷 is not in GBK

    download = cashier_client.get(reverse("console:debit_batch_files", args=[batch.pk]), follow=True)
    send = cashier_client.post(reverse("console:debit_batch_send", args=[batch.pk]), follow=True)

    for response in (download, send):
        text = _messages(response)
        assert "代扣明细第 3 笔" in text and "20BB7" in text
        assert str(line.household.rooms.get()) in text
    assert "未送盘" in _messages(send)
    batch.refresh_from_db()
    assert (batch.state, batch.files_sha256, batch.sent_at) == (BatchState.BUILT, "", None)
    assert set(PaymentAttempt.objects.values_list("state", flat=True)) == {"created"}


def test_sending_locks_the_lines_against_a_counter_payment(cashier_client, community, households):
    batch = _sent(cashier_client, community)
    household = households["paid"]
    lines = list(BillLine.objects.filter(household=household).values_list("pk", flat=True))

    response = cashier_client.post(
        reverse("console:payment_new", args=[household.pk]),
        {"line": lines, "method": "cash", "tendered": "150", "key": "a" * 24},
    )

    assert response.status_code == 200
    assert "银行代扣" in response.content.decode() and "等待银行的扣款结果" in response.content.decode()
    assert Receipt.objects.count() == 0
    assert _paid(household) == 0
    assert set(DebitLine.objects.filter(batch=batch).values_list("state", flat=True)) == {"pending"}
    assert set(PaymentAttempt.objects.values_list("state", flat=True)) == {"pending"}


def test_a_built_batch_can_be_cancelled_and_its_bills_built_again(cashier_client, community, households):
    batch = _built(cashier_client, community)
    cashier_client.post(reverse("console:debit_batch_cancel", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.state == BatchState.CANCELLED
    again = _build(cashier_client, community)
    assert again.status_code == 302
    assert DebitBatch.objects.get(state=BatchState.BUILT).total_fen == 29000


# --- the bank's result ------------------------------------------------------------------------


def _bank_answer(client, batch, script=None) -> tuple[str, bytes]:
    """What the simulated bank returns for the file downloaded from the console."""
    _name, data = _download(client, batch)
    name, result, _debit = bank_result(batch.file_format, data, script=script)
    return name, result


def test_the_simulated_banks_result_settles_each_line_and_again_changes_nothing(
    cashier_client, community, households
):
    batch = _sent(cashier_client, community)
    name, result = _bank_answer(cashier_client, batch)

    response = _upload(cashier_client, batch, name, result)

    text = _messages(response)
    assert f"回盘文件 {name} 已导入：1 笔扣款成功，2 笔失败，1 笔结果未知" in text
    batch.refresh_from_db()
    assert batch.state == BatchState.PARTIAL
    assert {h: _paid(households[h]) for h in households} == {
        "paid": 15000,
        "broke": 0,
        "closed": 0,
        "unsure": 0,
    }
    assert Bill.objects.get(household=households["paid"]).state == "paid"
    receipt = Receipt.objects.get()
    assert (receipt.amount_fen, receipt.method, receipt.household_id) == (
        15000,
        "debit",
        households["paid"].pk,
    )
    states = dict(DebitLine.objects.values_list("household_id", "state"))
    assert states == {
        households["paid"].pk: "succeeded",
        households["broke"].pk: "failed",
        households["closed"].pk: "failed",
        households["unsure"].pk: "unknown",
    }
    body = response.content.decode()
    assert "余额不足" in body and "账户已销户" in body and "3045" in body
    assert ResultFile.objects.get().file_name == name
    assert ledger_check(community=community) == []

    before = _snapshot(batch)
    again = _upload(cashier_client, batch, name, result)
    assert "已于" in _messages(again) and "导入过" in _messages(again)
    assert _snapshot(batch) == before


def test_a_result_file_with_lf_line_endings_is_read_as_well(cashier_client, community, households):
    batch = _sent(cashier_client, community)
    name, result = _bank_answer(cashier_client, batch)
    response = _upload(cashier_client, batch, name, result.replace(b"\r\n", b"\n"))
    assert "1 笔扣款成功" in _messages(response)
    assert _paid(households["paid"]) == 15000


def _rewrite(data: bytes, old: str, new: str) -> bytes:
    text = data.decode("gbk")
    assert old in text
    return text.replace(old, new, 1).encode("gbk")


def _bad_files(batch, name: str, data: bytes, other_batch_file: tuple[str, bytes]):
    lines = data.split(b"\r\n")
    detail = next(line for line in lines if line.startswith(b"D|"))
    trailer = next(line for line in lines if line.startswith(b"T|"))
    return {
        "wrong totals": (name, data.replace(trailer, trailer[:-1] + b"9"), "总金额"),
        "another batch": (*other_batch_file, "不是批次"),
        "truncated": (name, b"\r\n".join(lines[:2]) + b"\r\n", "没有尾记录"),
        "duplicate line": (name, data.replace(detail, detail + b"\r\n" + detail), "明细序号 1 重复"),
        "utf-8 for gbk": (name, data.decode("gbk").encode("utf-8"), "UTF-8"),
        "a byte order mark": (name, b"\xef\xbb\xbf" + data, "字节顺序标记"),
        "mixed line endings": (name, data.replace(b"\r\n", b"\n", 1), "换行"),
        "a spreadsheet": ("result.xlsx", b"PK\x03\x04" + b"\0" * 200, "不是银行文件"),
        "random bytes": (name, bytes(range(256)) * 4, "不是文本文件"),
        "bytes that are not gbk": (name, bytes(range(0x80, 0x100)) * 4, "不是有效的 GBK 编码"),
        "the debit file itself": (f"{batch.number}.txt", None, "送盘文件"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "wrong totals",
        "another batch",
        "truncated",
        "duplicate line",
        "utf-8 for gbk",
        "a byte order mark",
        "mixed line endings",
        "a spreadsheet",
        "random bytes",
        "bytes that are not gbk",
        "the debit file itself",
    ],
)
def test_a_bad_result_file_is_refused_with_a_clear_message_and_changes_nothing(
    cashier_client, community, households, case
):
    batch = _sent(cashier_client, community)
    name, result = _bank_answer(cashier_client, batch)
    other_household, _bills, _m = mandated_household(CommunityFactory(company=community.company), (100,))
    other_batch = batch_build(
        company=other_household.community.company,
        communities=[other_household.community],
        cutoff_on=CUTOFF,
        collection_on=COLLECT,
    )
    other_batch = batch_send(batch=other_batch, files_sha256="x" * 64)
    other_name, other_result, _debit = bank_result(other_batch.file_format, batch_files(other_batch)[0][1])
    bad_name, bad_data, expected = _bad_files(batch, name, result, (other_name, other_result))[case]
    if bad_data is None:
        bad_data = _download(cashier_client, batch)[1]
    before = _snapshot(batch)

    response = _upload(cashier_client, batch, bad_name, bad_data)

    text = _messages(response)
    assert f"回盘文件 {bad_name} 未导入，未做任何更改" in text, text
    assert expected in text, text
    assert _snapshot(batch) == before
    # And the right file still settles afterwards.
    assert "1 笔扣款成功" in _messages(_upload(cashier_client, batch, name, result))


def test_an_empty_or_too_large_upload_is_refused_before_reading(
    cashier_client, community, households, settings
):
    batch = _sent(cashier_client, community)
    before = _snapshot(batch)
    assert "文件为空" in _messages(_upload(cashier_client, batch, "empty.txt", b""))
    settings.IMPORT_MAX_BYTES = 100
    assert "文件大小超过" in _messages(_upload(cashier_client, batch, "big.txt", b"H" * 101))
    assert _snapshot(batch) == before


def test_a_file_rejected_whole_returns_every_line_to_the_pool(cashier_client, community, households):
    batch = _sent(cashier_client, community)
    name, result = _bank_answer(cashier_client, batch, script=Script(reject_file=True))

    response = _upload(cashier_client, batch, name, result)

    assert "银行拒收了整个文件（1103 汇总金额与明细不符）" in _messages(response)
    batch.refresh_from_db()
    assert batch.state == BatchState.REJECTED
    assert set(DebitLine.objects.values_list("state", flat=True)) == {"failed"}
    assert Receipt.objects.count() == 0
    assert _build(cashier_client, community).status_code == 302
    again = DebitBatch.objects.get(state=BatchState.BUILT)
    assert (again.line_count, again.total_fen) == (4, 29000)


def test_a_late_return_reopens_the_bills_once(cashier_client, community, households):
    batch = _sent(cashier_client, community)
    _upload(cashier_client, batch, *_bank_answer(cashier_client, batch))
    line = DebitLine.objects.get(household=households["paid"])
    name, data = bank_returns(
        batch.file_format,
        [(line.reference, 15000)],
        file_id="TP20260301",
        booked_on=datetime.date(2026, 3, 1),
    )

    response = _upload(cashier_client, batch, name, data, kind="returns")

    assert f"退票文件 {name} 已导入：银行退回 1 笔扣款" in _messages(response)
    line.refresh_from_db()
    assert line.state == LineState.RETURNED
    assert _paid(households["paid"]) == 0
    assert Bill.objects.get(household=households["paid"]).state == "open"
    assert ledger_check(community=community) == []
    before = _snapshot(batch)
    assert "导入过" in _messages(_upload(cashier_client, batch, name, data, kind="returns"))
    assert _snapshot(batch) == before


def test_a_return_of_another_amount_is_refused_and_changes_nothing(cashier_client, community, households):
    batch = _sent(cashier_client, community)
    _upload(cashier_client, batch, *_bank_answer(cashier_client, batch))
    line = DebitLine.objects.get(household=households["paid"])
    name, data = bank_returns(
        batch.file_format,
        [(line.reference, 14999)],
        file_id="TP20260301",
        booked_on=datetime.date(2026, 3, 1),
    )
    before = _snapshot(batch)

    response = _upload(cashier_client, batch, name, data, kind="returns")

    assert "未导入，未做任何更改" in _messages(response) and "149.99" not in _messages(response)
    assert "14999" in _messages(response)
    assert _snapshot(batch) == before


# --- who may do what --------------------------------------------------------------------------


def test_front_desk_sees_batches_but_cannot_build_download_or_send(client, community, households):
    batch = batch_build(
        company=community.company, communities=[community], cutoff_on=CUTOFF, collection_on=COLLECT
    )
    client.force_login(staff(community, Role.FRONT_DESK))

    assert client.get(reverse("console:debit_batches")).status_code == 200
    page = client.get(reverse("console:debit_batch", args=[batch.pk]))
    assert page.status_code == 200
    assert 'id="send"' not in page.content.decode() and 'id="batch-new"' not in page.content.decode()
    assert client.get(reverse("console:debit_batch_new")).status_code == 404
    assert _build(client, community).status_code == 404
    assert client.get(reverse("console:debit_batch_files", args=[batch.pk])).status_code == 404
    assert client.post(reverse("console:debit_batch_send", args=[batch.pk])).status_code == 404
    assert client.post(reverse("console:debit_batch_cancel", args=[batch.pk])).status_code == 404
    batch.refresh_from_db()
    assert (DebitBatch.objects.count(), batch.state) == (1, BatchState.BUILT)
    assert not AuditLog.objects.filter(action="debit.batch.downloaded").exists()


def test_a_technician_sees_no_debit_page(client, community, households):
    batch = batch_build(
        company=community.company, communities=[community], cutoff_on=CUTOFF, collection_on=COLLECT
    )
    client.force_login(staff(community, Role.TECHNICIAN))
    for url in (
        reverse("console:debit_batches"),
        reverse("console:debit_batch_new"),
        reverse("console:debit_batch", args=[batch.pk]),
        reverse("console:debit_batch_files", args=[batch.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("console:debit_batch_send", args=[batch.pk])).status_code == 404
    assert batch.state == BatchState.BUILT


def test_a_batch_of_two_communities_is_acted_on_only_by_who_manages_both(client, community, households):
    second = CommunityFactory(company=community.company)
    DebitSettings.objects.create(community=second)
    HouseholdRoomFactory(household__community=second)
    mandated_household(second, (4000,))
    both = staff(community, Role.CASHIER)
    both.staff_roles.create(community=second, role=Role.CASHIER)
    client.force_login(both)
    response = _build(client, community, communities=[community.pk, second.pk])
    batch = DebitBatch.objects.get()
    assert response.status_code == 302
    assert (batch.line_count, batch.total_fen) == (5, 33000)
    page = client.get(reverse("console:debit_batch", args=[batch.pk]))
    assert [(row.lines, row.total_fen) for row in page.context["by_community"]] == [(4, 29000), (1, 4000)]

    client.force_login(staff(community, Role.CASHIER))  # manages only the first
    assert client.get(reverse("console:debit_batch", args=[batch.pk])).status_code == 200
    assert client.post(reverse("console:debit_batch_send", args=[batch.pk])).status_code == 404
    assert client.get(reverse("console:debit_batch_files", args=[batch.pk])).status_code == 404
    batch.refresh_from_db()
    assert batch.state == BatchState.BUILT


def test_the_simulated_bank_is_offered_only_in_the_demo_or_to_a_community_on_the_simulator(
    cashier_client, community, households, settings
):
    batch = _sent(cashier_client, community)
    url = reverse("console:debit_batch", args=[batch.pk])
    settings.DEMO = True
    assert 'id="bank-simulator"' in cashier_client.get(url).content.decode()
    settings.DEMO = False
    assert 'id="bank-simulator"' not in cashier_client.get(url).content.decode()
    paysim_accounts(community)
    body = cashier_client.get(url).content.decode()
    assert 'id="bank-simulator"' in body
    assert f'href="{settings.WUYE_PAYSIM_URL}/bank/"' in body


def test_the_batch_pages_read_the_same_number_of_queries_whatever_the_lines(cashier_client, community):
    def queries(url) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert cashier_client.get(url).status_code == 200
        return len(captured)

    mandated_household(community, (12000,))
    small = _built(cashier_client, community)
    small_counts = (
        queries(reverse("console:debit_batches")),
        queries(reverse("console:debit_batch", args=[small.pk])),
    )
    cashier_client.post(reverse("console:debit_batch_cancel", args=[small.pk]))
    for digit in "1234":
        mandated_household(community, (5000, 700), card=CARD + "5" + digit)
    large = DebitBatch.objects.get(pk=_build(cashier_client, community).url.split("/")[-2])
    assert large.line_count == 5
    assert (
        queries(reverse("console:debit_batches")),
        queries(reverse("console:debit_batch", args=[large.pk])),
    ) == small_counts
