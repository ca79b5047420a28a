"""`wuye bench debit --lines N [--out DIR]`: a whole bank batch debit cycle over N mandated lines.

Not timed: a synthetic community of N households (one fee item) billed by a real billing run, an active
mandate per household (cards whose last digit scripts the simulated bank's answer: about 85 % succeed,
5 % lack funds, 5 % closed accounts, 5 % unknown), and paysim's bank answering the files.

Timed apart: building the batch (``build_seconds``: the lines, orders and attempts), generating its
files (``generate_seconds``), marking it sent, which makes every attempt pending and locks its lines
(``send_seconds``), reading the bank's result files and settling every line (``import_seconds``).
Then ``wuye ledger check`` of the community. The last line printed is one JSON object.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import resource
import time
from pathlib import Path

from django.db import connection, transaction

from wuye.billing.domain import runs
from wuye.billing.models import FeeItem
from wuye.debit.domain.batches import batch_build, batch_send
from wuye.debit.domain.files import batch_debit_file, batch_files, batch_format, files_digest, result_read
from wuye.debit.domain.results import result_settle
from wuye.debit.enums import LineState, MandateState, SignedVia
from wuye.debit.interfaces import bankfiles
from wuye.debit.models import DebitLine, DebitSettings, Mandate
from wuye.demo import bench_billing as billing_bench
from wuye.households.models import Household
from wuye.payments.domain.checks import ledger_check
from wuye.paysim.bank import bank_result


def _card(index: int) -> str:
    """The card's last digit scripts the simulated bank (0-6 success, 7 insufficient funds, 8 closed,
    9 unknown): 17 of every 20 succeed, then one of each failure and an unknown."""
    rest = index % 20
    return f"62220200{index:010d}{rest % 7 if rest < 17 else rest - 10}"


def build(*, lines: int, log):
    community = billing_bench.build(households=lines, fee_items=1, log=log)
    run = runs.run_preview(community=community, period=billing_bench.PERIOD, actor=None)
    runs.run_issue(run=run, actor=None)
    DebitSettings.objects.create(
        community=community,
        bank_name="合作银行",
        creditor_name="基准测试物业",
        creditor_account="6222000011112222",
        creditor_id="WY0001",
        lines_per_file=100_000,
    )
    item = FeeItem.objects.get(community=community)
    households = list(Household.objects.filter(community=community).order_by("pk").values_list("pk", "name"))
    with transaction.atomic():
        mandates = Mandate.objects.bulk_create(
            [
                Mandate(
                    community=community,
                    household_id=pk,
                    number=f"MB{community.pk:04d}{index:08d}",
                    bank_name="合作银行",
                    holder_name=f"户主{name}",
                    card_number=_card(index),
                    card_last4=_card(index)[-4:],
                    agreement_no=f"AG{community.pk:04d}{index:010d}",
                    effective_on=datetime.date(2020, 1, 1),
                    state=MandateState.ACTIVE,
                    signed_via=SignedVia.BANK,
                )
                for index, (pk, name) in enumerate(households)
            ],
            batch_size=5000,
        )
        if connection.vendor != "postgresql":
            mandates = list(Mandate.objects.filter(community=community).order_by("pk"))
        Mandate.fee_items.through.objects.bulk_create(
            [Mandate.fee_items.through(mandate_id=mandate.pk, feeitem_id=item.pk) for mandate in mandates],
            batch_size=5000,
        )
    log(f"  {len(mandates)} active mandates")
    return community


def bench_debit(*, lines: int, out: Path | None, log) -> dict:
    community = build(lines=lines, log=log)
    cutoff = billing_bench.PERIOD + datetime.timedelta(days=60)

    started = time.perf_counter()
    batch = batch_build(
        company=community.company, communities=[community], cutoff_on=cutoff, collection_on=cutoff
    )
    build_seconds = time.perf_counter() - started
    log(f"  batch {batch.number}: {batch.line_count} lines, {batch.total_fen} fen")

    started = time.perf_counter()
    files = batch_files(batch)
    generate_seconds = time.perf_counter() - started
    log(f"  {len(files)} file(s) written")

    started = time.perf_counter()
    batch = batch_send(batch=batch, files_sha256=files_digest(files))
    send_seconds = time.perf_counter() - started

    answers = [bank_result(batch_format(batch), data) for _name, data in files]
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name, data in files:
            (out / name).write_bytes(data)
        for name, data, _debit in answers:
            (out / name).write_bytes(data)
        iso = bankfiles.bank_format_get("iso20022")
        for name, data in bankfiles.debit_files_write(iso, batch_debit_file(batch)):
            (out / name).write_bytes(data)
        log(f"  files in {out}")

    started = time.perf_counter()
    for name, data, _debit in answers:
        result = result_read(batch, data, file_name=name)
        result_settle(batch=batch, result=result, file_name=name, sha256=hashlib.sha256(data).hexdigest())
    import_seconds = time.perf_counter() - started

    states = dict.fromkeys(LineState.values, 0)
    for state in DebitLine.objects.filter(batch=batch).values_list("state", flat=True):
        states[state] += 1
    differences = ledger_check(community=community)
    return {
        "benchmark": "debit",
        "database": connection.vendor,
        "lines": batch.line_count,
        "total_fen": batch.total_fen,
        "files": len(files),
        "build_seconds": round(build_seconds, 3),
        "generate_seconds": round(generate_seconds, 3),
        "send_seconds": round(send_seconds, 3),
        "import_seconds": round(import_seconds, 3),
        "settled": states[LineState.SUCCEEDED],
        "failed": states[LineState.FAILED],
        "unknown": states[LineState.UNKNOWN],
        "ledger_balanced": not differences,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "community_id": community.pk,
    }


def print_result(result: dict, *, write) -> None:
    write(json.dumps(result, ensure_ascii=False))
