"""Mandates: signing (online, counter), the one transition with its rules as data, the 已签代扣 tag that
follows the state, the household timeline, and the bank's confirmation file."""

import datetime
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from tests.billing.factories import FeeItemFactory
from tests.debit.conftest import CARD, mandate_in, terms_for
from tests.factories import CommunityFactory, staff
from wuye.core.models import AuditLog
from wuye.debit.domain.mandates import (
    MANDATE_RULE,
    Confirmation,
    MandateError,
    mandate_sign_counter,
    mandate_sign_online,
    mandate_transition,
    mandates_confirm,
)
from wuye.debit.domain.queries import confirmations_preview
from wuye.debit.enums import MANDATE_TRANSITIONS, MandateState, SignedVia
from wuye.debit.interfaces.confirmations import (
    ConfirmationFileError,
    confirmations_decode,
    confirmations_parse,
    confirmations_read,
)
from wuye.debit.models import Mandate
from wuye.households.domain.households import document_add
from wuye.households.models import HouseholdTag

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _snapshot(mandate):
    row = Mandate.objects.get(pk=mandate.pk)
    return (row.state, row.state_reason, row.agreement_no, AuditLog.objects.count())


def _has_tag(household) -> bool:
    return HouseholdTag.objects.filter(household=household, tag__rule=MANDATE_RULE).exists()


# --- signing ----------------------------------------------------------------------------------------


def test_online_signing_needs_the_code_and_writes_nothing_without_it(household, fee_items):
    with pytest.raises(MandateError):
        mandate_sign_online(household=household, terms=terms_for(fee_items), code_checked=False)
    assert Mandate.objects.count() == 0
    assert AuditLog.objects.count() == 0


def test_online_signing_keeps_the_consent_evidence_and_waits_for_the_bank(household, fee_items):
    mandate = mandate_sign_online(
        household=household, terms=terms_for(fee_items), code_checked=True, client_address="10.1.2.3"
    )
    mandate.refresh_from_db()
    assert mandate.state == MandateState.PENDING_BANK
    assert mandate.signed_via == SignedVia.PORTAL
    assert (mandate.consent_code_checked, mandate.consent_address) == (True, "10.1.2.3")
    assert mandate.card_number == CARD and mandate.card_last4 == "0018"
    assert mandate.card_display == "合作银行 ****0018"
    assert set(mandate.fee_items.all()) == set(fee_items)
    entry = AuditLog.objects.get(action="debit.mandate.created")
    assert entry.household_id == household.pk
    assert CARD not in str(entry.changes) and CARD not in entry.object_repr


def test_card_and_id_numbers_are_encrypted_at_rest(household, fee_items):
    mandate = mandate_in(household, fee_items)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT card_number, holder_id_number FROM {Mandate._meta.db_table} WHERE id = %s",  # noqa: S608
            [mandate.pk],
        )
        card, id_number = cursor.fetchone()
    assert CARD not in card and "11010519491231002X" not in id_number


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"card_number": "1234"}, "12 到 19 位数字"),
        ({"holder_name": "  "}, "持卡人姓名"),
        ({"fee_items": ()}, "收费项目"),
        ({"limit_per_debit_fen": 0}, "大于零"),
        ({"expires_on": datetime.date(2024, 12, 31)}, "到期日期"),
    ],
)
def test_bad_terms_are_refused_and_nothing_is_written(household, fee_items, overrides, message):
    with pytest.raises(MandateError, match=message):
        mandate_sign_online(household=household, terms=terms_for(fee_items, **overrides), code_checked=True)
    assert Mandate.objects.count() == 0 and AuditLog.objects.count() == 0


def test_a_fee_item_of_another_community_is_refused(household, fee_items):
    foreign = FeeItemFactory(community=CommunityFactory())
    with pytest.raises(MandateError):
        mandate_sign_online(household=household, terms=terms_for([foreign]), code_checked=True)
    assert Mandate.objects.count() == 0


def test_a_second_live_mandate_is_refused_until_the_first_is_revoked(household, fee_items):
    first = mandate_in(household, fee_items)
    with pytest.raises(MandateError):
        mandate_sign_online(household=household, terms=terms_for(fee_items), code_checked=True)
    assert Mandate.objects.count() == 1
    mandate_transition(mandate=first, to_state=MandateState.REVOKED, reason="换卡")
    second = mandate_sign_online(household=household, terms=terms_for(fee_items), code_checked=True)
    assert second.state == MandateState.PENDING_BANK
    assert Mandate.objects.count() == 2


def test_counter_signing_keeps_the_signed_form(household, fee_items, community):
    clerk = staff(community)
    form = document_add(
        household=household,
        kind="contract",
        title="代扣协议",
        upload=SimpleUploadedFile("form.pdf", PDF),
        actor=clerk,
    )
    mandate = mandate_sign_counter(household=household, terms=terms_for(fee_items), form=form, actor=clerk)
    assert (mandate.signed_via, mandate.consent_document_id, mandate.created_by) == (
        SignedVia.COUNTER,
        form.pk,
        clerk,
    )


def test_counter_signing_refuses_a_form_of_another_household(
    household, other_household, fee_items, community
):
    form = document_add(
        household=other_household,
        kind="contract",
        title="x",
        upload=SimpleUploadedFile("f.pdf", PDF),
        actor=None,
    )
    with pytest.raises(MandateError):
        mandate_sign_counter(household=household, terms=terms_for(fee_items), form=form, actor=None)
    assert Mandate.objects.count() == 0


# --- the one transition -----------------------------------------------------------------------------

ALL_MOVES = list(itertools.product(MandateState.values, MandateState.values))


@pytest.mark.parametrize(("start", "target"), [(s, t) for s, t in ALL_MOVES if s != t])
def test_every_transition_is_allowed_or_refused_as_the_table_says(household, fee_items, start, target):
    mandate = mandate_in(household, fee_items, start)
    before = _snapshot(mandate)
    allowed = target in MANDATE_TRANSITIONS[start]
    if allowed:
        changed = mandate_transition(mandate=mandate, to_state=target, reason="原因", agreement_no="AG-NEW")
        assert changed.state == target
        assert Mandate.objects.get(pk=mandate.pk).state == target
        entry = AuditLog.objects.filter(action="debit.mandate.changed").get()
        assert entry.changes["mandate_state"] == [start, target]
        assert entry.household_id == household.pk
    else:
        with pytest.raises(MandateError):
            mandate_transition(mandate=mandate, to_state=target, reason="原因", agreement_no="AG-NEW")
        assert _snapshot(mandate) == before


def test_the_table_has_the_moves_of_the_issue():
    assert MANDATE_TRANSITIONS[MandateState.PENDING_BANK] == {
        MandateState.ACTIVE,
        MandateState.REJECTED,
        MandateState.REVOKED,
    }
    assert MANDATE_TRANSITIONS[MandateState.ACTIVE] == {
        MandateState.SUSPENDED,
        MandateState.REVOKED,
        MandateState.EXPIRED,
    }
    for final in (MandateState.REVOKED, MandateState.EXPIRED, MandateState.REJECTED):
        assert MANDATE_TRANSITIONS[final] == frozenset()


def test_a_move_to_the_same_state_changes_nothing(household, fee_items):
    mandate = mandate_in(household, fee_items, MandateState.ACTIVE)
    before = _snapshot(mandate)
    assert mandate_transition(mandate=mandate, to_state=MandateState.ACTIVE).state == MandateState.ACTIVE
    assert _snapshot(mandate) == before


def test_activation_needs_the_agreement_number(household, fee_items):
    mandate = mandate_in(household, fee_items)
    before = _snapshot(mandate)
    with pytest.raises(MandateError, match="银行协议号"):
        mandate_transition(mandate=mandate, to_state=MandateState.ACTIVE)
    assert _snapshot(mandate) == before
    mandate_transition(mandate=mandate, to_state=MandateState.ACTIVE, agreement_no=" AG-1 ")
    assert Mandate.objects.get(pk=mandate.pk).agreement_no == "AG-1"


def test_an_agreement_number_of_another_mandate_is_refused(household, other_household, fee_items):
    mandate_in(other_household, fee_items, MandateState.ACTIVE, card_number="6228480402564890026")
    taken = Mandate.objects.get(household=other_household).agreement_no
    mandate = mandate_in(household, fee_items)
    before = _snapshot(mandate)
    with pytest.raises(MandateError):
        mandate_transition(mandate=mandate, to_state=MandateState.ACTIVE, agreement_no=taken)
    assert _snapshot(mandate) == before


@pytest.mark.parametrize("target", [MandateState.SUSPENDED, MandateState.REVOKED])
def test_suspending_and_revoking_need_a_reason(household, fee_items, target):
    mandate = mandate_in(household, fee_items, MandateState.ACTIVE)
    before = _snapshot(mandate)
    with pytest.raises(MandateError):
        mandate_transition(mandate=mandate, to_state=target, reason="  ")
    assert _snapshot(mandate) == before


def test_the_tag_follows_the_state(household, fee_items, django_capture_on_commit_callbacks):
    mandate = mandate_in(household, fee_items)
    assert not _has_tag(household)
    with django_capture_on_commit_callbacks(execute=True):
        mandate_transition(mandate=mandate, to_state=MandateState.ACTIVE, agreement_no="AG-1")
    assert _has_tag(household)
    with django_capture_on_commit_callbacks(execute=True):
        mandate_transition(mandate=mandate, to_state=MandateState.SUSPENDED, reason="卡挂失")
    assert not _has_tag(household)
    with django_capture_on_commit_callbacks(execute=True):
        mandate_transition(mandate=mandate, to_state=MandateState.ACTIVE)
    assert _has_tag(household)
    with django_capture_on_commit_callbacks(execute=True):
        mandate_transition(mandate=mandate, to_state=MandateState.REVOKED, reason="业主撤销")
    assert not _has_tag(household)


def test_tags_refresh_command_agrees_with_the_state(household, fee_items):
    from wuye.households.domain.tagrules import tags_refresh

    mandate_in(household, fee_items, MandateState.ACTIVE)
    tags_refresh(community=household.community, keys=[MANDATE_RULE])
    assert _has_tag(household)


def test_the_timeline_shows_signing_and_every_change(household, fee_items, community):
    clerk = staff(community)
    mandate = mandate_in(household, fee_items)
    mandate_transition(mandate=mandate, to_state=MandateState.ACTIVE, agreement_no="AG-1", actor=clerk)
    mandate_transition(mandate=mandate, to_state=MandateState.SUSPENDED, reason="卡挂失", actor=clerk)
    entries = AuditLog.objects.filter(household_id=household.pk).order_by("pk")
    assert [(e.action, e.changes.get("mandate_state")) for e in entries] == [
        ("debit.mandate.created", MandateState.PENDING_BANK),
        ("debit.mandate.changed", [MandateState.PENDING_BANK, MandateState.ACTIVE]),
        ("debit.mandate.changed", [MandateState.ACTIVE, MandateState.SUSPENDED]),
    ]
    assert entries.last().changes["reason"] == "卡挂失"
    assert entries.last().actor == clerk


# --- the bank's confirmation file -------------------------------------------------------------------


def test_the_confirmation_file_activates_and_rejects_and_a_second_import_changes_nothing(
    household, other_household, fee_items
):
    accepted = mandate_in(household, fee_items)
    refused = mandate_in(other_household, fee_items, card_number="6228480402564890026")
    text = f"{accepted.number}|AG-100|\n{refused.number}||卡号与户名不符\nM999999999999|AG-9|\n"
    rows = confirmations_parse(text)
    preview = confirmations_preview(community=household.community, rows=rows)
    assert (preview.activated, preview.rejected, preview.skipped, preview.errors) == (1, 1, 1, [])
    assert Mandate.objects.get(pk=accepted.pk).state == MandateState.PENDING_BANK  # a preview writes nothing

    counts = mandates_confirm(community=household.community, confirmations=[c for _n, c in rows])
    assert counts == {"activated": 1, "rejected": 1, "skipped": 1}
    accepted.refresh_from_db()
    refused.refresh_from_db()
    assert (accepted.state, accepted.agreement_no) == (MandateState.ACTIVE, "AG-100")
    assert (refused.state, refused.state_reason) == (MandateState.REJECTED, "卡号与户名不符")

    entries = AuditLog.objects.count()
    again = confirmations_preview(community=household.community, rows=rows)
    assert (again.activated, again.rejected, again.skipped) == (0, 0, 3)
    assert mandates_confirm(community=household.community, confirmations=[c for _n, c in rows]) == {
        "activated": 0,
        "rejected": 0,
        "skipped": 3,
    }
    assert AuditLog.objects.count() == entries
    assert [_snapshot(m)[:3] for m in (accepted, refused)] == [
        (MandateState.ACTIVE, "", "AG-100"),
        (MandateState.REJECTED, "卡号与户名不符", ""),
    ]


def test_the_preview_names_the_row_of_an_agreement_number_taken_already(
    household, other_household, fee_items
):
    mandate_in(other_household, fee_items, MandateState.ACTIVE, card_number="6228480402564890026")
    taken = Mandate.objects.get(household=other_household)
    pending = mandate_in(household, fee_items)
    rows = confirmations_parse(f"编号|协议号|原因\n{pending.number}|{taken.agreement_no}|\n")
    preview = confirmations_preview(community=household.community, rows=rows)
    assert preview.activated == 0
    assert preview.errors == [f"第 2 行：银行协议号 {taken.agreement_no} 已属于协议 {taken.number}。"]


def test_a_confirmation_of_another_community_is_skipped(household, fee_items):
    mandate = mandate_in(household, fee_items)
    counts = mandates_confirm(
        community=CommunityFactory(),
        confirmations=[Confirmation(mandate_number=mandate.number, agreement_no="A")],
    )
    assert counts == {"activated": 0, "rejected": 0, "skipped": 1}
    assert Mandate.objects.get(pk=mandate.pk).state == MandateState.PENDING_BANK


def test_the_file_may_be_gbk_with_commas_and_a_header():
    text = "协议编号,银行协议号,拒绝原因\nM000000000001,AG-1,\nM000000000002,,户名不符\n"
    rows = confirmations_read(text.encode("gbk"))
    assert rows == [
        (2, Confirmation(mandate_number="M000000000001", agreement_no="AG-1")),
        (3, Confirmation(mandate_number="M000000000002", rejected_reason="户名不符")),
    ]
    assert confirmations_read(("\ufeff" + text).encode("utf-8")) == rows


def test_bad_rows_are_refused_with_their_row_numbers():
    text = "\n".join(
        [
            "M000000000001|AG-1|",
            "X12|AG-2|",
            "M000000000003||",
            "M000000000001|AG-4|",
            "M000000000005|AG-1|",
            "M000000000006|AG 6|",
            "M000000000007|AG-7||extra",
            "# a comment",
            "",
        ]
    )
    with pytest.raises(ConfirmationFileError) as raised:
        confirmations_parse(text)
    assert raised.value.errors == [
        "第 2 行：“X12”不是协议编号（M 加 12 位数字）。",
        "第 3 行：既没有银行协议号，也没有拒绝原因。",
        "第 4 行：协议 M000000000001 已在第 1 行出现。",
        "第 5 行：银行协议号 AG-1 已在第 1 行出现。",
        "第 6 行：“AG 6”不是银行协议号（最多 40 位字母和数字）。",
        "第 7 行：有 4 列；每行最多 3 列：协议编号、银行协议号、拒绝原因。",
    ]


@pytest.mark.parametrize("data", [b"", b"header only\n", b"\xff\xfe\x00\x00garbage\x81"])
def test_an_empty_or_unreadable_file_is_refused(data):
    with pytest.raises(ConfirmationFileError):
        confirmations_read(data)


def test_decoding_prefers_utf8():
    assert confirmations_decode("户名不符".encode()) == "户名不符"
    assert confirmations_decode("户名不符".encode("gbk")) == "户名不符"
