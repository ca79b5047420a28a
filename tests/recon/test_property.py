"""A seeded property test: random days of QR payments through WeChat Pay and Alipay, with lost
notifications, payments the channel never had and payments under numbers nobody issued; each day is
reconciled (with two more days for the rechecks) and every difference settled the natural way. Then the
books agree with the channels to the fen: each channel's clearing account holds what its bills say it
collected, suspense is empty, and ``wuye ledger check`` is green after every step."""

import random

import pytest
from django.db.models import Sum

from tests.factories import UserFactory
from tests.recon.test_runs import _household, back, paid, stranger
from wuye.core.enums import Role
from wuye.ledger.models import Posting
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.voids import receipt_void_approve
from wuye.paysim.seed import paysim_accounts
from wuye.recon.domain.actions import difference_book, difference_reverse, difference_suspend, suspense_clear
from wuye.recon.domain.runs import recon_fetch
from wuye.recon.enums import DifferenceKind, Resolution
from wuye.recon.models import Difference

DAYS = 3


def balance(account: str) -> int:
    return Posting.objects.filter(account=account).aggregate(t=Sum("amount_fen"))["t"] or 0


@pytest.mark.parametrize("seed", [1, 2])
def test_books_agree_with_the_channels_after_reconciling_random_days(community, paysim, seed):
    rng = random.Random(seed)
    paysim.faults.update(drop=True)
    paysim_accounts(community, base_url=paysim.base_url)
    accountant = UserFactory(roles=[(community, Role.ACCOUNTANT)])
    supervisor = UserFactory(roles=[(community, Role.SUPERVISOR)])
    first = DAYS + 2  # the oldest day, DAYS + 2 days ago: the last two days are the rechecks
    expected = {"chan_only": 0, "ours_only": 0}
    for offset in range(first, first - DAYS, -1):
        day = back(offset)
        for index in range(rng.randint(1, 4)):
            method = rng.choice(["wechat", "alipay"])
            fault = rng.choice(["none", "none", "lost", "missing", "stranger"])
            attempt = paid(
                paysim, _household(community, rng.randint(1, 50000)), method, day, query=fault != "lost"
            )
            if fault == "missing":
                paysim.orders.pop((method, attempt.out_trade_no))
                expected["ours_only"] += 1
            if fault == "stranger":
                stranger(paysim, method, f"X{seed}{offset}{index}", rng.randint(1, 9999), day, 3)
            if fault in ("lost", "stranger"):
                expected["chan_only"] += 1
    for offset in range(first, 0, -1):
        for method in ("wechat", "alipay"):
            recon_fetch(community=community, method=method, day=back(offset))
        assert ledger_check(community=community) == []

    found = Difference.objects.all()
    assert found.filter(kind=DifferenceKind.CHANNEL_ONLY).count() == expected["chan_only"]
    assert found.filter(kind=DifferenceKind.OURS_ONLY).count() == expected["ours_only"]
    assert found.exclude(kind__in=(DifferenceKind.CHANNEL_ONLY, DifferenceKind.OURS_ONLY)).count() == 0
    for difference in found.order_by("pk"):
        if difference.kind == DifferenceKind.CHANNEL_ONLY and difference.attempt_id:
            difference_book(difference=difference, actor=accountant)
        elif difference.kind == DifferenceKind.CHANNEL_ONLY:
            suspended = difference_suspend(difference=difference, reason="不明来款", actor=accountant)
            suspense_clear(
                difference=suspended, resolution=Resolution.WRITTEN_OFF, reason="无法退回", actor=accountant
            )
        else:
            difference_reverse(difference=difference, reason="渠道无此款", actor=accountant)
            receipt_void_approve(receipt=difference.attempt.receipt, actor=supervisor)
        assert ledger_check(community=community) == []

    for method, account in (("wechat", "clearing_wechat"), ("alipay", "clearing_alipay")):
        at_channel = sum(order.amount_fen for (m, _no), order in paysim.orders.items() if m == method)
        assert balance(account) == at_channel, method
    assert balance("suspense") == 0
    assert Difference.objects.filter(state="open").count() == 0
