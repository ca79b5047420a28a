"""Format descriptions (JSON): the shipped ones load, and each kind of mistake is named."""

from __future__ import annotations

import copy

import pytest

from tests.debit.samples import format_spec
from wuye.debit.interfaces.bankfiles import FORMATS_DIR, bank_format_get
from wuye.debit.interfaces.codes import Bucket, FormatSpecError
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
