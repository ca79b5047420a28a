import pytest

from tests.factories import PersonFactory
from tests.owners.factories import HouseholdBindingFactory, OwnerAccountFactory, OwnerTokenFactory
from wuye.api.owner_auth import OwnerTokenAuth
from wuye.core.models import AuditLog
from wuye.households.models import Person
from wuye.owners.domain.accounts import (
    AccountError,
    account_phone_change,
    account_set_active,
    account_update,
    owner_token_issue,
)
from wuye.owners.domain.login import LoginError, login_code_send
from wuye.owners.enums import LoginPurpose
from wuye.owners.models import LoginCode, OwnerAccount

pytestmark = pytest.mark.django_db


def test_account_update_changes_and_logs_the_profile():
    binding = HouseholdBindingFactory()
    account = binding.account

    account_update(account=account, display_name=" 小王 ", language="en", email="w@example.com")

    account.refresh_from_db()
    assert (account.display_name, account.language, account.email) == ("小王", "en", "w@example.com")
    log = AuditLog.objects.get(action="owners.account.changed")
    assert log.community_id == binding.community_id
    assert log.changes["language"] == ["zh-hans", "en"]


def test_account_update_without_changes_logs_nothing():
    account = OwnerAccountFactory(display_name="小王")

    account_update(account=account, display_name="小王", language="zh-hans")

    assert AuditLog.objects.count() == 0


@pytest.mark.parametrize(("language", "email"), [("fr", ""), ("en", "not-an-email")])
def test_account_update_refuses_bad_values(language, email):
    account = OwnerAccountFactory(display_name="小王")

    with pytest.raises(AccountError):
        account_update(account=account, display_name="老王", language=language, email=email)

    account.refresh_from_db()
    assert (account.display_name, account.language, account.email) == ("小王", "zh-hans", "")
    assert AuditLog.objects.count() == 0


def test_account_phone_change_moves_account_and_archive_phone(sms):
    binding = HouseholdBindingFactory(person__phone="13912345678")
    with sms.delivered():
        login_code_send(phone="13700000000", purpose=LoginPurpose.PHONE_CHANGE, account=binding.account)

    account_phone_change(account=binding.account, phone="13700000000", code=sms.code("13700000000"))

    assert OwnerAccount.objects.get().phone == "13700000000"
    assert Person.objects.get().phone == "13700000000"
    assert (
        AuditLog.objects.filter(action="households.person.changed", household_id=binding.household_id).count()
        == 1
    )
    assert AuditLog.objects.get(action="owners.account.phone_changed").changes == {
        "phone": ["139****5678", "137****0000"]
    }


def test_account_phone_change_refuses_a_login_code(sms):
    account = OwnerAccountFactory(phone="13912345678")
    PersonFactory(phone="13700000000")  # a number the archive knows gets a login code
    with sms.delivered():
        login_code_send(phone="13700000000")

    with pytest.raises(LoginError):
        account_phone_change(account=account, phone="13700000000", code=sms.code("13700000000"))

    assert OwnerAccount.objects.get().phone == "13912345678"


def test_phone_change_code_refuses_a_number_of_another_account():
    account = OwnerAccountFactory(phone="13912345678")
    OwnerAccountFactory(phone="13700000000")

    with pytest.raises(LoginError, match="Another account"):
        login_code_send(phone="13700000000", purpose=LoginPurpose.PHONE_CHANGE, account=account)

    assert LoginCode.objects.count() == 0


def test_account_set_active_false_revokes_tokens_and_logs():
    token = OwnerTokenFactory()

    account_set_active(account=token.account, active=False, actor=None)

    assert token.account.tokens.count() == 0
    assert AuditLog.objects.filter(action="owners.account.disabled").count() == 1


def test_owner_token_issue_stores_only_a_hash(rf):
    account = OwnerAccountFactory()

    token, key = owner_token_issue(account=account)

    assert key.startswith("wo_")
    assert key not in token.key_hash
    request = rf.get("/")
    assert OwnerTokenAuth().authenticate(request, key) == account
    assert request.owner == account
