"""The demo invites a few owners to the portal, prints their phones, and does so only once."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from wuye.core.models import AuditLog
from wuye.notifications.models import Message
from wuye.owners.domain.login import account_login, login_code_send
from wuye.owners.models import HouseholdBinding, OwnerAccount

pytestmark = pytest.mark.django_db

SMALL = 0.05


def run_demo() -> str:
    out = StringIO()
    call_command("demo", "--scale", str(SMALL), "--i-know-this-is-not-production", stdout=out)
    return out.getvalue()


def test_demo_invites_two_owners_per_community_and_prints_their_phones():
    output = run_demo()

    bindings = HouseholdBinding.objects.select_related("account", "person")
    assert bindings.count() == 4
    assert len({binding.community_id for binding in bindings}) == 2
    assert "/m/" in output
    for binding in bindings:
        assert binding.person.phone == binding.account.phone
        assert binding.account.phone in output


def test_demo_owner_invitations_are_not_repeated():
    run_demo()
    before = (OwnerAccount.objects.count(), HouseholdBinding.objects.count(), AuditLog.objects.count())

    output = run_demo()

    assert (
        OwnerAccount.objects.count(),
        HouseholdBinding.objects.count(),
        AuditLog.objects.count(),
    ) == before
    assert all(account.phone in output for account in OwnerAccount.objects.all())


def test_a_demo_owner_can_log_in(sms):
    run_demo()
    account = OwnerAccount.objects.order_by("pk").first()

    with sms.delivered():
        login_code_send(phone=account.phone)

    assert account_login(phone=account.phone, code=sms.code(account.phone)) == account


def test_the_demo_prints_a_login_code_to_the_server_log(settings, caplog, django_capture_on_commit_callbacks):
    """How a demo user logs in as an owner: the demo (debug off), no SMS gateway, the code in the log."""
    settings.DEBUG, settings.DEMO = False, True
    run_demo()
    account = OwnerAccount.objects.order_by("pk").first()

    caplog.clear()
    with (
        caplog.at_level("INFO", logger="wuye.notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        login_code_send(phone=account.phone)

    code = re.search(r"(?<!\d)\d{6}(?!\d)", caplog.text).group()
    assert "******" in Message.objects.get(address=account.phone, event="owners.login.code").body
    assert account_login(phone=account.phone, code=code) == account
