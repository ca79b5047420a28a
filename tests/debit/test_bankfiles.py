"""One set of functions for every format: the shipped formats, and round trips as properties (hypothesis)."""

from __future__ import annotations

import datetime
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.debit.samples import ISO_CODES, TEXT_CODES, debit_file, format_variant, result_for
from wuye.debit.interfaces.bankfiles import (
    bank_format_get,
    bank_formats,
    code_retryable,
    debit_file_read,
    debit_files_write,
    result_file_name,
    result_file_read,
    result_file_write,
    returns_file_name,
    returns_read,
    returns_write,
)
from wuye.debit.interfaces.files import BankFileError, DebitFile, DebitLine, Return
from wuye.debit.interfaces.iso20022 import Iso20022Format

SURNAMES = (
    "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN_NAMES = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂欣怡子涵浩宇"
MEMO_CHARACTERS = "物业费停车水电暖气公摊月份年" + string.ascii_letters + string.digits + " -./"
REFERENCE_CHARACTERS = string.ascii_letters + string.digits + "-_./"
FORMAT_CODES = ["generic_cn", "fixed_cn", "iso20022"]


def test_shipped_formats():
    assert sorted(bank_formats()) == ["fixed_cn", "generic_cn", "iso20022"]
    assert isinstance(bank_format_get("iso20022"), Iso20022Format)
    assert bank_format_get("generic_cn").encoding_label == "GBK"
    assert bank_format_get("fixed_cn").encoding_label == "GB18030"


def test_unknown_format_is_refused():
    with pytest.raises(BankFileError, match=r"There is no bank file format “bank_of_nowhere”\."):
        bank_format_get("bank_of_nowhere")


@pytest.mark.parametrize(
    ("code", "debit_name", "result_name"),
    [
        ("generic_cn", "D20261202000123.txt", "D20261202000123_RET.txt"),
        ("fixed_cn", "D20261202000123.dat", "D20261202000123.ret"),
        ("iso20022", "D20261202000123.xml", "D20261202000123-pain002.xml"),
    ],
)
def test_file_names(code, debit_name, result_name):
    fmt = bank_format_get(code)

    [(name, _data)] = debit_files_write(fmt, debit_file(2))

    assert name == debit_name
    assert result_file_name(fmt, batch_no="D20261202000123") == result_name


def test_returns_file_names():
    assert returns_file_name(bank_format_get("generic_cn"), file_id="TP1") == "TP1_TP.txt"
    assert returns_file_name(bank_format_get("iso20022"), file_id="N1") == "N1-camt054.xml"


@pytest.mark.parametrize(
    ("code", "retryable", "final"),
    [
        ("generic_cn", "51", ["14", "0000", "2001", "1103", ""]),
        ("iso20022", "AM04", ["AC04", "MS02", "ACSC"]),
    ],
)
def test_code_retryable(code, retryable, final):
    fmt = bank_format_get(code)

    assert code_retryable(fmt, retryable) is True
    assert [code_retryable(fmt, other) for other in final] == [False] * len(final)


@pytest.mark.parametrize("code", ["generic_cn", "iso20022"])
def test_returns_round_trip_through_the_entry_points(code):
    fmt = bank_format_get(code)
    returns = [
        Return(
            "D000123-000003",
            10333,
            "AM04" if code == "iso20022" else "51",
            "余额不足",
            datetime.date(2026, 12, 9),
        )
    ]

    data = returns_write(fmt, returns, file_id="R20261209", created_on=datetime.date(2026, 12, 9))

    assert returns_read(fmt, data) == returns


# Properties ------------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return " ".join(text.split())  # readers drop a field's leading and trailing spaces (fixed-width padding)


@st.composite
def debit_files(draw) -> DebitFile:
    numbers = sorted(draw(st.sets(st.integers(1, 99_999_999), min_size=1, max_size=25)))
    lines = []
    for number in numbers:
        name = draw(st.sampled_from(SURNAMES)) + draw(st.text(GIVEN_NAMES, min_size=1, max_size=3))
        lines.append(
            DebitLine(
                line_no=number,
                reference=f"{draw(st.text(REFERENCE_CHARACTERS, min_size=1, max_size=20))}-{number}",
                agreement_no=draw(st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=32)),
                card_number=draw(st.text(string.digits, min_size=12, max_size=19)),
                holder_name=name,
                amount_fen=draw(st.integers(1, 10**9)),
                memo=_clean(draw(st.text(MEMO_CHARACTERS, max_size=20))),
            )
        )
    return DebitFile(
        batch_no=draw(st.from_regex(r"\AD[0-9]{14}\Z")),
        created_on=draw(st.dates(datetime.date(2020, 1, 1), datetime.date(2040, 12, 31))),
        collection_date=draw(st.dates(datetime.date(2020, 1, 1), datetime.date(2040, 12, 31))),
        creditor_name="幸福里物业服务有限公司",
        creditor_account=draw(st.text(string.digits, min_size=10, max_size=20)),
        creditor_id=draw(st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=20)),
        lines=tuple(lines),
    )


PROPERTY = settings(
    max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY
@given(batch=debit_files(), code=st.sampled_from([*FORMAT_CODES, "split"]))
def test_debit_files_round_trip(batch, code):
    fmt = format_variant("generic_cn", max_lines=4) if code == "split" else bank_format_get(code)

    files = debit_files_write(fmt, batch)

    assert debit_files_write(fmt, batch) == files  # byte-identical
    assert len(files) == (-(-batch.count // 4) if code == "split" else 1)
    parts = [debit_file_read(fmt, data) for _name, data in files]
    assert [line for part in parts for line in part.lines] == sorted(
        batch.lines, key=lambda line: line.line_no
    )
    assert sum(part.count for part in parts) == batch.count
    assert sum(part.sum_fen for part in parts) == batch.sum_fen
    assert {
        (p.batch_no, p.created_on, p.collection_date, p.creditor_account, p.creditor_id) for p in parts
    } == {
        (batch.batch_no, batch.created_on, batch.collection_date, batch.creditor_account, batch.creditor_id)
    }


@PROPERTY
@given(
    batch=debit_files(),
    code=st.sampled_from(FORMAT_CODES),
    kinds=st.lists(st.sampled_from(sorted(TEXT_CODES)), min_size=1, max_size=5),
)
def test_result_files_round_trip(batch, code, kinds):
    fmt = bank_format_get(code)
    result = result_for(batch, kinds, codes=ISO_CODES if code == "iso20022" else TEXT_CODES)

    data = result_file_write(fmt, result, created_on=datetime.date(2026, 12, 6))

    assert result_file_read(fmt, data, file_name=result_file_name(fmt, batch_no=batch.batch_no)) == result
