"""Staff password logins are throttled per account and per address: locks, refusals, lifts, audit."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from tests.factories import CommunityFactory, UserFactory, staff
from wuye.core.domain.logins import address_key, lock_length, login_fail
from wuye.core.domain.queries import login_locked_until
from wuye.core.enums import Role
from wuye.core.models import AuditLog, LoginThrottle

pytestmark = pytest.mark.django_db

RIGHT = "pw-123456"  # tests.factories.UserFactory's password
OFFICE = "203.0.113.7"
HOME = "198.51.100.9"


@pytest.fixture(autouse=True)
def _fast_hashes(settings):
    """Hundreds of password checks: a fast hasher, as the service and notices tests use."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def log_in(client, username, password, address=OFFICE, url=None):
    return client.post(
        url or reverse("console:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def error_codes(response) -> list[str]:
    return [error.code for error in response.context["form"].non_field_errors().as_data()]


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, community):
    user = staff(community)
    for _ in range(4):
        assert error_codes(log_in(client, user.username, "wrong")) == ["invalid_login"]
    fifth = log_in(client, user.username, "wrong")
    assert error_codes(fifth) == ["locked"]

    response = log_in(client, user.username, RIGHT)

    assert response.status_code == 200
    assert error_codes(response) == ["locked"]
    assert "登录失败次数过多" in response.content.decode()
    assert not logged_in(client)
    user.refresh_from_db()
    assert user.last_login is None
    lock = LoginThrottle.objects.get(kind="account", key=user.username)
    assert (lock.refused, lock.lockouts, lock.failures) == (1, 1, 0)
    assert lock.locked_until > timezone.now() + timedelta(minutes=14)
    actions = list(AuditLog.objects.order_by("pk").values_list("action", "object_pk"))
    assert actions == [("core.login.failed", user.pk)] * 5 + [("core.login.locked", user.pk)]
    assert AuditLog.objects.filter(action="core.login.failed").first().changes == {
        "username": user.username,
        "client_address": OFFICE,
    }


def test_lock_refuses_from_any_address(client, community):
    user = staff(community)
    for _ in range(5):
        log_in(client, user.username, "wrong", address=OFFICE)
    assert error_codes(log_in(client, user.username, RIGHT, address=HOME)) == ["locked"]
    assert not logged_in(client)


def test_administrator_lifts_the_lock_and_the_right_password_logs_in(client, community):
    user = staff(community)
    administrator = staff(community)
    for _ in range(5):
        log_in(client, user.username, "wrong")
    lock = LoginThrottle.objects.get(kind="account", key=user.username)
    client.force_login(administrator)
    page = client.get(reverse("console:lockouts"))
    assert [row.pk for row in page.context["locks"]] == [lock.pk]

    response = client.post(reverse("console:lockout_lift", args=[lock.pk]))

    assert response.status_code == 302
    assert not LoginThrottle.objects.filter(kind="account", key=user.username).exists()
    entry = AuditLog.objects.get(action="core.login.unlocked")
    assert (entry.actor, entry.community_id, entry.object_pk) == (administrator, community.pk, user.pk)
    assert entry.changes["lock_key"] == user.username
    client.logout()
    assert log_in(client, user.username, RIGHT).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_right_password_clears_the_accounts_count(client, community):
    user = staff(community)
    for _ in range(4):
        log_in(client, user.username, "wrong")
    assert log_in(client, user.username, RIGHT).status_code == 302
    client.logout()
    for _ in range(4):
        log_in(client, user.username, "wrong")
    assert log_in(client, user.username, RIGHT).status_code == 302
    assert not LoginThrottle.objects.filter(kind="account").exists()


def test_twenty_failures_from_one_address_lock_it_for_every_account(client, community):
    """Four guesses at each of five accounts stay under the account limit, not under the address's."""
    victims = [staff(community) for _ in range(5)]
    for victim in victims:
        for _ in range(4):
            log_in(client, victim.username, "wrong")
    assert not LoginThrottle.objects.filter(kind="account", locked_until__isnull=False).exists()
    assert LoginThrottle.objects.get(kind="address", key=OFFICE).locked_until is not None
    bystander = staff(community)

    refused = log_in(client, bystander.username, RIGHT)

    assert error_codes(refused) == ["locked"]
    assert not logged_in(client)
    assert LoginThrottle.objects.get(kind="address", key=OFFICE).refused == 1
    # Elsewhere, the same accounts log in: the lock is the address's, not theirs.
    assert log_in(client, victims[0].username, RIGHT, address=HOME).status_code == 302


def test_unknown_usernames_count_and_lock_like_real_ones(client, db):
    for _ in range(5):
        log_in(client, "nobody", "wrong")
    assert error_codes(log_in(client, "nobody", "whatever", address=HOME)) == ["locked"]
    assert AuditLog.objects.filter(action="core.login.locked", object_pk=None).count() == 1


def test_django_admin_login_is_throttled_too(client, db):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(5):
        log_in(client, superuser.username, "wrong", url=url)

    response = log_in(client, superuser.username, RIGHT, url=url)

    assert response.status_code == 200
    assert error_codes(response) == ["locked"]
    assert not logged_in(client)


def test_failures_outside_the_window_do_not_count(community):
    user = staff(community)
    start = timezone.now()
    for minute in range(4):
        login_fail(username=user.username, address=OFFICE, now=start + timedelta(minutes=minute))
    login_fail(username=user.username, address=OFFICE, now=start + timedelta(minutes=16))
    assert login_locked_until(username=user.username, address="", now=start + timedelta(minutes=16)) is None
    assert LoginThrottle.objects.get(kind="account").failures == 1


def test_locks_in_a_row_grow_then_start_short_again(community):
    user = staff(community)
    now = timezone.now()
    lengths = []
    for _ in range(3):
        for _ in range(5):
            locked = login_fail(username=user.username, address="", now=now)
        lengths.append(locked[0].locked_until - now)
        now = locked[0].locked_until
    assert lengths == [timedelta(minutes=15), timedelta(minutes=30), timedelta(minutes=60)]
    now += timedelta(days=1)
    for _ in range(5):
        locked = login_fail(username=user.username, address="", now=now)
    assert locked[0].locked_until - now == timedelta(minutes=15)
    assert lock_length(20) == timedelta(days=1)


def test_ipv6_addresses_count_per_64():
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert address_key("") == address_key("unknown") == ""


def test_lockouts_page_shows_an_administrator_only_their_communitys_staff(client, community):
    mine, theirs = staff(community), staff(CommunityFactory())
    for username in (mine.username, theirs.username):
        for _ in range(5):
            log_in(client, username, "wrong", address=f"192.0.2.{len(username)}")
    for guess in range(20):
        log_in(client, f"guess{guess}", "wrong", address=HOME)
    client.force_login(staff(community))

    page = client.get(reverse("console:lockouts"))

    assert [lock.key for lock in page.context["locks"]] == [mine.username]
    assert {event.object_pk for event in page.context["events"]} == {mine.pk}
    foreign = LoginThrottle.objects.get(kind="account", key=theirs.username)
    assert client.post(reverse("console:lockout_lift", args=[foreign.pk])).status_code == 404
    address = LoginThrottle.objects.get(kind="address", key=HOME)
    assert client.post(reverse("console:lockout_lift", args=[address.pk])).status_code == 404
    assert LoginThrottle.objects.filter(locked_until__isnull=False).count() == 3
    assert not AuditLog.objects.filter(action="core.login.unlocked").exists()


def test_superuser_sees_and_lifts_address_locks(client, community):
    for guess in range(20):
        log_in(client, f"guess{guess}", "wrong", address=HOME)
    address = LoginThrottle.objects.get(kind="address", key=HOME)
    client.force_login(UserFactory(is_superuser=True))

    assert address in client.get(reverse("console:lockouts")).context["locks"]
    assert client.post(reverse("console:lockout_lift", args=[address.pk])).status_code == 302
    assert not LoginThrottle.objects.filter(pk=address.pk).exists()


def test_lift_by_get_changes_nothing(client, community):
    user = staff(community)
    for _ in range(5):
        log_in(client, user.username, "wrong")
    client.force_login(staff(community))
    lock = LoginThrottle.objects.get(kind="account")
    assert client.get(reverse("console:lockout_lift", args=[lock.pk])).status_code == 405
    assert LoginThrottle.objects.get(pk=lock.pk).locked_until == lock.locked_until


def test_lockouts_page_needs_staff_management(client, community):
    client.force_login(staff(community, Role.CASHIER))
    assert client.get(reverse("console:lockouts")).status_code == 404


def test_command_lifts_a_lock(client, community):
    user = staff(community)
    for _ in range(5):
        log_in(client, user.username, "wrong")
    with pytest.raises(CommandError):
        call_command("logins", "unlock", "--username", "someone-else")

    call_command("logins", "unlock", "--username", user.username)

    assert not LoginThrottle.objects.filter(kind="account").exists()
    entry = AuditLog.objects.get(action="core.login.unlocked")
    assert (entry.actor, entry.object_pk) == (None, user.pk)
    assert log_in(client, user.username, RIGHT).status_code == 302
