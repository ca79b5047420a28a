"""The bank file contract: a batch that no codec could write is refused when it is built."""

import pytest
from django.utils import translation

from tests.debit.samples import debit_file, debit_line
from wuye.debit.interfaces.files import BankFileError


def test_debit_file_control_totals():
    batch = debit_file(lines=[debit_line(1, amount_fen=12345), debit_line(2, amount_fen=6789)])

    assert batch.count == 2
    assert batch.sum_fen == 19134


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"amount_fen": 0}, "amount must be more than zero"),
        ({"amount_fen": -5}, "amount must be more than zero"),
        ({"reference": "D000123 000004"}, "reference “D000123 000004”"),
        ({"reference": "单号-4"}, "reference “单号-4”"),
        ({"reference": "R" * 36}, "1 to 35 ASCII"),
        ({"agreement_no": ""}, "agreement number"),
        ({"card_number": "6222-0000"}, "card number must be 1 to 32 digits"),
        ({"holder_name": "  "}, "account holder's name is missing"),
        ({"memo": "物业费\n2026-11"}, "memo contains a control character (U+000A)"),
    ],
)
def test_debit_line_refused_names_the_line(changes, words):
    with pytest.raises(BankFileError) as refused:
        debit_line(4, **changes)

    assert refused.value.line == 4
    assert refused.value.message.startswith("Debit line 4: ")
    assert words in refused.value.message


def test_debit_line_numbers_start_at_one():
    with pytest.raises(BankFileError, match="start at 1, not 0"):
        debit_line(0)


def test_debit_file_refuses_a_repeated_line_number():
    with pytest.raises(BankFileError, match="Debit line number 2 appears twice") as refused:
        debit_file(lines=[debit_line(1), debit_line(2), debit_line(2, reference="OTHER-2")])

    assert refused.value.line == 2


def test_debit_file_refuses_a_repeated_reference():
    with pytest.raises(
        BankFileError, match="Debit line 3 repeats the reference D000123-000001 of debit line 1"
    ):
        debit_file(lines=[debit_line(1), debit_line(2), debit_line(3, reference="D000123-000001")])


@pytest.mark.parametrize("batch_no", ["", "D2026/1202", "批次1", "D" * 36])
def test_debit_file_refuses_a_batch_number_unfit_for_a_file_name(batch_no):
    with pytest.raises(BankFileError, match="batch number"):
        debit_file(batch_no=batch_no)


def test_refusal_is_in_chinese():
    with translation.override("zh-hans"), pytest.raises(BankFileError) as refused:
        debit_line(7, amount_fen=0)

    assert refused.value.message == "代扣明细第 7 笔：金额必须大于零。"
