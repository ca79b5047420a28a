"""Batches and results to write and read in the bank file tests."""

from __future__ import annotations

import copy
import datetime
import json

from wuye.debit.interfaces.bankfiles import FORMATS_DIR
from wuye.debit.interfaces.files import DebitFile, DebitLine, Outcome, ResultFile, ResultLine
from wuye.debit.interfaces.textformat import TextFormat, text_format_parse

NAMES = ["张三", "李四", "王五", "赵六", "欧阳娜娜", "司马相如", "钱七"]
CREATED_ON = datetime.date(2026, 12, 2)
COLLECTION_DATE = datetime.date(2026, 12, 5)


def debit_line(line_no: int, *, amount_fen: int | None = None, **changes) -> DebitLine:
    values = {
        "line_no": line_no,
        "reference": f"D000123-{line_no:06d}",
        "agreement_no": f"AG2026{line_no:08d}",
        "card_number": f"6222{line_no:012d}",
        "holder_name": NAMES[(line_no - 1) % len(NAMES)],
        "amount_fen": amount_fen if amount_fen is not None else 10_000 + line_no * 111,
        "memo": "物业费 2026-11",
    }
    values.update(changes)
    return DebitLine(**values)


def debit_file(count: int = 3, *, lines=None, **changes) -> DebitFile:
    values = {
        "batch_no": "D20261202000123",
        "created_on": CREATED_ON,
        "collection_date": COLLECTION_DATE,
        "creditor_name": "幸福里物业服务有限公司",
        "creditor_account": "6222000011112222",
        "creditor_id": "M0001",
        "lines": tuple(lines) if lines is not None else tuple(debit_line(n) for n in range(1, count + 1)),
    }
    values.update(changes)
    return DebitFile(**values)


# Codes by outcome in the Allinpay table every shipped text format uses.
TEXT_CODES = {
    "success": ("0000", "成功", Outcome.SUCCESS, False),
    "insufficient": ("51", "余额不足", Outcome.FAILED, True),
    "invalid_card": ("14", "无效卡号", Outcome.FAILED, False),
    "pending": ("2001", "处理中", Outcome.UNKNOWN, False),
}
ISO_CODES = {
    "success": ("ACSC", "", Outcome.SUCCESS, False),
    "insufficient": ("AM04", "余额不足", Outcome.FAILED, True),
    "invalid_card": ("AC04", "账户已销户", Outcome.FAILED, False),
    "pending": ("PDNG", "", Outcome.UNKNOWN, False),
}


def result_for(batch: DebitFile, kinds: list[str], *, codes=None) -> ResultFile:
    """The bank's answer to ``batch``: line i gets ``kinds[i % len(kinds)]``."""
    codes = codes or TEXT_CODES
    lines = []
    for index, line in enumerate(batch.lines):
        code, message, outcome, retryable = codes[kinds[index % len(kinds)]]
        lines.append(
            ResultLine(
                line_no=line.line_no,
                reference=line.reference,
                amount_fen=line.amount_fen,
                outcome=outcome,
                code=code,
                message=message,
                retryable=retryable,
            )
        )
    return ResultFile(
        batch_no=batch.batch_no,
        file_rejected=False,
        reject_code="",
        reject_message="",
        lines=tuple(lines),
        declared_count=batch.count,
        declared_sum_fen=batch.sum_fen,
    )


def format_spec(code: str) -> dict:
    return json.loads((FORMATS_DIR / f"{code}.json").read_text(encoding="utf-8"))


def format_variant(code: str, **changes) -> TextFormat:
    """A shipped format with some top-level keys changed (e.g. ``max_lines=3``, ``encoding="UTF-8"``)."""
    spec = copy.deepcopy(format_spec(code))
    spec.update(changes)
    return text_format_parse(spec, origin=f"{code} (variant)")
