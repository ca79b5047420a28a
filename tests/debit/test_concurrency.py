"""A QR payment and the bank's result for the same bill line, at the same moment (PostgreSQL): the line
is paid once and the second money is kept as prepayment; with the row locks off the race shows (the
control), as the database refusing a line paid twice."""

import datetime
import hashlib

import pytest
from django.db import IntegrityError, OperationalError
from django.db.models import Sum

from tests.debit.factories import community_with_debit, mandated_household, result_of
from tests.payments.test_concurrency import _all_at_once, _meet, _postgres_only  # noqa: F401
from wuye.billing.models import BillLine
from wuye.debit.domain.batches import batch_build, batch_send
from wuye.debit.domain.results import result_settle
from wuye.ledger.enums import Account
from wuye.ledger.models import Posting
from wuye.payments import lock_objects
from wuye.payments.domain import bulk, payments
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.payments import attempt_create, order_create, payment_apply

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DAY = datetime.date(2026, 2, 25)


@pytest.mark.parametrize("locks", [True, False], ids=["locked", "control-without-locks"])
def test_a_qr_payment_racing_the_debit_of_the_same_line_is_collected_once(monkeypatch, locks):
    community = community_with_debit()
    household, _bills, _mandate = mandated_household(community, (12000,))
    line = BillLine.objects.get(household=household)
    qr = attempt_create(order=order_create(household=household, line_ids=[line.pk]), channel="wechat_native")
    batch = batch_send(
        batch=batch_build(
            company=community.company, communities=[community], cutoff_on=DAY, collection_on=DAY
        ),
        files_sha256="s" * 64,
    )
    result = result_of(batch, {1: ("success", "0000", False)})
    monkeypatch.setattr(lock_objects, "ROW_LOCKS", locks)
    meet = _meet(2)  # each side reads the line, then waits for the other (or for the lock)
    original_single, original_bulk = payments.open_lines_lock, bulk._locked_lines

    def single(*args, **kwargs):
        found = original_single(*args, **kwargs)
        meet()
        return found

    def many(*args, **kwargs):
        found = original_bulk(*args, **kwargs)
        meet()
        return found

    monkeypatch.setattr(payments, "open_lines_lock", single)
    monkeypatch.setattr(bulk, "_locked_lines", many)

    def work(which):
        try:
            if which == "qr":
                payment_apply(attempt=qr, amount_fen=12000)
            else:
                result_settle(
                    batch=batch, result=result, file_name="r", sha256=hashlib.sha256(b"r").hexdigest()
                )
        except OperationalError as error:  # a deadlock: the database broke the race up
            raise IntegrityError(str(error)) from error

    outcomes = _all_at_once(work, ["qr", "debit"])

    line.refresh_from_db()
    if locks:
        assert outcomes == ["done", "done"]
        assert line.paid_fen == 12000  # collected once for the bill …
        held = Posting.objects.filter(community=community, account=Account.PREPAYMENT).aggregate(
            t=Sum("amount_fen")
        )
        assert held["t"] == -12000  # … and the second 120 yuan kept for the owner as prepayment
        assert ledger_check(community=community) == []
    else:
        # Both read 120 yuan owed and both set out to pay it: the line's constraint (or a deadlock)
        # stops the second, so one of them fails instead of both succeeding.
        assert "refused by the database" in outcomes
        assert line.paid_fen == 12000
