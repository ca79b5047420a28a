"""The public notify endpoint keeps only what can be a notification: a body over the size limit is
answered 413 unread, a request not shaped like the channel's notification is refused unstored, and a
client address with too many refused requests gets only genuinely signed notifications stored."""

import datetime
import io
import json

import pytest
from django.test import RequestFactory
from django.urls import reverse

from tests.payments.factories import issue_bill
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from wuye.billing.models import BillLine
from wuye.payments.domain.payments import attempt_create, order_create
from wuye.payments.limits import NOTIFY_REFUSED_PER_SOURCE
from wuye.payments.models import ChannelEvent, PaymentAttempt
from wuye.payments.views import channel_notify
from wuye.paysim.seed import paysim_accounts

JAN = datetime.date(2026, 1, 1)
ATTACKER, CHANNEL = "203.0.113.9", "198.51.100.7"


@pytest.fixture
def attempt(household, paysim):  # noqa: F811
    paysim_accounts(household.community, base_url=paysim.base_url)
    issue_bill(household, JAN, [12345])
    return attempt_create(order=order_create(household=household), channel="wechat_native")


def path(method, community_id):
    return reverse("payments_notify:notify", kwargs={"method": method, "community_pk": community_id})


def post(client, method, community_id, headers, body, address=ATTACKER):
    return client.post(
        path(method, community_id),
        data=body,
        content_type=headers.get("Content-Type", "application/json"),
        headers={k: v for k, v in headers.items() if k.lower() != "content-type"},
        REMOTE_ADDR=address,
    )


def signed(paysim, attempt):  # noqa: F811
    _url, headers, body = paysim.notification_for(
        attempt.out_trade_no, method=attempt.method, amount_fen=attempt.amount_fen
    )
    return headers, body


def forged(paysim, attempt):  # noqa: F811
    """Shaped like a notification, the signature does not match the body."""
    headers, body = signed(paysim, attempt)
    return headers, body.replace(b"{", b'{"x":1,', 1)


def test_a_body_over_the_limit_is_answered_413_and_not_stored(client, attempt, paysim, settings):  # noqa: F811
    headers, body = signed(paysim, attempt)
    padded = json.dumps({**json.loads(body), "padding": "x" * (2 * 1024 * 1024)}).encode()

    response = post(client, "wechat", attempt.community_id, headers, padded)

    assert response.status_code == 413
    assert ChannelEvent.objects.count() == 0
    settings.NOTIFY_MAX_BYTES = len(body) - 1  # the limit is a setting: one byte short refuses a real one
    assert post(client, "wechat", attempt.community_id, headers, body).status_code == 413
    assert ChannelEvent.objects.count() == 0


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(attempt):
    wire = io.BytesIO(b"{}" * 100_000)  # what a server hands the application to read the body from
    request = RequestFactory().generic(
        "POST",
        path("wechat", attempt.community_id),
        content_type="application/json",
        **{"wsgi.input": wire, "CONTENT_LENGTH": str(len(wire.getvalue()))},
    )

    response = channel_notify(request, method="wechat", community_pk=attempt.community_id)

    assert (response.status_code, wire.tell()) == (413, 0)  # not one byte was read
    assert ChannelEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("method", "headers", "body"),
    [
        ("wechat", {"Content-Type": "application/json"}, b'{"hello": "world"}'),
        ("wechat", {"Content-Type": "text/plain"}, b"\x00\xff" * 100),
        ("alipay", {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1&b=2"),
        ("alipay", {"Content-Type": "application/json"}, b'{"notify_id": "1", "sign": "x"}'),
    ],
)
def test_what_cannot_be_a_notification_is_refused_and_not_stored(client, attempt, method, headers, body):
    response = post(client, method, attempt.community_id, headers, body)

    assert response.status_code == 400
    assert ChannelEvent.objects.count() == 0


def test_a_wechat_body_without_the_signature_headers_is_not_stored(client, attempt, paysim):  # noqa: F811
    headers, body = signed(paysim, attempt)
    del headers["Wechatpay-Signature"]

    assert post(client, "wechat", attempt.community_id, headers, body).status_code == 400
    assert ChannelEvent.objects.count() == 0


def test_a_well_shaped_notification_that_does_not_verify_is_still_kept_for_audit(client, attempt, paysim):  # noqa: F811
    headers, body = forged(paysim, attempt)

    response = post(client, "wechat", attempt.community_id, headers, body)

    assert response.status_code == 400
    event = ChannelEvent.objects.get()
    assert (event.outcome, event.body) == ("rejected", body.decode())
    assert event.reason.startswith("signature")


def test_a_source_past_the_refusal_limit_stores_no_more_junk_but_a_genuine_notification(
    client,
    attempt,
    paysim,  # noqa: F811
):
    for _ in range(NOTIFY_REFUSED_PER_SOURCE):
        headers, body = forged(paysim, attempt)
        assert post(client, "wechat", attempt.community_id, headers, body).status_code == 400
    assert ChannelEvent.objects.filter(outcome="rejected").count() == NOTIFY_REFUSED_PER_SOURCE

    headers, body = forged(paysim, attempt)
    assert post(client, "wechat", attempt.community_id, headers, body).status_code == 429
    assert post(client, "wechat", attempt.community_id + 1000, headers, body).status_code == 429
    assert ChannelEvent.objects.count() == NOTIFY_REFUSED_PER_SOURCE  # nothing more was stored
    headers, body = forged(paysim, attempt)
    assert post(client, "wechat", attempt.community_id, headers, body, CHANNEL).status_code == 400
    assert ChannelEvent.objects.count() == NOTIFY_REFUSED_PER_SOURCE + 1  # another address is not limited

    headers, body = signed(paysim, attempt)
    response = post(client, "wechat", attempt.community_id, headers, body)  # genuine, from the limited one

    assert response.status_code == 200
    attempt.refresh_from_db()
    assert attempt.state == "succeeded" and attempt.is_applied
    assert ChannelEvent.objects.get(outcome="applied").attempt == attempt


def test_a_burst_of_genuine_notifications_is_never_limited(client, household, paysim):  # noqa: F811
    paysim_accounts(household.community, base_url=paysim.base_url)
    for index in range(NOTIFY_REFUSED_PER_SOURCE + 5):
        issue_bill(household, JAN.replace(year=2000 + index), [100 + index])
    attempts = [
        attempt_create(order=order_create(household=household, line_ids=[pk]), channel="wechat_native")
        for pk in BillLine.objects.order_by("pk").values_list("pk", flat=True)
    ]

    statuses = []
    for attempt in attempts:
        for _delivery in range(2):  # each delivered twice, as a channel's retries come
            headers, body = signed(paysim, attempt)
            statuses.append(post(client, "wechat", attempt.community_id, headers, body, CHANNEL).status_code)

    assert statuses == [200] * (2 * len(attempts))
    assert PaymentAttempt.objects.filter(state="succeeded").count() == len(attempts)
    assert ChannelEvent.objects.filter(outcome="applied").count() == len(attempts)
    assert ChannelEvent.objects.filter(outcome="duplicate").count() == len(attempts)
