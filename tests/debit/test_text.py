"""The banks' text formats: writing, reading back, and every way a file is refused."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.utils import translation

from tests.debit.samples import (
    TEXT_CODES,
    debit_file,
    debit_line,
    format_spec,
    format_variant,
    result_for,
)
from wuye.debit.interfaces.bankfiles import bank_format_get
from wuye.debit.interfaces.files import BankFileError, Outcome, ResultFile, ResultLine, Return
from wuye.debit.interfaces.text import (
    text_debit_file_read,
    text_debit_files_write,
    text_result_file_name,
    text_result_file_read,
    text_result_file_write,
    text_returns_read,
    text_returns_write,
)
from wuye.debit.interfaces.textformat import text_format_parse

GENERIC = bank_format_get("generic_cn")
FIXED = bank_format_get("fixed_cn")


def _two_lines():
    return debit_file(
        lines=[
            debit_line(
                1,
                reference="D000123-000001",
                agreement_no="AG001",
                card_number="6222123412341234",
                amount_fen=12345,
            ),
            debit_line(
                2,
                reference="D000123-000002",
                agreement_no="AG002",
                card_number="6222123412345678",
                amount_fen=6789,
                memo="",
            ),
        ]
    )


def _result_bytes(lines: list[str], fmt=GENERIC) -> bytes:
    return "".join(line + "\r\n" for line in lines).encode(fmt.encoding)


RESULT_LINES = [
    "H|DKHP|D20261202000123|3|301.23|1|100.00|0000|",
    "D|1|D000123-000001|100.00|0000|成功",
    "D|2|D000123-000002|100.00|51|余额不足",
    "D|3|D000123-000003|101.23|2001|处理中",
    "T|3|301.23",
]


# Writing ---------------------------------------------------------------------------------------------


def test_generic_debit_file_bytes():
    [(name, data)] = text_debit_files_write(GENERIC, _two_lines())

    assert name == "D20261202000123.txt"
    assert data == (
        "H|DKSP|D20261202000123|1|1|2|191.34|20261202|20261205|M0001|6222000011112222|幸福里物业服务有限公司\r\n"
        "D|1|D000123-000001|AG001|6222123412341234|张三|123.45|物业费 2026-11\r\n"
        "D|2|D000123-000002|AG002|6222123412345678|李四|67.89|\r\n"
        "T|2|191.34\r\n"
    ).encode("gbk")


def test_fixed_debit_file_counts_bytes_not_characters():
    batch = debit_file(lines=[debit_line(1, holder_name="张三"), debit_line(2, holder_name="吉田𠮷")])

    [(name, data)] = text_debit_files_write(FIXED, batch)

    assert name == "D20261202000123.dat"
    header, first, second = data.split(b"\n")[:3]
    assert data.endswith(b"\n") and data.count(b"\n") == 3  # a header and two details, LF, no trailer
    assert (len(header), len(first), len(second)) == (172, 200, 200)
    name_field = slice(1 + 8 + 35 + 32 + 32, 1 + 8 + 35 + 32 + 32 + 40)
    assert first[name_field] == "张三".encode("gb18030") + b" " * 36
    assert second[name_field] == "吉田𠮷".encode("gb18030") + b" " * 32  # 2 + 2 + 4 bytes
    assert first[-52:-40] == b"000000010111"  # the amount in fen, right-aligned, zero-padded


@pytest.mark.parametrize("fmt", [GENERIC, FIXED], ids=lambda fmt: fmt.code)
def test_debit_file_is_byte_identical_when_written_again(fmt):
    batch = debit_file(5)
    shuffled = debit_file(lines=reversed(batch.lines))

    first = text_debit_files_write(fmt, batch)

    assert text_debit_files_write(fmt, batch) == first
    assert text_debit_files_write(fmt, shuffled) == first  # lines go in line-number order


@pytest.mark.parametrize("fmt", [GENERIC, FIXED], ids=lambda fmt: fmt.code)
def test_debit_file_round_trip(fmt):
    batch = debit_file(7)

    [(_name, data)] = text_debit_files_write(fmt, batch)

    assert text_debit_file_read(fmt, data) == batch


def test_split_into_parts_each_with_its_own_totals():
    fmt = format_variant("generic_cn", max_lines=3)
    batch = debit_file(7)

    files = text_debit_files_write(fmt, batch)

    assert [name for name, _data in files] == [
        "D20261202000123_01.txt",
        "D20261202000123_02.txt",
        "D20261202000123_03.txt",
    ]
    parts = [text_debit_file_read(fmt, data) for _name, data in files]
    assert [[line.line_no for line in part.lines] for part in parts] == [[1, 2, 3], [4, 5, 6], [7]]
    assert [line for part in parts for line in part.lines] == list(batch.lines)
    headers = [data.decode("gbk").split("\r\n")[0].split("|") for _name, data in files]
    assert [(h[3], h[4], h[5], h[6]) for h in headers] == [
        ("1", "3", "3", f"{sum(line.amount_fen for line in batch.lines[:3]) / 100:.2f}"),
        ("2", "3", "3", f"{sum(line.amount_fen for line in batch.lines[3:6]) / 100:.2f}"),
        ("3", "3", "1", f"{batch.lines[6].amount_fen / 100:.2f}"),
    ]
    assert sum(part.sum_fen for part in parts) == batch.sum_fen


def test_batch_within_max_lines_is_one_file_named_by_the_batch():
    fmt = format_variant("generic_cn", max_lines=3)

    assert [name for name, _data in text_debit_files_write(fmt, debit_file(3))] == ["D20261202000123.txt"]


def test_empty_batch_is_refused():
    with pytest.raises(BankFileError, match="at least one line"):
        text_debit_files_write(GENERIC, debit_file(lines=[]))


@pytest.mark.parametrize(
    ("name", "char", "codepoint"), [("吉田𠮷", "𠮷", "20BB7"), ("张三😀", "😀", "1F600")]
)
def test_character_gbk_cannot_carry_is_refused(name, char, codepoint):
    batch = debit_file(lines=[debit_line(1), debit_line(2, holder_name=name)])

    with pytest.raises(BankFileError) as refused:
        text_debit_files_write(GENERIC, batch)

    assert refused.value.message == (
        f"Debit line 2: 户名 contains “{char}” (U+{codepoint}), which GBK cannot carry."
    )
    assert refused.value.line == 2  # the debit line, so the office can find its mandate


def test_unencodable_character_refusal_in_chinese():
    batch = debit_file(lines=[debit_line(1), debit_line(2, holder_name="吉田𠮷")])

    with translation.override("zh-hans"), pytest.raises(BankFileError) as refused:
        text_debit_files_write(GENERIC, batch)

    assert refused.value.message == "代扣明细第 2 笔：户名中的“𠮷”（U+20BB7）无法用 GBK 编码表示。"


def test_reading_refusal_in_chinese():
    lines = RESULT_LINES.copy()
    del lines[3]

    with translation.override("zh-hans"), pytest.raises(BankFileError) as refused:
        text_result_file_read(GENERIC, _result_bytes(lines))

    assert refused.value.message == "第 1 行称文件有 3 笔明细，实际有 2 笔：文件可能不完整或被添加了内容。"


def test_gb18030_carries_what_gbk_cannot():
    batch = debit_file(lines=[debit_line(1, holder_name="吉田𠮷"), debit_line(2, holder_name="张三😀")])

    [(_name, data)] = text_debit_files_write(FIXED, batch)

    assert text_debit_file_read(FIXED, data) == batch


def test_creditor_name_gbk_cannot_carry_is_refused_in_the_header():
    with pytest.raises(BankFileError, match=r"^The file header: 收款单位 contains “𠮷”") as refused:
        text_debit_files_write(GENERIC, debit_file(creditor_name="𠮷祥物业"))
    assert refused.value.line is None


def test_value_too_long_for_its_fixed_width_is_refused_not_cut():
    name = "欧阳" * 10 + "娜"  # 21 characters, 42 bytes in GB18030; the field has 40
    batch = debit_file(lines=[debit_line(1), debit_line(2), debit_line(3, holder_name=name)])

    with pytest.raises(BankFileError) as refused:
        text_debit_files_write(FIXED, batch)

    assert refused.value.message == (
        "Debit line 3: 户名 is 42 bytes in GB18030, longer than the 40 bytes of its field."
    )


def test_value_longer_than_a_delimited_field_maximum_is_refused():
    batch = debit_file(lines=[debit_line(1, memo="物业费" * 11)])  # 66 bytes in GBK; at most 60

    with pytest.raises(
        BankFileError, match="Debit line 1: 摘要 is 66 bytes in GBK, longer than the 60 bytes"
    ):
        text_debit_files_write(GENERIC, batch)


def test_delimiter_inside_a_value_is_refused():
    batch = debit_file(lines=[debit_line(1, memo="物业费|2026-11")])

    with pytest.raises(BankFileError, match=r"Debit line 1: 摘要 contains the delimiter “\|”"):
        text_debit_files_write(GENERIC, batch)


# Results: round trips and outcomes -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [GENERIC, FIXED], ids=lambda fmt: fmt.code)
def test_result_file_round_trip(fmt):
    batch = debit_file(6)
    result = result_for(batch, ["success", "insufficient", "invalid_card", "pending"])

    data = text_result_file_write(fmt, result)

    assert text_result_file_read(fmt, data) == result


def test_result_outcomes_by_code():
    result = text_result_file_read(GENERIC, _result_bytes(RESULT_LINES))

    assert result.batch_no == "D20261202000123"
    assert (result.file_rejected, result.partial) == (False, False)
    assert (result.declared_count, result.declared_sum_fen) == (3, 30123)
    assert [
        (line.line_no, line.outcome, line.code, line.message, line.retryable) for line in result.lines
    ] == [
        (1, Outcome.SUCCESS, "0000", "成功", False),
        (2, Outcome.FAILED, "51", "余额不足", True),
        (3, Outcome.UNKNOWN, "2001", "处理中", False),
    ]


@pytest.mark.parametrize(
    ("code", "outcome", "retryable"),
    [
        ("0000", Outcome.SUCCESS, False),
        ("4000", Outcome.SUCCESS, False),
        ("2000", Outcome.UNKNOWN, False),
        ("0003", Outcome.UNKNOWN, False),
        ("0014", Outcome.UNKNOWN, False),
        ("", Outcome.UNKNOWN, False),
        ("51", Outcome.FAILED, True),
        ("14", Outcome.FAILED, False),  # a two-digit card code, not a 1xxx file rejection
        ("3999", Outcome.FAILED, False),
    ],
)
def test_code_table(code, outcome, retryable):
    lines = RESULT_LINES.copy()
    lines[1] = f"D|1|D000123-000001|100.00|{code}|"
    lines[0] = "H|DKHP|D20261202000123|3|301.23|{}|{}|0000|".format(
        *(("1", "100.00") if outcome == Outcome.SUCCESS else ("0", "0.00"))
    )

    [line, *_rest] = text_result_file_read(GENERIC, _result_bytes(lines)).lines

    assert (line.outcome, line.retryable) == (outcome, retryable)


def test_file_rejected_by_the_file_code():
    data = _result_bytes(["H|DKHP|D20261202000123|3|301.23|0|0.00|1104|汇总笔数与明细不符", "T|3|301.23"])

    result = text_result_file_read(GENERIC, data)

    assert (result.file_rejected, result.reject_code, result.reject_message) == (
        True,
        "1104",
        "汇总笔数与明细不符",
    )
    assert result.lines == ()
    assert (result.declared_count, result.declared_sum_fen) == (3, 30123)  # as written, not checked


def test_file_rejected_by_every_line_code():
    lines = [
        "H|DKHP|D20261202000123|2|200.00|0|0.00||",
        "D|1|D000123-000001|100.00|1103|汇总金额不符",
        "D|2|D000123-000002|100.00|1103|汇总金额不符",
        "T|2|200.00",
    ]

    result = text_result_file_read(GENERIC, _result_bytes(lines))

    assert (result.file_rejected, result.reject_code, result.reject_message) == (True, "1103", "汇总金额不符")
    assert {(line.outcome, line.retryable) for line in result.lines} == {(Outcome.FAILED, True)}


def test_file_rejection_on_some_lines_only_is_refused():
    lines = RESULT_LINES.copy()
    lines[2] = "D|2|D000123-000002|100.00|1103|汇总金额不符"

    with pytest.raises(
        BankFileError, match="Line 3 has code 1103, which rejects the whole file, but line 2 has code 0000"
    ):
        text_result_file_read(GENERIC, _result_bytes(lines))


def test_rejected_file_with_a_successful_line_is_refused():
    lines = RESULT_LINES.copy()
    lines[0] = "H|DKHP|D20261202000123|3|301.23|1|100.00|1106|签名错误"

    with pytest.raises(
        BankFileError, match="Line 2 reports success, but the file was rejected with code 1106"
    ):
        text_result_file_read(GENERIC, _result_bytes(lines))


def test_result_file_name_and_batch_from_the_name():
    assert text_result_file_name(GENERIC, batch_no="D20261202000123") == "D20261202000123_RET.txt"
    assert (
        text_result_file_name(GENERIC, batch_no="D20261202000123", part=2, parts=3)
        == "D20261202000123_02_RET.txt"
    )

    result = text_result_file_read(
        GENERIC, _result_bytes(RESULT_LINES), file_name="D20261202000123_02_RET.txt"
    )

    assert result.batch_no == "D20261202000123"


def test_file_name_of_another_batch_is_refused():
    with pytest.raises(
        BankFileError, match="is for batch D20261202000999, but the file says batch D20261202000123"
    ):
        text_result_file_read(GENERIC, _result_bytes(RESULT_LINES), file_name="D20261202000999_RET.txt")


def test_batch_number_only_in_the_file_name():
    spec = format_spec("generic_cn")
    spec["result"]["header"] = [f for f in spec["result"]["header"] if f.get("value") != "batch_no"]
    fmt = text_format_parse(spec)
    lines = RESULT_LINES.copy()
    lines[0] = "H|DKHP|3|301.23|1|100.00|0000|"

    assert text_result_file_read(fmt, _result_bytes(lines), file_name="D20261202000777_RET.txt").batch_no == (
        "D20261202000777"
    )
    with pytest.raises(BankFileError, match="does not say its batch number"):
        text_result_file_read(fmt, _result_bytes(lines))


# Returns ---------------------------------------------------------------------------------------------


def test_returns_file_round_trip():
    returns = [
        Return("D000123-000001", 10111, "51", "余额不足", datetime.date(2026, 12, 9)),
        Return("D000123-000004", 10444, "AC04", "账户已销户", datetime.date(2026, 12, 10)),
    ]

    data = text_returns_write(GENERIC, returns, file_id="TP20261210", created_on=datetime.date(2026, 12, 10))

    assert data.decode("gbk").split("\r\n")[0] == "H|DKTP|TP20261210|20261210|2|205.55"
    assert text_returns_read(GENERIC, data) == returns


def test_format_without_returns_says_so():
    with pytest.raises(BankFileError, match="has no returns file"):
        text_returns_read(FIXED, b"R|x\n")


def test_returns_file_with_a_bad_date_is_refused():
    data = _result_bytes(
        ["H|DKTP|TP1|20261210|1|1.00", "R|D000123-000001|1.00|51|余额不足|20261340", "T|1|1.00"]
    )

    with pytest.raises(BankFileError, match="Line 2: 退回日期 must be a date like 20261201, not “20261340”"):
        text_returns_read(GENERIC, data)


# Reading: what is refused ---------------------------------------------------------------------------


def _refused(data: bytes, fmt=GENERIC, **kwargs) -> BankFileError:
    with pytest.raises(BankFileError) as refused:
        text_result_file_read(fmt, data, **kwargs)
    return refused.value


def test_lf_line_endings_read_like_crlf():
    crlf = _result_bytes(RESULT_LINES)

    assert text_result_file_read(GENERIC, crlf.replace(b"\r\n", b"\n")) == text_result_file_read(
        GENERIC, crlf
    )


def test_last_line_without_line_ending_and_trailing_blank_lines_are_accepted():
    crlf = _result_bytes(RESULT_LINES)
    expected = text_result_file_read(GENERIC, crlf)

    assert text_result_file_read(GENERIC, crlf.removesuffix(b"\r\n")) == expected
    assert text_result_file_read(GENERIC, crlf + b"\r\n\r\n") == expected


def test_mixed_line_endings_are_refused():
    data = _result_bytes(RESULT_LINES).replace(b"\xb3\xc9\xb9\xa6\r\n", b"\xb3\xc9\xb9\xa6\n")  # after 成功

    error = _refused(data)

    assert (
        error.message
        == "Line 2 ends with LF, but line 1 ends with CRLF: a file uses one kind of line ending."
    )
    assert error.line == 2


def test_carriage_return_inside_a_line_is_refused():
    data = _result_bytes(RESULT_LINES).replace("余额不足".encode("gbk"), "余额\r不足".encode("gbk"))

    assert _refused(data).message == "Line 3 contains a carriage return inside the line."


def test_blank_line_in_the_middle_is_refused():
    lines = RESULT_LINES.copy()
    lines.insert(2, "")

    assert _refused(_result_bytes(lines)).message == "Line 3 is empty."


def test_missing_trailer_is_a_truncated_file():
    error = _refused(_result_bytes(RESULT_LINES[:-1]))

    assert error.message == "The file ends after line 4 without a trailer record: it may be cut short."


def test_file_cut_inside_a_line_is_refused():
    data = _result_bytes(RESULT_LINES)
    cut = data[: data.index(b"D|3|") + 10]  # "D|3|D00012"

    assert (
        _refused(cut).message == "The file ends after line 4 without a trailer record: it may be cut short."
    )


def test_trailer_count_short_of_the_lines_is_refused():
    lines = RESULT_LINES.copy()
    del lines[3]  # a line lost; header and trailer still say 3
    lines[0] = "H|DKHP|D20261202000123|3|301.23|1|100.00|0000|"

    error = _refused(_result_bytes(lines))

    assert error.message == "Line 1 says the file has 3 lines, but it has 2: it may be cut short or padded."
    assert error.line == 1


def test_declared_sum_that_does_not_match_is_refused():
    lines = RESULT_LINES.copy()
    lines[0] = "H|DKHP|D20261202000123|3|301.24|1|100.00|0000|"
    lines[-1] = "T|3|301.24"

    assert _refused(_result_bytes(lines)).message == (
        "Line 1 says the lines add up to 301.24 yuan, but they add up to 301.23 yuan."
    )


def test_header_and_trailer_that_disagree_are_refused():
    lines = RESULT_LINES.copy()
    lines[-1] = "T|4|301.23"

    assert _refused(_result_bytes(lines)).message == "Line 5: line count is “4”, but line 1 says “3”."


def test_success_count_that_does_not_match_is_refused():
    lines = RESULT_LINES.copy()
    lines[0] = "H|DKHP|D20261202000123|3|301.23|2|200.00|0000|"

    assert _refused(_result_bytes(lines)).message == "Line 1: success count is 2, but the lines give 1."


def test_repeated_line_number_is_refused():
    lines = RESULT_LINES.copy()
    lines[3] = "D|2|D000123-000003|101.23|2001|处理中"

    error = _refused(_result_bytes(lines))

    assert error.message == "Line 4 repeats line number 2 (first on line 3)."
    assert error.line == 4


def test_repeated_reference_is_refused():
    lines = RESULT_LINES.copy()
    lines[3] = "D|3|D000123-000002|101.23|2001|处理中"

    assert (
        _refused(_result_bytes(lines)).message
        == "Line 4 repeats the reference D000123-000002 (first on line 3)."
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "D|2|D000123-000002|1OO.00|51|余额不足",
            "Line 3: 金额 must be an amount in yuan, like 123.45, not “1OO.00”.",
        ),
        (
            "D|2|D000123-000002|100.001|51|余额不足",
            "Line 3: 金额 must be an amount in yuan, like 123.45, not “100.001”.",
        ),
        (
            "D|2|D000123-000002|-100.00|51|余额不足",
            "Line 3: 金额 must be an amount in yuan, like 123.45, not “-100.00”.",
        ),
        ("D|二|D000123-000002|100.00|51|余额不足", "Line 3: 序号 must be a whole number, not “二”."),
        ("D|2|D000123-000002|100.00|51", "Line 3 has 5 fields; a detail record has 6."),
        ("X|2|D000123-000002|100.00|51|余额不足", "Line 3: 记录类型 is “X”, but a detail record has “D”."),
    ],
)
def test_bad_field_is_refused_naming_line_and_field(line, message):
    lines = RESULT_LINES.copy()
    lines[2] = line

    assert _refused(_result_bytes(lines)).message == message


def test_undecodable_bytes_are_refused_naming_the_line():
    data = _result_bytes(RESULT_LINES).replace("余额不足".encode("gbk"), b"\xff\xfe\xfd")

    error = _refused(data)

    assert error.message == (
        "Line 3 is not valid GBK (byte 30): the file was probably saved in another encoding."
    )
    assert error.line == 3


def test_utf8_file_for_a_gbk_format_is_refused():
    data = "".join(line + "\r\n" for line in RESULT_LINES).encode("utf-8")

    assert _refused(data).message == (
        "The file is UTF-8 text, but this format is GBK: the file was saved in the wrong encoding."
    )


def test_utf8_bom_on_a_gbk_file_is_refused():
    error = _refused(b"\xef\xbb\xbf" + _result_bytes(RESULT_LINES))

    assert error.message == (
        "The file starts with a UTF-8 byte order mark, but this format is GBK: the file was saved in the wrong encoding."
    )


def test_utf8_bom_on_a_utf8_file_is_stripped():
    fmt = format_variant("generic_cn", encoding="UTF-8")
    data = "".join(line + "\r\n" for line in RESULT_LINES).encode("utf-8")

    assert text_result_file_read(fmt, b"\xef\xbb\xbf" + data) == text_result_file_read(fmt, data)


def test_gbk_file_for_a_utf8_format_is_refused():
    fmt = format_variant("generic_cn", encoding="UTF-8")

    assert _refused(_result_bytes(RESULT_LINES), fmt).message.startswith("Line 2 is not valid UTF-8")


def test_utf16_file_is_refused():
    data = "".join(line + "\r\n" for line in RESULT_LINES).encode("utf-16")

    assert _refused(data).message.startswith("The file is UTF-16 text")


def test_debit_file_is_not_a_result_file():
    [(_name, data)] = text_debit_files_write(GENERIC, debit_file(3))

    error = _refused(data)

    assert (
        error.message
        == "This is a debit file of the format “通用代扣文本格式（GBK，竖线分隔）”, not a result file."
    )
    assert error.line == 1


def test_debit_file_is_not_a_result_file_in_a_fixed_format():
    [(_name, data)] = text_debit_files_write(FIXED, debit_file(3))

    assert _refused(data, FIXED).message.startswith("This is a debit file of the format")


def test_random_text_is_not_a_result_file():
    error = _refused("姓名,金额\r\n张三,100\r\n".encode("gbk"))

    assert error.message == (
        "This is not a result file of the format “通用代扣文本格式（GBK，竖线分隔）”: "
        "Line 1 has 1 fields; a header record has 9."
    )


def test_random_bytes_are_refused():
    assert _refused(bytes(range(256)) * 4).message == "Line 1 contains a NUL byte: this is not a text file."
    assert _refused(bytes(range(1, 256)) * 4).message == (
        "Line 2 contains a carriage return inside the line."  # line 1 ends at byte 10, "\n"
    )
    assert _refused(bytes(range(128, 256)) * 4).message == (
        "Line 1 is not valid GBK (byte 1): the file was probably saved in another encoding."
    )


def test_spreadsheet_is_refused():
    workbook = openpyxl.Workbook()
    workbook.active.append(["H", "DKHP", "D20261202000123"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert (
        _refused(buffer.getvalue()).message == "This is a spreadsheet, an archive or a PDF, not a bank file."
    )


def test_xml_is_refused():
    assert (
        _refused(b"<?xml version='1.0'?><Document/>").message
        == "This is an XML or HTML file, not a bank text file."
    )


def test_empty_file_is_refused():
    assert _refused(b"\r\n").message == "The file is empty."


def test_fixed_width_line_of_the_wrong_length_is_refused():
    result = result_for(debit_file(2), ["success"])
    data = text_result_file_write(FIXED, result)
    first, rest = data.split(b"\n", 1)

    error = _refused(first.rstrip(b" ") + b"\n" + rest, FIXED)

    assert error.message == (
        "This is not a result file of the format “定长代扣文本格式（GB18030，按字节定长）”: "
        "Line 1 is 64 bytes long; a detail record is 120 bytes."
    )


def test_fixed_width_field_that_cuts_a_character_is_refused():
    result = result_for(debit_file(2), ["success"])
    lines = text_result_file_write(FIXED, result).split(b"\n")
    # Shift the message one byte to the left: the 120 bytes stay, but "成" now straddles the code field.
    lines[1] = lines[1][:59] + lines[1][60:] + b" "
    error = _refused(b"\n".join(lines), FIXED)

    assert error.message == ("Line 2: 返回码 cuts a character in two: the field widths do not fit this file.")


def test_result_line_written_with_a_newline_is_refused():
    result = ResultFile(
        batch_no="D1",
        file_rejected=False,
        reject_code="",
        reject_message="",
        lines=(ResultLine(1, "R1", 100, Outcome.FAILED, "14", "无效\n卡号", False),),
        declared_count=1,
        declared_sum_fen=100,
    )

    with pytest.raises(
        BankFileError, match=r"Result line 1: 返回信息 contains a control character \(U\+000A\)"
    ):
        text_result_file_write(GENERIC, result)


def test_text_codes_sample_is_consistent_with_the_shipped_table():
    for code, _message, outcome, retryable in TEXT_CODES.values():
        bucket = GENERIC.codes.bucket(code)
        assert (bucket.value == "success") == (outcome == Outcome.SUCCESS)
        assert (bucket.value == "retryable") == retryable
