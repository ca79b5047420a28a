"""`wuye bench http`: the owner portal under load, on the production server, against the framework's
ceiling on the same server.

Not timed: a community of N households (buildings of 1000 rooms) billed by a real run for one month and
paid in full for it (set-based, as a debit file settles: every household has a receipt), then billed by
a second run for the next month (every household has an open bill); an owner account bound to each
household, signed in to the portal (a session each); paysim standing in for WeChat Pay; gunicorn serving
``wuye.wsgi`` as the README's production unit does (sync workers, one per core by default: a free
worker takes the next connection and answers one request on it) with the bench's settings (the
product's, plus one bare view).

Timed, by locust (headless, one process, no thinking time) on loopback: for S seconds, U simulated owners
(``wuye.demo.bench_http_locust.Owner``): home page 5, open bills 3, a receipt 2, paying 1 (the bills
page, the order with paysim's QR code, the QR page, the owner confirms on paysim's phone page, paysim's
notification back to the notify endpoint, the status polled until paid; then the next owner). Then, for
a fifth of S (at least 10 s), U clients on the bare view. Then the ledger check of the community. The
last line printed is one JSON object: ``rps``, ``p50_ms``, ``p99_ms``, ``errors`` (requests that failed
or answered 4xx/5xx), ``baseline_rps``, ``ratio`` and more.
"""

from __future__ import annotations

import collections
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from wuye.billing.domain import compute, runs
from wuye.core import sql
from wuye.core.models import Community
from wuye.demo import bench_billing as billing_bench
from wuye.demo import bench_callbacks as callbacks_bench
from wuye.owners.enums import BindingSource
from wuye.owners.models import HouseholdBinding, OwnerAccount
from wuye.payments.domain.bulk import Success, payments_apply_many
from wuye.payments.domain.checks import ledger_check
from wuye.payments.enums import AttemptState
from wuye.payments.models import PaymentAttempt, Receipt
from wuye.portal.auth import SESSION_ACCOUNT, SESSION_HOUSEHOLD

LOCUSTFILE = Path(__file__).with_name("bench_http_locust.py")
CHUNK = 5000


def build(*, households: int, log) -> tuple[Community, list[tuple[str, int, str]]]:
    """The community and its signed-in owners: (session key, household pk, a receipt's token) each."""
    community = callbacks_bench.build(notifications=households, log=log)
    attempts = list(
        PaymentAttempt.objects.filter(community=community).order_by("pk").values_list("pk", "amount_fen")
    )
    paid_at = timezone.now() - datetime.timedelta(days=20)
    for chunk in sql.chunks(attempts):
        with transaction.atomic():
            payments_apply_many(
                successes=[Success(pk, amount, f"BENCH{pk:012d}") for pk, amount in chunk], paid_at=paid_at
            )
    log(f"  {len(attempts)} paid (one receipt each)")
    period = compute.add_months(billing_bench.PERIOD, 1)
    run = runs.run_preview(community=community, period=period, actor=None)
    runs.run_issue(run=run, actor=None)
    log(f"  bills of {period:%Y-%m} issued")
    household_pks = list(community.households.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        accounts = OwnerAccount.objects.bulk_create(
            [OwnerAccount(phone=f"19{community.pk:04d}{n:07d}") for n in range(len(household_pks))],
            batch_size=CHUNK,
        )
        if connection.vendor != "postgresql":
            accounts = list(
                OwnerAccount.objects.filter(phone__startswith=f"19{community.pk:04d}").order_by("pk")
            )
        HouseholdBinding.objects.bulk_create(
            [
                HouseholdBinding(
                    community=community,
                    account=account,
                    household_id=household,
                    source=BindingSource.INVITATION,
                )
                for account, household in zip(accounts, household_pks, strict=True)
            ],
            batch_size=CHUNK,
        )
    receipts = dict(Receipt.objects.filter(community=community).values_list("household_id", "token"))
    sessions = _sign_in(
        [
            {SESSION_ACCOUNT: account.pk, SESSION_HOUSEHOLD: household}
            for account, household in zip(accounts, household_pks, strict=True)
        ]
    )
    log(f"  {len(accounts)} owners bound and signed in")
    owners = [
        (session, household, receipts[household])
        for session, household in zip(sessions, household_pks, strict=True)
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    return community, owners


def _sign_in(contents: list[dict]) -> list[str]:
    """One portal session per content, as a login leaves it: in the table of the database backend at
    once, otherwise one by one through the configured engine."""
    from importlib import import_module

    from django.contrib.sessions.backends import db

    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not issubclass(store, db.SessionStore):
        keys = []
        for content in contents:
            session = store()
            session.update(content)
            session.create()
            keys.append(session.session_key)
        return keys
    expires = timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    keys = [get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789") for _ in contents]
    encode = store().encode
    for chunk in sql.chunks(list(zip(keys, contents, strict=True))):
        Session.objects.bulk_create(
            [
                Session(session_key=key, session_data=encode(content), expire_date=expires)
                for key, content in chunk
            ]
        )
    return keys


def _percentile(sorted_ms: list[float], share: float) -> float | None:
    if not sorted_ms:
        return None
    return round(sorted_ms[min(len(sorted_ms) - 1, int(share * len(sorted_ms)))], 1)


def _locust(*, user: str, base: str, users: int, seconds: int, data: Path, workdir: Path, log) -> dict:
    """Run locust headless for ``seconds`` with ``users`` of the class ``user``; their outcomes."""
    result = workdir / f"{user}.json"
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), user, "--headless",
        "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
        "--host", base, "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "30",
    ]  # fmt: skip
    log(f"  locust: {users} × {user} for {seconds} s")
    env = {**os.environ, "WUYE_BENCH_DATA": str(data), "WUYE_BENCH_RESULT": str(result)}
    with (workdir / f"{user}.log").open("w") as output:
        subprocess.run(command, env=env, check=False, stdout=output, stderr=output, cwd=workdir)  # noqa: S603
    if not result.exists():
        raise RuntimeError(
            f"locust ended without its figures:\n{(workdir / f'{user}.log').read_text()[-3000:]}"
        )
    found = json.loads(result.read_text())
    outcomes = found["outcomes"]
    if not outcomes:
        raise RuntimeError(f"locust made no request as {user}")
    first = min(started for started, _ms, _error, _name in outcomes)
    last = max(started + ms / 1000 for started, ms, _error, _name in outcomes)
    latencies = sorted(ms for _started, ms, _error, _name in outcomes)
    by_name = collections.defaultdict(list)
    for _started, ms, _error, name in outcomes:
        by_name[name].append(ms)
    for name, times in sorted(by_name.items()):
        times.sort()
        log(
            f"  {name}: {len(times)} requests, p50 {_percentile(times, 0.5)} ms, p99 {_percentile(times, 0.99)} ms"
        )
    errors = collections.Counter(error for _started, _ms, error, _name in outcomes if error)
    for error, count in errors.most_common(10):
        log(f"  {count} × {error}")
    return {
        "requests": len(outcomes),
        "errors": errors.total(),
        "rps": round(len(outcomes) / (last - first), 1),
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
        "max_ms": round(latencies[-1], 1),
        "payments": found["payments"],
    }


def bench_http(*, households: int, seconds: int, users: int, workers: int, seed: int, log) -> dict:
    from wuye.paysim.seed import paysim_accounts
    from wuye.paysim.server import PaySim

    log(f"building {households} households, their bills, receipts and owners ({connection.vendor})")
    started_build = time.perf_counter()
    community, owners = build(households=households, log=log)
    log(f"  built in {time.perf_counter() - started_build:.0f} s")
    random.Random(seed).shuffle(owners)
    household_pks = [household for _session, household, _receipt in owners]
    before = (
        PaymentAttempt.objects.filter(community=community)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    # The server serves static files as production does (WhiteNoise, from the collected manifest).
    call_command("collectstatic", interactive=False, verbosity=0)
    sim = PaySim(host="127.0.0.1", port=0).start()
    server, base = callbacks_bench.serve(
        workers, log, env={"DJANGO_SETTINGS_MODULE": "wuye.demo.bench_http_settings"}
    )
    try:
        wechat, _alipay = paysim_accounts(community, base_url=sim.base_url)
        wechat.notify_base_url = base
        wechat.save(update_fields=["notify_base_url"])
        with tempfile.TemporaryDirectory(prefix="wuye-bench-http-") as folder:
            workdir = Path(folder)
            data = workdir / "data.json"
            data.write_text(
                json.dumps(
                    {
                        "owners": owners,
                        "households": household_pks,
                        "host": "127.0.0.1",
                        "session_cookie": settings.SESSION_COOKIE_NAME,
                    }
                )
            )
            mix = _locust(
                user="Owner", base=base, users=users, seconds=seconds, data=data, workdir=workdir, log=log
            )
            sim.drain(timeout=30)
            bare = _locust(
                user="Bare",
                base=base,
                users=users,
                seconds=max(10, seconds // 5),
                data=data,
                workdir=workdir,
                log=log,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
        sim.stop()
    paid_now = PaymentAttempt.objects.filter(
        community=community, state=AttemptState.SUCCEEDED, pk__gt=before or 0
    ).count()
    differences = ledger_check(community=community)
    for difference in differences[:20]:
        log(f"  {difference}")
    return {
        "benchmark": "http",
        "database": connection.vendor,
        "households": households,
        "seconds": seconds,
        "users": users,
        "workers": workers,
        "requests": mix["requests"],
        "rps": mix["rps"],
        "p50_ms": mix["p50_ms"],
        "p99_ms": mix["p99_ms"],
        "max_ms": mix["max_ms"],
        "errors": mix["errors"],
        "payments_started": mix["payments"]["started"],
        "payments_seen_paid": mix["payments"]["receipt_shown"],
        "payments_applied": paid_now,
        "baseline_requests": bare["requests"],
        "baseline_rps": bare["rps"],
        "baseline_p99_ms": bare["p99_ms"],
        "baseline_errors": bare["errors"],
        "ratio": round(mix["rps"] / bare["rps"], 3) if bare["rps"] else None,
        "ledger_balanced": not differences,
        "community_id": community.pk,
    }


def print_result(result: dict, *, write) -> None:
    write(json.dumps(result, ensure_ascii=False))
