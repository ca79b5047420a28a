"""The session engine (wuye.core.sessions) reads Django's session table by one fixed statement with the
conditions of Django's own store: the key, and not expired."""

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from wuye.core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_the_configured_engine_is_ours():
    assert settings.SESSION_ENGINE == "wuye.core.sessions"


def test_a_live_session_reads_as_djangos_store_reads_it():
    written = DjangoStore()
    written.update({"wuye_owner": 7, "wuye_owner_household": 11})
    written.create()

    ours = SessionStore(written.session_key)

    assert dict(ours.items()) == {"wuye_owner": 7, "wuye_owner_household": 11}
    assert ours.session_key == written.session_key
    assert dict(DjangoStore(written.session_key).items()) == dict(ours.items())


def test_an_expired_or_unknown_session_is_empty_and_forgets_its_key():
    written = DjangoStore()
    written["wuye_owner"] = 7
    written.create()
    Session.objects.filter(session_key=written.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    expired = SessionStore(written.session_key)
    unknown = SessionStore("nosuchsessionkey0123456789abcdef")

    assert dict(expired.items()) == {} and expired.session_key is None
    assert dict(unknown.items()) == {} and unknown.session_key is None
    # Reading changed nothing: the expired row is still there, untouched, and no row was added.
    assert Session.objects.count() == 1
    assert Session.objects.get().session_key == written.session_key


def test_a_change_is_saved_under_the_same_key():
    store = SessionStore()
    store["wuye_owner"] = 3
    store.create()
    again = SessionStore(store.session_key)
    again["wuye_owner_household"] = 5
    again.save()

    assert dict(SessionStore(store.session_key).items()) == {"wuye_owner": 3, "wuye_owner_household": 5}
    assert Session.objects.count() == 1
