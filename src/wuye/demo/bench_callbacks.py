"""`wuye bench callbacks`: N signed payment notifications plus K duplicates through the real notify
endpoint, over HTTP on loopback, from several concurrent clients.

Not timed: a synthetic community of N households with one fee item, billed by a real billing run;
one order and one pending WeChat attempt per household (bulk-inserted, as if the owners had scanned);
N notifications signed by paysim with its test keys, plus K re-signed redeliveries of randomly
chosen ones (same event id, new timestamp, nonce and signature, as WeChat's retries), shuffled
together; a gunicorn server with ``--workers`` processes serving ``wuye.wsgi`` on a free port (sync
workers, as the production unit runs them behind nginx: a worker takes a connection only when it is
free and answers one request on it; one worker per core by default: the database server runs on the
same cores, and more processes than cores only switch between each other).

Timed: from the first request to the last answer. Then the bench counts the attempts applied and
runs the ledger check of the community. The last line printed is one JSON object.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.db.models import Count

from wuye.billing.domain import runs
from wuye.billing.models import BillLine
from wuye.core.models import Community
from wuye.demo import bench_billing as billing_bench
from wuye.ledger.enums import TransactionKind
from wuye.ledger.models import LedgerTransaction
from wuye.payments.domain.checks import ledger_check
from wuye.payments.enums import AttemptState, Channel, PaymentMethod
from wuye.payments.models import ChannelEvent, OrderLine, PaymentAttempt, PaymentOrder


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build(*, notifications: int, log) -> Community:
    community = billing_bench.build(households=notifications, fee_items=1, log=log)
    run = runs.run_preview(community=community, period=billing_bench.PERIOD, actor=None)
    runs.run_issue(run=run, actor=None)
    lines = list(
        BillLine.objects.filter(community=community)
        .order_by("household_id")
        .values_list("pk", "household_id", "amount_fen")
    )
    log(f"  {len(lines)} bills issued")
    with transaction.atomic():
        orders = PaymentOrder.objects.bulk_create(
            [
                PaymentOrder(community=community, household_id=household, total_fen=amount)
                for _pk, household, amount in lines
            ],
            batch_size=2000,
        )
        if connection.vendor != "postgresql":  # SQLite's bulk_create returns no pks before 3.35's RETURNING
            orders = list(PaymentOrder.objects.filter(community=community).order_by("household_id"))
        OrderLine.objects.bulk_create(
            [
                OrderLine(order=order, line_id=pk, amount_fen=amount)
                for order, (pk, _h, amount) in zip(orders, lines, strict=True)
            ],
            batch_size=2000,
        )
        expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
        PaymentAttempt.objects.bulk_create(
            [
                PaymentAttempt(
                    community=community,
                    order=order,
                    household_id=order.household_id,
                    channel=Channel.WECHAT_NATIVE,
                    method=PaymentMethod.WECHAT,
                    out_trade_no=f"WB{community.pk:05d}{index:09d}",
                    amount_fen=order.total_fen,
                    state=AttemptState.PENDING,
                    expires_at=expires,
                )
                for index, order in enumerate(orders)
            ],
            batch_size=2000,
        )
    log(f"  {len(orders)} orders with a pending WeChat Pay attempt")
    return community


def serve(workers: int, log, *, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """gunicorn serving ``wuye.wsgi`` on a free loopback port, as the README's production unit runs it
    (sync workers: one request per connection, taken by a free worker); returns the process and its
    base URL."""
    port = _free_port()
    command = [
        sys.executable, "-m", "gunicorn", "wuye.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync", "--timeout", "60",
        "--log-level", "warning", "--backlog", "2048",
    ]  # fmt: skip
    # The bench's accounts use paysim's test keys: the server it starts lets paysim stand in for WeChat.
    server = subprocess.Popen(command, env={**os.environ, "WUYE_PAYSIM": "1", **(env or {})})  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        raise RuntimeError("the bench server did not start")
    log(f"  gunicorn with {workers} workers at {base}")
    return server, base


def _deliver(items: list[tuple[str, dict, bytes]], clients: int) -> list[int]:
    """Post every item from ``clients`` threads, each with its own connection (opened again whenever the
    server closes it: sync workers answer one request per connection)."""
    statuses: list[int] = []
    lock = threading.Lock()
    position = {"next": 0}

    def client() -> None:
        connection_by_host: dict[str, http.client.HTTPConnection] = {}
        mine: list[int] = []
        while True:
            with lock:
                index = position["next"]
                position["next"] += 1
            if index >= len(items):
                break
            url, headers, body = items[index]
            parts = urlsplit(url)
            conn = connection_by_host.get(parts.netloc)
            if conn is None:
                conn = connection_by_host[parts.netloc] = http.client.HTTPConnection(parts.netloc, timeout=60)
            for retry in range(3):
                try:
                    conn.request("POST", parts.path, body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    mine.append(response.status)
                    break
                except (ConnectionError, http.client.HTTPException):
                    conn.close()
                    conn = connection_by_host[parts.netloc] = http.client.HTTPConnection(
                        parts.netloc, timeout=60
                    )
                    if retry == 2:
                        mine.append(0)
        with lock:
            statuses.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def bench_callbacks(
    *, notifications: int, duplicates: int, clients: int, workers: int, seed: int, log
) -> dict:
    from wuye.paysim.seed import paysim_accounts
    from wuye.paysim.server import PaySim

    log(f"building {notifications} open bills and pending attempts ({connection.vendor})")
    community = build(notifications=notifications, log=log)
    sim = PaySim(host="127.0.0.1", port=0).start()
    server, base = serve(workers, log)
    try:
        wechat, _alipay = paysim_accounts(community, base_url=sim.base_url)
        wechat.notify_base_url = base
        wechat.save(update_fields=["notify_base_url"])
        from wuye.payments.domain.accounts import notify_url

        url = notify_url(wechat)
        attempts = list(
            PaymentAttempt.objects.filter(community=community)
            .order_by("pk")
            .values_list("out_trade_no", "amount_fen")
        )
        log(f"signing {len(attempts)} notifications and {duplicates} redeliveries")
        items = []
        for out_trade_no, amount in attempts:
            _url, headers, body = sim.notification_for(
                out_trade_no, method="wechat", notify_url=url, amount_fen=amount
            )
            items.append((url, headers, body))
        chooser = random.Random(seed)
        for _ in range(duplicates):
            out_trade_no, amount = chooser.choice(attempts)
            _url, headers, body = sim.notification_for(
                out_trade_no, method="wechat", notify_url=url, amount_fen=amount
            )
            items.append((url, headers, body))
        chooser.shuffle(items)
        log(f"delivering {len(items)} requests from {clients} clients")
        started = time.perf_counter()
        statuses = _deliver(items, clients)
        seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
        sim.stop()
    applied = PaymentAttempt.objects.filter(community=community, transaction__isnull=False).count()
    payment_transactions = LedgerTransaction.objects.filter(
        community=community, kind=TransactionKind.PAYMENT
    ).count()
    differences = ledger_check(community=community)
    for difference in differences[:20]:
        log(f"  {difference}")
    outcomes = {
        row["outcome"]: row["n"]
        for row in ChannelEvent.objects.filter(community=community).values("outcome").annotate(n=Count("pk"))
    }
    delivered = len(items)
    return {
        "benchmark": "callbacks",
        "database": connection.vendor,
        "notifications": notifications,
        "duplicates": duplicates,
        "clients": clients,
        "workers": workers,
        "applied": applied,
        "payment_transactions": payment_transactions,
        "answered_ok": sum(1 for status in statuses if 200 <= status < 300),
        "inbox": outcomes,
        "seconds": round(seconds, 3),
        "per_second": round(delivered / seconds, 1) if seconds else None,
        "applied_per_second": round(applied / seconds, 1) if seconds else None,
        "ledger_balanced": not differences,
        "community_id": community.pk,
    }


def print_result(result: dict, *, write) -> None:
    write(json.dumps(result, ensure_ascii=False))
