"""Self-service pay pages (自助缴费) up to the channel: identification, its rate limit, the bill page,
the household link, the logged-in owner's entry and the session window."""

import datetime
import time

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.urls import reverse

from tests.factories import CommunityFactory, HouseholdRoomFactory, PersonFactory, RoomFactory
from tests.payments.factories import issue_bill
from tests.portal.conftest import log_in
from wuye.core.models import AuditLog
from wuye.households.enums import PersonKind
from wuye.payments.models import PaymentAttempt, PaymentOrder
from wuye.portal.domain.pay import FAILS_PER_ROOM, FAILS_PER_ROOM_ALL, _fail_keys
from wuye.portal.domain.poster import payposter_ensure
from wuye.portal.domain.queries import household_pay_token, household_pay_url, pay_bills
from wuye.portal.views.pay import SESSION_PAY

JAN, FEB = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # the rate limit counts in the cache, which outlives a test
    yield
    cache.clear()


@pytest.fixture
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def home(household):
    """The household fixture (王小明, 13912345678) with a January bill of two lines and a February bill."""
    issue_bill(household, JAN, [12345, 500])
    issue_bill(household, FEB, [20000])
    return household


@pytest.fixture
def poster(community):
    return payposter_ensure(community=community)


def entry_url(poster):
    return reverse("portal:pay_entry", kwargs={"token": poster.token})


def room_of(household):
    return household.room_links.get().room


def identify(client, poster, room, answer):
    return client.post(entry_url(poster), {"room": room.pk, "answer": answer})


def nothing_written():
    return (AuditLog.objects.count(), PaymentOrder.objects.count(), PaymentAttempt.objects.count())


def test_entry_lists_rooms_of_the_chosen_unit(client, home, poster):
    room = room_of(home)
    room.number = "1001"
    room.save()
    RoomFactory(unit=room.unit, number="102")
    response = client.get(entry_url(poster), {"building": room.building_id, "unit": room.unit_id})
    assert response.status_code == 200
    assert [r.number for r in response.context["rooms"]] == ["102", "1001"]
    assert response.context["building_pk"] == room.building_id
    assert response.context["room"] is None


def test_entry_with_a_room_of_another_community_shows_no_room(client, home, poster):
    foreign = HouseholdRoomFactory(household__community=CommunityFactory()).room
    response = client.get(entry_url(poster), {"room": foreign.pk})
    assert response.context["room"] is None
    assert b'id="pay-confirm"' not in response.content


def test_entry_with_an_unknown_token_answers_404(client, home, poster):
    assert client.get("/m/pay/" + "x" * 22 + "/").status_code == 404


def test_identify_with_phone_last_four_remembers_only_that_household(client, home, poster):
    response = identify(client, poster, room_of(home), "5678")
    assert response.status_code == 302
    assert response.url == reverse("portal:pay_bills")
    assert client.session[SESSION_PAY]["pk"] == home.pk
    assert client.session[SESSION_PAY]["until"] > time.time() + 29 * 60


def test_identify_with_the_owners_name(client, home, poster):
    assert identify(client, poster, room_of(home), " 王小明 ").status_code == 302
    assert client.session[SESSION_PAY]["pk"] == home.pk


def test_identify_with_a_tenants_name_is_not_enough(english, home, poster):
    PersonFactory(household=home, name="李租客", phone="13600001111", kind=PersonKind.TENANT)
    response = identify(english, poster, room_of(home), "李租客")
    assert response.status_code == 200
    assert SESSION_PAY not in english.session
    # ...but the last four digits of the tenant's registered phone are.
    assert identify(english, poster, room_of(home), "1111").status_code == 302


def test_identify_wrong_answer_says_only_not_matched_and_writes_nothing(english, home, poster):
    before = nothing_written()
    response = identify(english, poster, room_of(home), "0000")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Not matched. Check the room and try again."]
    assert SESSION_PAY not in english.session
    assert nothing_written() == before


def test_identify_a_room_without_household_says_the_same(english, home, poster):
    empty = RoomFactory(unit=room_of(home).unit, number="999")
    response = identify(english, poster, empty, "5678")
    assert response.context["form"].non_field_errors() == ["Not matched. Check the room and try again."]


def test_identify_a_moved_out_person_does_not_count(english, home, poster):
    home.people.update(moved_in_on=datetime.date(2020, 1, 1), moved_out_on=datetime.date(2025, 1, 1))
    assert identify(english, poster, room_of(home), "5678").status_code == 200
    assert SESSION_PAY not in english.session


def test_identify_is_refused_after_five_failures_even_with_the_right_answer(english, home, poster):
    room = room_of(home)
    for _try in range(FAILS_PER_ROOM):
        assert identify(english, poster, room, "0000").status_code == 200
    before = nothing_written()
    response = identify(english, poster, room, "5678")
    assert response.status_code == 429
    assert response.context["form"].non_field_errors() == ["Too many tries. Please try again in 15 minutes."]
    assert SESSION_PAY not in english.session
    assert nothing_written() == before


def test_rate_limit_is_per_client_address_and_room(english, home, poster):
    room = room_of(home)
    for _try in range(FAILS_PER_ROOM):
        identify(english, poster, room, "0000")
    # Another address still may try this room.
    response = english.post(entry_url(poster), {"room": room.pk, "answer": "5678"}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 302


def test_rate_limit_counts_each_client_behind_the_trusted_proxy(english, home, poster, settings):
    """Behind the proxy every owner connects from its address: the limit counts the forwarded client."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    room = room_of(home)
    for _try in range(FAILS_PER_ROOM):
        english.post(
            entry_url(poster), {"room": room.pk, "answer": "0000"}, HTTP_X_FORWARDED_FOR="203.0.113.1"
        )

    refused = english.post(
        entry_url(poster), {"room": room.pk, "answer": "5678"}, HTTP_X_FORWARDED_FOR="203.0.113.1"
    )
    other = english.post(
        entry_url(poster), {"room": room.pk, "answer": "5678"}, HTTP_X_FORWARDED_FOR="203.0.113.2"
    )

    assert (refused.status_code, other.status_code) == (429, 302)


def test_rate_limit_ignores_a_forwarded_header_from_an_untrusted_peer(english, home, poster, settings):
    settings.TRUSTED_PROXIES = []
    room = room_of(home)
    for number in range(FAILS_PER_ROOM):
        english.post(
            entry_url(poster), {"room": room.pk, "answer": "0000"}, HTTP_X_FORWARDED_FOR=f"1.2.3.{number}"
        )

    response = english.post(
        entry_url(poster), {"room": room.pk, "answer": "5678"}, HTTP_X_FORWARDED_FOR="1.2.3.99"
    )

    assert response.status_code == 429


def test_rate_limit_counts_an_ipv6_client_by_its_64(english, home, poster):
    room = room_of(home)
    for number in range(FAILS_PER_ROOM):
        english.post(
            entry_url(poster), {"room": room.pk, "answer": "0000"}, REMOTE_ADDR=f"2001:db8:1:2::{number + 1}"
        )

    same = english.post(
        entry_url(poster), {"room": room.pk, "answer": "5678"}, REMOTE_ADDR="2001:db8:1:2::ffff"
    )
    other = english.post(
        entry_url(poster), {"room": room.pk, "answer": "5678"}, REMOTE_ADDR="2001:db8:1:3::1"
    )

    assert (same.status_code, other.status_code) == (429, 302)


def test_rate_limit_per_room_holds_against_rotating_addresses(english, home, poster):
    """Five tries per address would be 10,000 tries from 2,000 addresses: the room counts them all."""
    room = room_of(home)
    for number in range(FAILS_PER_ROOM_ALL):
        english.post(
            entry_url(poster), {"room": room.pk, "answer": "0000"}, REMOTE_ADDR=f"198.51.100.{number}"
        )
    before = nothing_written()

    response = english.post(
        entry_url(poster), {"room": room.pk, "answer": "5678"}, REMOTE_ADDR="203.0.113.50"
    )

    assert response.status_code == 429
    assert response.context["form"].non_field_errors() == [
        "Too many wrong answers for this room today. Pay from the link in your bill notice or in the owner"
        " portal, or try again tomorrow."
    ]
    assert SESSION_PAY not in english.session
    assert nothing_written() == before
    other = HouseholdRoomFactory(  # a number RoomFactory's sequence never gives (it did give 102)
        household__community=home.community, room__unit=room.unit, room__number="3101"
    )
    PersonFactory(household=other.household, name="李四", phone="13700001234")
    assert identify(english, poster, other.room, "1234").status_code == 302


def test_bills_page_lists_open_lines_with_exact_amounts_all_ticked(client, home, poster):
    identify(client, poster, room_of(home), "5678")
    response = client.get(reverse("portal:pay_bills"))
    assert response.status_code == 200
    bills = response.context["bills"]
    assert [b.bill.period for b in bills] == [JAN, FEB]
    assert [[line.outstanding_fen for line in b.lines] for b in bills] == [[12345, 500], [20000]]
    assert [b.outstanding_fen for b in bills] == [12845, 20000]
    assert response.context["chosen_fen"] == 32845
    html = response.content.decode()
    assert "¥123.45" in html and "¥5.00" in html and "¥200.00" in html
    assert 'id="pay-total">328.45<' in html
    assert html.count('name="lines"') == 3
    assert html.count(" checked") == 3


def test_bills_page_without_channels_offers_no_payment(client, home, poster):
    identify(client, poster, room_of(home), "5678")
    response = client.get(reverse("portal:pay_bills"))
    assert response.context["methods"] == []
    assert b'id="pay-unavailable"' in response.content
    before = nothing_written()
    lines = [line.pk for b in response.context["bills"] for line in b.lines]
    response = client.post(reverse("portal:pay_bills"), {"lines": lines, "method": "wechat"})
    assert response.status_code == 200
    assert nothing_written() == before


def test_bills_query_leaves_out_paid_and_void_lines(home):
    bills = pay_bills(household=home)
    first = bills[0].lines[0]
    type(first).objects.filter(pk=first.pk).update(paid_fen=first.amount_fen)
    second = bills[0].lines[1]
    type(second).objects.filter(pk=second.pk).update(is_void=True)
    assert [[line.outstanding_fen for line in b.lines] for b in pay_bills(household=home)] == [[20000]]


def test_bills_page_without_identification_has_ended(client, home):
    response = client.get(reverse("portal:pay_bills"))
    assert response.status_code == 403
    assert b'id="pay-expired"' in response.content


def test_bills_page_after_thirty_minutes_has_ended(client, home, poster):
    identify(client, poster, room_of(home), "5678")
    session = client.session
    session[SESSION_PAY] = {**session[SESSION_PAY], "until": time.time() - 1}
    session.save()
    assert client.get(reverse("portal:pay_bills")).status_code == 403
    assert SESSION_PAY not in client.session


def test_household_link_opens_its_bills(client, home):
    response = client.get(reverse("portal:pay_household", kwargs={"token": household_pay_token(home)}))
    assert response.status_code == 302
    assert client.session[SESSION_PAY]["pk"] == home.pk
    assert client.get(reverse("portal:pay_bills")).context["chosen_fen"] == 32845


def test_household_pay_url_is_absolute_on_the_public_address(home, settings):
    settings.PUBLIC_URL = "https://wuye.example.com/"
    url = household_pay_url(home)
    assert url == f"https://wuye.example.com/m/pay/h/{household_pay_token(home)}/"
    assert household_pay_token(home).startswith(f"{home.community_id}-{home.pk}-0-")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature changed
        lambda token: token.replace("-", "-1", 1),  # another household, same signature
        lambda token: "9" + token,  # another community
    ],
)
def test_household_link_with_a_bad_token_answers_404(client, home, mangle):
    token = mangle(household_pay_token(home))
    response = client.get(f"/m/pay/h/{token}/")
    assert response.status_code == 404
    assert SESSION_PAY not in client.session


def test_household_token_of_another_community_names_nothing(client, home):
    foreign = HouseholdRoomFactory(household__community=CommunityFactory()).household
    token = household_pay_token(foreign)
    forged = token.replace(f"{foreign.community_id}-", f"{home.community_id}-", 1)
    assert forged != token
    assert client.get(f"/m/pay/h/{forged}/").status_code == 404


def test_logged_in_owner_pays_the_current_household_from_home(client, owner, home):
    log_in(client, owner.account)
    page = client.get(reverse("portal:home"))
    assert reverse("portal:pay_mine") in page.content.decode()
    response = client.get(reverse("portal:pay_mine"))
    assert response.status_code == 302
    assert client.session[SESSION_PAY]["pk"] == home.pk
    assert client.get(reverse("portal:pay_bills")).context["chosen_fen"] == 32845


def test_the_session_key_changes_when_the_session_gains_a_household_only(client, owner, home):
    log_in(client, owner.account)
    signed_in = client.session.session_key
    client.get(reverse("portal:pay_mine"))
    gained = client.session.session_key
    assert gained != signed_in  # the session now pays for a household: a new key (session fixation)
    client.get(reverse("portal:pay_mine"))
    assert client.session.session_key == gained  # the same household again: nothing gained, same key
    assert client.session[SESSION_PAY]["pk"] == home.pk
    session = client.session
    session[SESSION_PAY] = {**session[SESSION_PAY], "until": time.time() - 1}
    session.save()
    client.get(reverse("portal:pay_mine"))
    assert client.session.session_key != gained  # held no longer (expired): gained again, a new key
    first, gained = gained, client.session.session_key
    other = HouseholdRoomFactory(household__community=home.community).household
    client.get(f"/m/pay/h/{household_pay_token(other)}/")
    assert client.session.session_key != gained  # another household: a new key again
    assert Session.objects.filter(session_key__in=[signed_in, first, gained]).count() == 0


def test_pay_mine_without_login_goes_to_login(client, home):
    response = client.get(reverse("portal:pay_mine"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))


def test_the_try_counter_is_shared_by_every_web_process_through_redis(
    english, home, poster, redis_url, settings
):
    location = redis_url.rsplit("/", 1)[0] + "/1"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
    }
    other_process = RedisCache(location, {})  # a client of its own, as another web process has
    other_process.clear()
    room = room_of(home)
    for _try in range(FAILS_PER_ROOM):
        identify(english, poster, room, "0000")

    room_key, address_key, all_key = _fail_keys("127.0.0.1", room.pk)
    assert [other_process.get(key) for key in (room_key, address_key, all_key)] == [FAILS_PER_ROOM] * 3
    assert identify(english, poster, room, "5678").status_code == 429
    other_process.clear()
