"""Format descriptions (JSON): the shipped ones load, and each kind of mistake is named."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.conf import settings

from tests.debit.samples import debit_file, debit_line, format_spec
from wuye.debit.interfaces.bankfiles import FORMATS_DIR, bank_format_get
from wuye.debit.interfaces.codes import Bucket, FormatSpecError
from wuye.debit.interfaces.files import BankFileError, Outcome
from wuye.debit.interfaces.text import text_debit_files_write, text_result_file_read
from wuye.debit.interfaces.textformat import text_format_load, text_format_parse


@pytest.mark.parametrize("path", sorted(FORMATS_DIR.glob("*.json")), ids=lambda path: path.stem)
def test_shipped_description_loads(path):
    fmt = text_format_load(path)

    assert fmt.code == path.stem
    assert fmt.debit.detail.names >= {"amount_fen", "line_no", "reference"}


def test_fixed_width_record_widths():
    fmt = bank_format_get("fixed_cn")

    assert (fmt.debit.header.width, fmt.debit.detail.width, fmt.debit.trailer) == (172, 200, None)
    assert (fmt.result.header, fmt.result.detail.width, fmt.result.trailer.width) == (None, 120, 71)


@pytest.mark.parametrize(
    ("code", "bucket"),
    [
        ("0000", Bucket.SUCCESS),
        ("4000", Bucket.SUCCESS),
        ("2008", Bucket.UNKNOWN),
        ("1102", Bucket.FILE_REJECTED),
        ("1", Bucket.FAILED_FINAL),
        ("14", Bucket.FAILED_FINAL),
        ("11020", Bucket.FAILED_FINAL),
        ("51", Bucket.FAILED_RETRYABLE),
        (" ", Bucket.UNKNOWN),
    ],
)
def test_code_table_buckets(code, bucket):
    assert bank_format_get("generic_cn").codes.bucket(code) == bucket


def _spec_with(change) -> dict:
    spec = copy.deepcopy(format_spec("generic_cn"))
    change(spec)
    return spec


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda s: s.update(encoding="BIG5"), "'encoding' must be one of"),
        (lambda s: s.update(colour="red"), "unknown keys ['colour']"),
        (lambda s: s.update(layout="fixed", delimiter=""), "needs 'width'"),
        (
            lambda s: s["debit"]["header"].append({"value": "holder_name"}),
            "'value' 'holder_name' is not one of",
        ),
        (lambda s: s["debit"]["detail"].append({"value": "memo"}), "'memo' appears twice"),
        (lambda s: s["debit"].pop("part_file_name"), "needs 'part_file_name'"),
        (lambda s: s["debit"].update(file_name="{part}.txt"), "must contain {batch_no}"),
        (lambda s: s["debit"].update(file_name="{batch_no.__class__}.txt"), "is not one of"),
        (lambda s: s.update(date_format="%Y%m%d%H"), "only %Y, %m and %d"),
        (lambda s: s["codes"].update(retryable=["51", "0000"]), "code '0000' is in two buckets"),
        (lambda s: s["result"]["detail"].pop(4), "must carry ['code']"),
        (lambda s: s["debit"]["detail"].append({"value": "card_number", "const": "x"}), "exactly one of"),
    ],
)
def test_format_description_mistakes_are_named(change, words):
    with pytest.raises(FormatSpecError, match=None) as refused:
        text_format_parse(_spec_with(change), origin="bank.json")

    assert str(refused.value).startswith("bank.json")
    assert words in str(refused.value)


def test_the_documented_example_works():
    """docs/bank-formats.md shows a bank's format described from its specification: it loads, writes
    what the specification says, and reads a result named as the bank names it."""
    docs = (Path(settings.BASE_DIR).parent.parent / "docs" / "bank-formats.md").read_text(encoding="utf-8")
    example = docs.split("### Example", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    fmt = text_format_parse(json.loads(example), origin="docs example")
    batch = debit_file(lines=[debit_line(1, amount_fen=12345), debit_line(2, amount_fen=6789, memo="")])

    [(name, data)] = text_debit_files_write(fmt, batch)

    assert name == "DK_D20261202000123.csv"
    assert data.decode("gbk").split("\r\n")[:3] == [
        "D20261202000123,2,19134,20261205",
        "1,AG202600000001,6222000000000001,张三,12345,物业费 2026-11",
        "2,AG202600000002,6222000000000002,李四,6789,",
    ]
    result = text_result_file_read(
        fmt,
        "1,12345,00,成功\r\n2,6789,51,余额不足\r\nTOTAL,2,19134\r\n".encode("gbk"),
        file_name="DK_D20261202000123_RESULT.csv",
    )
    assert result.batch_no == "D20261202000123"
    assert [(line.line_no, line.outcome, line.retryable) for line in result.lines] == [
        (1, Outcome.SUCCESS, False),
        (2, Outcome.FAILED, True),
    ]
    with pytest.raises(BankFileError, match="without a trailer record"):
        text_result_file_read(
            fmt, "1,12345,00,成功\r\n".encode("gbk"), file_name="DK_D20261202000123_RESULT.csv"
        )
