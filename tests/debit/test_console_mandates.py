"""The console's debit pages: the mandate list and page with their actions by permission, signing at
the counter (the scanned form is required), the bank's confirmation file, the bank's referral list.
The full card number is never in a page; the bank's staff reach the referrals and nothing else."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.debit.conftest import CARD, ID_NUMBER, mandate_in
from tests.factories import staff
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.debit.domain.referrals import referral_book
from wuye.debit.enums import MandateState, ReferralState, SignedVia
from wuye.debit.models import CardReferral, Mandate
from wuye.households.models import Document

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def as_role(client, community, role):
    client.force_login(staff(community, role))
    return client


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert CARD not in html, "the full card number is in the page"
    assert ID_NUMBER not in html
    return html


def counter_form(fee_items, **overrides):
    data = {
        "holder_name": "王小明",
        "card_number": CARD,
        "holder_id_number": ID_NUMBER,
        "phone": "13912345678",
        "fee_items": [item.pk for item in fee_items],
        "limit_per_debit": "",
        "limit_per_month": "3000",
        "effective_on": "2025-02-01",
        "expires_on": "",
    }
    data.update(overrides)
    return data


def _state():
    return (
        list(Mandate.objects.order_by("pk").values_list("state", "agreement_no", "state_reason")),
        AuditLog.objects.count(),
        Document.objects.count(),
    )


# --- list and page --------------------------------------------------------------------------------


def test_the_list_filters_by_state_and_finds_by_number_or_room(
    client, community, household, other_household, fee_items
):
    pending = mandate_in(household, fee_items)
    active = mandate_in(other_household, fee_items, MandateState.ACTIVE, card_number="6228480402564890026")
    as_role(client, community, Role.FRONT_DESK)
    url = reverse("console:mandates")

    html = html_of(client.get(url))
    assert pending.number in html and active.number in html
    assert "合作银行 ****0018" in html and "合作银行 ****0026" in html

    only_active = html_of(client.get(url, {"state": "active"}))
    assert active.number in only_active and pending.number not in only_active

    by_number = html_of(client.get(url, {"q": pending.number.lower()}))
    assert pending.number in by_number and active.number not in by_number

    room = other_household.room_links.get().room
    by_room = html_of(client.get(url, {"q": f"{room.building.name}-{room.unit.name}-{room.number}"}))
    assert active.number in by_room and pending.number not in by_room


def test_the_page_shows_the_mandate_masked_with_its_history(client, community, household, fee_items):
    mandate = mandate_in(household, fee_items)
    as_role(client, community, Role.SUPERVISOR)
    client.post(
        reverse("console:mandate_change", args=[mandate.pk]), {"to_state": "active", "agreement_no": "AG-7"}
    )

    html = html_of(client.get(reverse("console:mandate", args=[mandate.pk])))
    assert "合作银行 ****0018" in html
    assert "签订代扣协议" in html and "代扣协议变更" in html
    assert "AG-7" in html
    assert (
        "业主线上签约" in html and "127.0.0.1" not in html
    )  # the address of this test's signing is 10.0.0.1
    assert "10.0.0.1" in html


def test_activating_needs_the_agreement_number_and_shows_the_refusal(client, community, household, fee_items):
    mandate = mandate_in(household, fee_items)
    as_role(client, community, Role.CASHIER)
    url = reverse("console:mandate_change", args=[mandate.pk])
    before = _state()

    response = client.post(url, {"to_state": "active", "agreement_no": ""}, follow=True)
    assert "请填写银行协议号以使协议生效" in html_of(response)
    assert _state() == before

    client.post(url, {"to_state": "active", "agreement_no": "AG-1"})
    assert Mandate.objects.get(pk=mandate.pk).state == MandateState.ACTIVE

    response = client.post(url, {"to_state": "suspended", "reason": ""}, follow=True)
    assert "请填写原因" in html_of(response)
    assert Mandate.objects.get(pk=mandate.pk).state == MandateState.ACTIVE

    client.post(url, {"to_state": "suspended", "reason": "卡挂失"})
    client.post(url, {"to_state": "active"})
    client.post(url, {"to_state": "revoked", "reason": "业主来电撤销"})
    mandate.refresh_from_db()
    assert (mandate.state, mandate.state_reason) == (MandateState.REVOKED, "业主来电撤销")
    moves = AuditLog.objects.filter(action="debit.mandate.changed").order_by("pk")
    assert [entry.changes["mandate_state"][1] for entry in moves] == [
        "active",
        "suspended",
        "active",
        "revoked",
    ]


def test_the_front_desk_sees_mandates_but_cannot_change_them(client, community, household, fee_items):
    mandate = mandate_in(household, fee_items)
    as_role(client, community, Role.FRONT_DESK)
    html = html_of(client.get(reverse("console:mandate", args=[mandate.pk])))
    assert 'id="move-active"' not in html
    before = _state()
    response = client.post(
        reverse("console:mandate_change", args=[mandate.pk]), {"to_state": "active", "agreement_no": "AG-1"}
    )
    assert response.status_code == 404
    assert _state() == before


# --- signing at the counter --------------------------------------------------------------------------


def test_counter_signing_requires_the_scanned_form(client, community, household, debit_settings, fee_items):
    as_role(client, community, Role.FRONT_DESK)
    url = reverse("console:mandate_counter", args=[household.pk])
    page = html_of(client.get(url))
    assert 'value="合作银行"' in page
    before = _state()

    response = client.post(url, counter_form(fee_items))
    assert "请上传签字协议的扫描件" in html_of(response)
    assert _state() == before

    not_a_scan = SimpleUploadedFile("form.txt", b"just text")
    response = client.post(url, counter_form(fee_items, signed_form=not_a_scan))
    assert "PDF" in html_of(response)
    assert _state() == before


def test_counter_signing_keeps_the_scan_as_a_household_document(
    client, community, household, debit_settings, fee_items
):
    as_role(client, community, Role.FRONT_DESK)
    response = client.post(
        reverse("console:mandate_counter", args=[household.pk]),
        counter_form(fee_items, signed_form=SimpleUploadedFile("协议.pdf", PDF)),
    )
    mandate = Mandate.objects.get()
    assert response["Location"] == reverse("console:mandate", args=[mandate.pk])
    assert (mandate.state, mandate.signed_via, mandate.bank_name) == (
        MandateState.PENDING_BANK,
        SignedVia.COUNTER,
        "合作银行",
    )
    assert mandate.consent_document.household == household
    assert (mandate.limit_per_debit_fen, mandate.limit_per_month_fen) == (None, 300000)
    assert mandate.effective_on == datetime.date(2025, 2, 1)
    assert mandate.consent_document.file.read() == PDF

    household_page = html_of(client.get(reverse("console:household", args=[household.pk])))
    assert 'id="mandates-section"' in household_page and mandate.number in household_page
    assert reverse("console:mandate_counter", args=[household.pk]) not in household_page

    again = client.get(reverse("console:mandate_counter", args=[household.pk]))
    assert again["Location"] == reverse("console:mandate", args=[mandate.pk])


def test_the_signed_form_of_a_mandate_cannot_be_deleted(
    client, community, household, debit_settings, fee_items
):
    client = as_role(client, community, Role.ADMINISTRATOR)
    client.post(
        reverse("console:mandate_counter", args=[household.pk]),
        counter_form(fee_items, signed_form=SimpleUploadedFile("协议.pdf", PDF)),
    )
    document = Mandate.objects.get().consent_document
    before = _state()

    response = client.post(reverse("console:document_delete", args=[document.pk]), follow=True)

    assert "不能删除" in response.content.decode()
    assert _state() == before
    assert Document.objects.get(pk=document.pk).file.read() == PDF


def test_counter_signing_starts_from_the_room(client, community, household):
    as_role(client, community, Role.FRONT_DESK)
    room = household.room_links.get().room
    response = client.get(
        reverse("console:mandate_counter_find"),
        {"room": f"{room.building.name}-{room.unit.name}-{room.number}"},
    )
    assert response["Location"] == reverse("console:mandate_counter", args=[household.pk])
    assert "没有住户" in html_of(
        client.get(reverse("console:mandate_counter_find"), {"room": "99栋-9单元-909"})
    )


# --- the bank's confirmation file ---------------------------------------------------------------------


def test_the_confirmation_file_is_previewed_then_applied_once(
    client, community, household, other_household, fee_items
):
    accepted = mandate_in(household, fee_items)
    refused = mandate_in(other_household, fee_items, card_number="6228480402564890026")
    as_role(client, community, Role.SUPERVISOR)
    url = reverse("console:mandate_confirmations")
    content = f"协议编号|银行协议号|拒绝原因\n{accepted.number}|AG-100|\n{refused.number}||户名不符\n".encode(
        "gbk"
    )
    before = _state()

    preview = client.post(url, {"file": SimpleUploadedFile("确认.txt", content)})
    html = html_of(preview)
    assert 'id="preview-activated">1<' in html and 'id="preview-rejected">1<' in html
    assert 'id="preview-skipped">0<' in html
    assert _state() == before
    text = preview.context["text"]

    response = client.post(url, {"apply": "1", "text": text, "file_name": "确认.txt"}, follow=True)
    assert "1 份协议生效，1 份被拒绝，0 行跳过" in response.content.decode()
    accepted.refresh_from_db()
    refused.refresh_from_db()
    assert (accepted.state, accepted.agreement_no) == (MandateState.ACTIVE, "AG-100")
    assert (refused.state, refused.state_reason) == (MandateState.REJECTED, "户名不符")

    after = _state()
    again = client.post(url, {"file": SimpleUploadedFile("确认.txt", content)})
    assert 'id="preview-skipped">2<' in html_of(again)
    client.post(url, {"apply": "1", "text": text})
    assert _state() == after


def test_a_bad_confirmation_file_is_refused_with_row_numbers(client, community, household, fee_items):
    mandate = mandate_in(household, fee_items)
    as_role(client, community, Role.SUPERVISOR)
    url = reverse("console:mandate_confirmations")
    content = f"{mandate.number}|AG-1|\nM12|AG-2|\n".encode()
    before = _state()

    html = html_of(client.post(url, {"file": SimpleUploadedFile("c.csv", content)}))
    assert "第 2 行：“M12”不是协议编号" in html
    assert 'name="apply"' not in html

    html = html_of(client.post(url, {"apply": "1", "text": content.decode()}))
    assert "第 2 行" in html
    assert _state() == before


def test_the_front_desk_cannot_import_confirmations(client, community):
    as_role(client, community, Role.FRONT_DESK)
    assert client.get(reverse("console:mandate_confirmations")).status_code == 404


# --- the partner bank ------------------------------------------------------------------------------


@pytest.fixture
def referral(household, branch):
    return referral_book(
        household=household,
        branch=branch,
        name="王先生",
        phone="13700001111",
        visit_at=timezone.now() + datetime.timedelta(days=2),
    )


def test_the_bank_handles_referrals_and_sees_nothing_else(client, community, household, fee_items, referral):
    mandate = mandate_in(household, fee_items, MandateState.ACTIVE)
    bank = staff(community, Role.BANK)
    client.force_login(bank)

    html = html_of(client.get(reverse("console:referrals")))
    assert "王先生" in html and "13700001111" in html and referral.branch.name in html
    assert household.name not in html  # the archive's name of the household is not the bank's
    assert "13912345678" not in html  # nor the owner's phone from the archive
    assert client.get(reverse("console:home"))["Location"] == reverse("partner:dashboard")
    assert reverse("console:referrals") in html_of(client.get(reverse("partner:dashboard")))
    sidebar = client.get(reverse("console:referrals")).context["nav_groups"]
    assert [item["url"] for group in sidebar for item in group["items"]] == [
        reverse("console:home"),
        reverse("console:referrals"),
        reverse("partner:dashboard"),
    ]  # its own pages, and none that would answer 404 (API tokens, search)

    for url in (
        reverse("console:mandates"),
        reverse("console:mandate", args=[mandate.pk]),
        reverse("console:mandate_counter", args=[household.pk]),
        reverse("console:mandate_counter_find"),
        reverse("console:mandate_confirmations"),
        reverse("console:household", args=[household.pk]),
        reverse("console:households"),
    ):
        assert client.get(url).status_code in (403, 404), url
    before = _state()
    assert (
        client.post(
            reverse("console:mandate_change", args=[mandate.pk]), {"to_state": "suspended", "reason": "x"}
        ).status_code
        == 404
    )
    assert _state() == before

    client.post(
        reverse("console:referral_decide", args=[referral.pk]), {"to_state": "opened", "note": "已办卡"}
    )
    referral.refresh_from_db()
    assert (referral.state, referral.note, referral.handled_by) == (ReferralState.OPENED, "已办卡", bank)
    assert "王先生" not in html_of(client.get(reverse("console:referrals")))  # the default list: booked only
    assert "王先生" in html_of(client.get(reverse("console:referrals"), {"state": ""}))


def test_a_referral_can_be_decided_once(client, community, referral):
    client.force_login(staff(community, Role.BANK))
    url = reverse("console:referral_decide", args=[referral.pk])
    client.post(url, {"to_state": "not_opened"})
    response = client.post(url, {"to_state": "opened"}, follow=True)
    assert CardReferral.objects.get().state == ReferralState.NOT_OPENED
    assert "不能改为" in response.content.decode()


def test_staff_without_the_bank_permission_do_not_see_referrals(client, community, referral):
    as_role(client, community, Role.FRONT_DESK)
    assert client.get(reverse("console:referrals")).status_code == 404
    assert (
        client.post(
            reverse("console:referral_decide", args=[referral.pk]), {"to_state": "opened"}
        ).status_code
        == 404
    )
    assert CardReferral.objects.get().state == ReferralState.BOOKED
