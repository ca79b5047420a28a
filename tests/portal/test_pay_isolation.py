"""Every self-service pay page of an object answers 404 to a session that does not hold it: attempts
belong to the session that started them, tokens must be real. The owner isolation walk
(test_isolation.py) does not see these public routes, so this module walks them itself."""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import CommunityFactory, HouseholdRoomFactory
from tests.payments.factories import issue_bill
from tests.portal.conftest import log_in
from wuye.payments.domain.payments import order_create
from wuye.payments.models import PaymentAttempt
from wuye.portal.domain.queries import household_pay_token
from wuye.portal.views.pay import SESSION_PAY_ATTEMPTS


def pay_patterns():
    def walk(resolver, prefix=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, f"{prefix}{entry.namespace}:" if entry.namespace else prefix)
            elif isinstance(entry, URLPattern) and entry.name and entry.name.startswith("pay_"):
                yield f"{prefix}{entry.name}", sorted(entry.pattern.regex.groupindex)

    return [(name, args) for name, args in walk(get_resolver()) if name.startswith("portal:") and args]


def attempt_of(household):
    issue_bill(household, datetime.date(2026, 1, 1), [100])
    order = order_create(household=household)
    return PaymentAttempt.objects.create(
        community_id=household.community_id,
        order=order,
        household=household,
        channel="wechat_native",
        method="wechat",
        amount_fen=order.total_fen,
        state="pending",
        code_url="http://127.0.0.1:9/phone/x",
    )


@pytest.fixture
def setting(client, owner, household):
    """A logged-in owner of ``household`` whose session started one attempt; a neighbour's attempt in the
    same community and a household's attempt in another community."""
    own = attempt_of(household)
    log_in(client, owner.account)
    session = client.session
    session[SESSION_PAY_ATTEMPTS] = [own.pk]
    session.save()
    neighbour = HouseholdRoomFactory(household__community=household.community).household
    foreign = HouseholdRoomFactory(household__community=CommunityFactory()).household
    return {"own": own, "neighbour": attempt_of(neighbour), "other community": attempt_of(foreign)}


FOREIGN_TOKENS = {"token": "A" * 22}


def test_pay_pages_have_object_routes():
    assert {name for name, _args in pay_patterns()} == {
        "portal:pay_entry",
        "portal:pay_household",
        "portal:pay_attempt",
        "portal:pay_attempt_status",
        "portal:pay_receipt_pdf",
    }


def test_every_pay_page_of_an_object_not_held_answers_404(client, setting):
    checked = 0
    for variant in ("neighbour", "other community"):
        attempt = setting[variant]
        for name, args in pay_patterns():
            kwargs = {"attempt_pk": attempt.pk, **FOREIGN_TOKENS}
            if name == "portal:pay_household":
                real = household_pay_token(attempt.household)
                kwargs["token"] = real[:-3] + ("xyz" if not real.endswith("xyz") else "abc")
            url = reverse(name, kwargs={arg: kwargs[arg] for arg in args})
            state = list(PaymentAttempt.objects.order_by("pk").values_list("state", "queried_at"))
            assert client.get(url).status_code == 404, f"{variant}: GET {url} ({name})"
            assert client.post(url, {"answer": "0000", "room": 1}).status_code in (404, 405), url
            assert list(PaymentAttempt.objects.order_by("pk").values_list("state", "queried_at")) == state
            checked += 1
    assert checked == 2 * len(pay_patterns())


def test_the_sessions_own_attempt_answers(client, setting):
    own = setting["own"]
    assert client.get(reverse("portal:pay_attempt", kwargs={"attempt_pk": own.pk})).status_code == 200
    assert client.get(reverse("portal:pay_attempt_status", kwargs={"attempt_pk": own.pk})).status_code == 200


def test_another_session_gets_404_for_the_same_attempt(client, setting, django_user_model):
    from django.test import Client

    stranger = Client()
    own = setting["own"]
    assert stranger.get(reverse("portal:pay_attempt", kwargs={"attempt_pk": own.pk})).status_code == 404
    assert (
        stranger.get(reverse("portal:pay_attempt_status", kwargs={"attempt_pk": own.pk})).status_code == 404
    )
