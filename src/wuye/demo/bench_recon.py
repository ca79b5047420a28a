"""`wuye bench recon --payments N [--inject K]`: reconcile one day of N payments across WeChat Pay and Alipay.

Not timed: a synthetic community of N households billed by a real billing run; one order per household
over its bill, alternately WeChat Pay and Alipay, settled by ``payments_apply_many`` (the set-based path
of every payment: allocations, ledger, receipts) at noon yesterday (Beijing time); and paysim's memory
filled with the same payments, from which it writes both channels' bills with K injected differences of
every class: lost notifications and order numbers we never issued (channel only), payments the channel
lacks (ours only), amounts one fen off, wrong fees, refunds we do not know of, and households who paid
the same bill twice.

Timed: ``recon_run`` of both bills (reading, matching, recording, and the ledger check of the community
once). The last line printed is one JSON object.
"""

from __future__ import annotations

import datetime
import json
import resource
import time
from collections import Counter

from django.db import connection

from wuye.billing.domain import runs as billing_runs
from wuye.core import sql
from wuye.demo import bench_billing as billing_bench
from wuye.payments.domain.bulk import Success, payments_apply_many
from wuye.payments.domain.checks import ledger_check
from wuye.payments.models import PaymentAttempt
from wuye.paysim import keys as sim_keys
from wuye.paysim.alipay import bill_zip
from wuye.paysim.seed import paysim_accounts
from wuye.paysim.server import PaySim
from wuye.paysim.state import ALIPAY, WECHAT, SimOrder, SimRefund, fee_fen
from wuye.paysim.wechat import bill_text
from wuye.recon.domain.runs import beijing_today, day_window, recon_run
from wuye.recon.enums import BILL_KINDS, DifferenceKind
from wuye.recon.models import Difference

CHANNELS = {WECHAT: "wechat_native", ALIPAY: "alipay_qr"}


def _orders(community, *, doubles: int) -> None:
    """One order and attempt per household over its open lines (two for the first ``doubles``
    households), in a few INSERT … SELECT statements."""
    now = datetime.datetime.now(datetime.UTC)
    for copy in (0, 1):
        sql.execute(
            """INSERT INTO payments_paymentorder (community_id, household_id, total_fen, late_fee_fen, state,
                   created_at)
               SELECT l.community_id, l.household_id, SUM(l.amount_fen), 0, 'open', %s FROM billing_billline l
               WHERE l.community_id = %s AND l.household_id IN (
                   SELECT id FROM households_household WHERE community_id = %s ORDER BY id LIMIT %s)
               GROUP BY l.community_id, l.household_id""",
            [now, community.pk, community.pk, 10**9 if copy == 0 else doubles],
        )
    sql.execute(
        """INSERT INTO payments_orderline (order_id, line_id, amount_fen)
           SELECT o.id, l.id, l.amount_fen FROM payments_paymentorder o
           JOIN billing_billline l ON l.household_id = o.household_id WHERE o.community_id = %s""",
        [community.pk],
    )
    sql.execute(
        """INSERT INTO payments_paymentattempt (community_id, order_id, household_id, channel, method,
               out_trade_no, amount_fen, state, channel_trade_no, code_url, payer_ref, failure_reason,
               excess_fen, created_at, updated_at)
           SELECT o.community_id, o.id, o.household_id,
                  CASE WHEN o.id %% 2 = 0 THEN 'wechat_native' ELSE 'alipay_qr' END,
                  CASE WHEN o.id %% 2 = 0 THEN 'wechat' ELSE 'alipay' END,
                  'RB' || CAST(o.id AS TEXT), o.total_fen, 'pending', '', '', '', '', 0, %s, %s
           FROM payments_paymentorder o WHERE o.community_id = %s""",
        [now, now, community.pk],
    )


def build(*, payments: int, inject: int, day: datetime.date, log):
    community = billing_bench.build(households=payments - inject, fee_items=1, log=log)
    run = billing_runs.run_preview(community=community, period=billing_bench.PERIOD, actor=None)
    billing_runs.run_issue(run=run, actor=None)
    paysim_accounts(community)  # the merchants' contracts: their fee rate
    _orders(community, doubles=inject)
    attempts = list(
        PaymentAttempt.objects.filter(community=community)
        .order_by("pk")
        .values_list("pk", "out_trade_no", "method", "amount_fen", "household_id")
    )
    noon = day_window(day)[0] + datetime.timedelta(hours=12)
    # The last ``inject`` attempts are the second orders of households that pay twice; the others are
    # the pool the differences are injected into, starting with the lost notifications.
    twice = {row[4] for row in attempts[len(attempts) - inject :]}
    pool = [row for row in attempts[: len(attempts) - inject] if row[4] not in twice]
    lost = {row[0] for row in pool[: inject // 2]}
    for chunk in sql.chunks([row for row in attempts if row[0] not in lost], 20000):
        payments_apply_many(
            successes=[Success(attempt_pk=pk, amount_fen=amount) for pk, _no, _m, amount, _h in chunk],
            paid_at=noon,
        )
    log(f"  {len(attempts) - len(lost)} payments settled on {day}, {len(lost)} notifications lost")
    sim = PaySim()
    for pk, number, method, amount, _household in attempts:
        sim.orders[(method, number)] = SimOrder(
            method=method,
            out_trade_no=number,
            amount_fen=amount,
            description="物业费",
            notify_url="",
            merchant_id=sim_keys.WECHAT_MCHID if method == WECHAT else sim_keys.ALIPAY_SELLER_ID,
            app_id=sim_keys.WECHAT_APPID if method == WECHAT else sim_keys.ALIPAY_APPID,
            trade_type="NATIVE",
            state="paid",
            channel_trade_no=f"42{pk:026d}",
            paid_at=noon,
        )
    return community, attempts, pool, lost, sim


def _inject(sim: PaySim, pool, lost: set[int], inject: int, day) -> Counter:
    """Change paysim's memory so that its bills differ from our books in ``inject`` places per class."""
    injected = Counter({DifferenceKind.DOUBLE: inject, DifferenceKind.CHANNEL_ONLY: len(lost)})
    pool = iter(pool[len(lost) :])
    noon = day_window(day)[0] + datetime.timedelta(hours=12)
    for index in range(inject - len(lost)):
        template = next(pool)
        method = template[2]
        number = f"XX{index:08d}"
        sim.orders[(method, number)] = SimOrder(
            method=method,
            out_trade_no=number,
            amount_fen=1000 + index,
            description="?",
            notify_url="",
            merchant_id=sim.orders[(method, template[1])].merchant_id,
            app_id=sim.orders[(method, template[1])].app_id,
            trade_type="NATIVE",
            state="paid",
            channel_trade_no=f"X{index}",
            paid_at=noon,
        )
        injected[DifferenceKind.CHANNEL_ONLY] += 1
    for _ in range(inject):
        _pk, number, method, _amount, _h = next(pool)
        del sim.orders[(method, number)]
        injected[DifferenceKind.OURS_ONLY] += 1
    for _ in range(inject):
        _pk, number, method, _amount, _h = next(pool)
        sim.orders[(method, number)].amount_fen += 1
        injected[DifferenceKind.AMOUNT] += 1
    for _ in range(inject):
        _pk, number, method, amount, _h = next(pool)
        sim.orders[(method, number)].fee_fen = fee_fen(amount) + 1
        injected[DifferenceKind.FEE] += 1
    for index in range(inject):
        _pk, number, method, _amount, _h = next(pool)
        sim.refunds[(method, f"RX{index:08d}")] = SimRefund(
            method=method,
            out_refund_no=f"RX{index:08d}",
            out_trade_no=number,
            amount_fen=100,
            notify_url="",
            status="SUCCESS",
            succeeded_at=noon,
        )
        injected[DifferenceKind.STATE] += 1
    return injected


def bench_recon(*, payments: int, inject: int, log) -> dict:
    day = beijing_today() - datetime.timedelta(days=1)
    community, attempts, pool, lost, sim = build(payments=payments, inject=inject, day=day, log=log)
    injected = _inject(sim, pool, lost, inject, day)
    bills = {
        WECHAT: bill_text(sim, sim_keys.WECHAT_MCHID, day),
        ALIPAY: bill_zip(sim, sim_keys.ALIPAY_APPID, day),
    }
    log(f"  bills: {', '.join(f'{method} {len(data)} bytes' for method, data in bills.items())}")

    started = time.perf_counter()
    runs = [
        recon_run(community=community, method=method, day=day, data=data, ledger=method == ALIPAY)
        for method, data in bills.items()
    ]
    seconds = time.perf_counter() - started

    found = Counter(Difference.objects.filter(community=community).values_list("kind", flat=True))
    unexplained = sum(max(found[kind] - injected[kind], 0) for kind in BILL_KINDS)
    missed = sum(max(injected[kind] - found[kind], 0) for kind in BILL_KINDS)
    return {
        "benchmark": "recon",
        "database": connection.vendor,
        "payments": len(attempts),
        "bill_lines": sum(run.their_payments + run.their_refunds for run in runs),
        "matched": sum(run.matched for run in runs),
        "injected": {kind: injected[kind] for kind in BILL_KINDS},
        "found": {kind: found[kind] for kind in BILL_KINDS},
        "unexplained": unexplained,
        "missed": missed,
        "seconds": round(seconds, 3),
        "ledger_balanced": not ledger_check(community=community),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "community_id": community.pk,
    }


def print_result(result: dict, *, write) -> None:
    write(json.dumps(result, ensure_ascii=False))
