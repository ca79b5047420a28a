"""The shared cache (WUYE_CACHE_URL) while Redis is down: pages that count there keep working and keep
counting, in the process's memory; a use of Redis that has no such fallback answers 503, not 500."""

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.test import Client
from django.urls import reverse

from tests.conftest import free_port
from wuye.portal.domain.pay import FAILS_PER_ROOM
from wuye.portal.domain.poster import payposter_ensure

FALLBACK = "wuye.core.cache.RedisCacheWithFallback"
OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}  # as wuye.settings sets them


def closed_redis() -> str:
    return f"redis://127.0.0.1:{free_port()}/1"  # nobody listens there


def identify(client, household, answer):
    poster = payposter_ensure(community=household.community)
    room = household.room_links.get().room
    url = reverse("portal:pay_entry", kwargs={"token": poster.token})
    return client.post(url, {"room": room.pk, "answer": answer})


def test_the_pay_page_still_counts_failed_tries_while_redis_is_down(client, household, settings):
    settings.CACHES = {"default": {"BACKEND": FALLBACK, "LOCATION": closed_redis(), "OPTIONS": OPTIONS}}

    statuses = [identify(client, household, "0000").status_code for _try in range(FAILS_PER_ROOM)]

    assert statuses == [200] * FAILS_PER_ROOM
    refused = identify(client, household, "5678")  # the right answer, after too many tries
    assert refused.status_code == 429
    assert "尝试次数过多" in refused.content.decode()


def test_the_cache_uses_redis_while_it_answers(redis_url, settings):
    location = redis_url.rsplit("/", 1)[0] + "/2"
    settings.CACHES = {"default": {"BACKEND": FALLBACK, "LOCATION": location, "OPTIONS": OPTIONS}}
    other_process = RedisCache(location, {})
    other_process.clear()

    cache.set("tries", 1)
    cache.incr("tries")

    assert other_process.get("tries") == 2
    other_process.clear()


def test_a_use_of_redis_without_a_fallback_answers_503_when_it_is_down(household, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": closed_redis()}
    }

    response = identify(Client(raise_request_exception=False), household, "0000")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "服务暂时不可用，请稍候一分钟再试。" in response.content.decode()
