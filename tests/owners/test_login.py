from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import PersonFactory
from tests.owners.factories import HouseholdBindingFactory, OwnerAccountFactory
from wuye.core.models import AuditLog
from wuye.notifications.models import Message
from wuye.owners.domain import login
from wuye.owners.domain.login import LoginError, account_login, login_code_send
from wuye.owners.models import LoginCode, OwnerAccount, code_digest

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _gateway(sms):
    global gateway  # the helpers below read what the test's SMS gateway received
    gateway = sms
    yield
    gateway = None


def send(**kwargs) -> LoginCode:
    """login_code_send, then the delivery its commit starts."""
    with gateway.delivered():
        return login_code_send(**kwargs)


def sent_code(phone=PHONE) -> str:
    return gateway.code(phone)


def state():
    """Everything a refusal must leave alone (codes only change their wrong-guess counter)."""
    return (
        list(LoginCode.objects.values_list("pk", "used_at", "attempts")),
        OwnerAccount.objects.count(),
        Message.objects.count(),
        AuditLog.objects.count(),
    )


def test_login_code_send_stores_a_hash_and_sends_an_sms(household):
    code = send(phone="139 1234 5678", client_address="10.0.0.1")

    message = Message.objects.get()
    plain = sent_code()
    assert (code.phone, code.attempts, code.used_at, code.client_address) == (PHONE, 0, None, "10.0.0.1")
    assert code.code_hash == code_digest(PHONE, plain)
    assert plain not in code.code_hash
    assert code.expires_at - code.created_at < timedelta(minutes=5, seconds=1)
    assert (message.channel, message.address, message.community) == ("sms", PHONE, household.community)
    assert (message.state, message.has_secret) == ("sent", True)
    assert gateway.text(PHONE) == message.body.replace("******", plain)


def test_login_code_is_never_stored_only_sent(household):
    """The outbox row, which staff read in the console, holds the text with the code masked."""
    send(phone=PHONE)

    message = Message.objects.get()
    plain = sent_code()
    assert plain not in message.body
    assert plain not in message.subject
    assert message.body == "您的业主端验证码为 ******，5 分钟内有效。请勿泄露给他人。"


def test_login_code_send_for_a_phone_no_community_knows_has_no_community(db):
    OwnerAccountFactory(phone="13800000000")  # an account that is bound to no household yet

    send(phone="13800000000")

    assert Message.objects.get().community is None
    assert gateway.code("13800000000")


def test_login_code_send_sends_nothing_to_a_phone_nobody_knows_and_says_the_same(household):
    """No household and no account has the number: a code row (for the rate limits and the same
    answers), but no SMS, so the page neither reveals which numbers exist nor texts strangers."""
    first = send(phone="13800000000", client_address="10.0.0.1")

    assert (first.phone, first.client_address) == ("13800000000", "10.0.0.1")
    assert Message.objects.count() == 0
    assert gateway.sent == []
    with pytest.raises(LoginError, match="less than a minute"):
        send(phone="13800000000", now=first.created_at + timedelta(seconds=59))
    with pytest.raises(LoginError, match=r"Wrong code\. 4 attempts left\."):
        account_login(phone="13800000000", code="000000")
    assert OwnerAccount.objects.count() == 0


def test_login_code_send_counts_an_ipv6_client_by_its_64(db):
    for number in range(login.ADDRESS_PER_HOUR):
        send(phone=f"1390000{number:04d}", client_address=f"2001:db8:1:2::{number + 1:x}")
    before = state()

    with pytest.raises(LoginError, match="network"):
        send(phone="13911112222", client_address="2001:db8:1:2:ffff:ffff:ffff:ffff")

    assert state() == before
    assert send(phone="13911112222", client_address="2001:db8:1:3::1").client_network == "2001:db8:1:3::/64"


def test_login_code_send_limits_phone_change_codes_per_account(db):
    account = OwnerAccountFactory(phone=PHONE)
    start = timezone.now()
    for number in range(login.ACCOUNT_PER_HOUR):
        send(phone=f"1370000{number:04d}", purpose="phone", account=account, now=start)
    before = state()

    with pytest.raises(LoginError, match="Too many codes for this account"):
        send(phone="13799999999", purpose="phone", account=account, now=start)

    assert state() == before
    assert len(gateway.sent) == login.ACCOUNT_PER_HOUR  # every new number got its code


def test_login_code_send_uses_the_accounts_language(db):
    OwnerAccountFactory(phone=PHONE, language="en")

    send(phone=PHONE)

    message = Message.objects.get()
    assert message.language == "en"
    assert (
        message.body == "Your owner portal code is ******. It expires in 5 minutes. Never tell it to anyone."
    )
    assert gateway.text(PHONE) == message.body.replace("******", sent_code())


@pytest.mark.parametrize("phone", ["", "12345", "010-12345678", "2391234567a"])
def test_login_code_send_refuses_a_phone_that_is_not_a_mobile(db, phone):
    with pytest.raises(LoginError):
        login_code_send(phone=phone)
    assert state() == ([], 0, 0, 0)


def test_login_code_send_refuses_a_second_code_within_a_minute(db):
    first = send(phone=PHONE)
    before = state()

    with pytest.raises(LoginError, match="less than a minute"):
        login_code_send(phone=PHONE, now=first.created_at + timedelta(seconds=59))

    assert state() == before
    send(phone=PHONE, now=first.created_at + timedelta(seconds=61))
    assert LoginCode.objects.count() == 2


def test_login_code_send_allows_five_codes_an_hour_per_phone(db):
    start = timezone.now()
    for minute in range(5):
        code = login_code_send(phone=PHONE, now=start + timedelta(minutes=2 * minute))
        LoginCode.objects.filter(pk=code.pk).update(created_at=start + timedelta(minutes=2 * minute))
    before = state()

    with pytest.raises(LoginError, match="Too many codes for this phone"):
        login_code_send(phone=PHONE, now=start + timedelta(minutes=30))

    assert state() == before


def test_login_code_send_allows_twenty_codes_an_hour_per_address(db):
    for number in range(20):
        login_code_send(phone=f"1390000{number:04d}", client_address="10.0.0.9")
    before = state()

    with pytest.raises(LoginError, match="network"):
        login_code_send(phone="13911112222", client_address="10.0.0.9")

    assert state() == before
    send(phone="13911112222", client_address="10.0.0.10")


def test_account_login_creates_the_account_on_first_login(household):
    send(phone=PHONE)

    account = account_login(phone=PHONE, code=sent_code())

    assert (account.phone, account.is_active, account.language) == (PHONE, True, "zh-hans")
    assert account.last_login_at is not None
    assert LoginCode.objects.get().used_at is not None
    log = AuditLog.objects.get(action="owners.account.created")
    assert (log.community, log.changes) == (household.community, {"owner": "139****5678"})


def test_account_login_returns_the_existing_account(db):
    existing = OwnerAccountFactory(phone=PHONE)
    send(phone=PHONE)

    assert account_login(phone=PHONE, code=sent_code()) == existing
    assert OwnerAccount.objects.count() == 1


def test_account_login_refuses_a_wrong_code_and_counts_it(household):
    send(phone=PHONE)
    wrong = "000000" if sent_code() != "000000" else "111111"
    accounts, messages = OwnerAccount.objects.count(), Message.objects.count()

    with pytest.raises(LoginError, match="4 attempts left"):
        account_login(phone=PHONE, code=wrong)

    code = LoginCode.objects.get()
    assert (code.attempts, code.used_at) == (1, None)
    assert (OwnerAccount.objects.count(), Message.objects.count()) == (accounts, messages)


def test_account_login_refuses_even_the_right_code_after_five_wrong_ones(household):
    send(phone=PHONE)
    right = sent_code()
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(LoginError):
            account_login(phone=PHONE, code=wrong)

    with pytest.raises(LoginError, match="Too many wrong codes"):
        account_login(phone=PHONE, code=right)

    assert LoginCode.objects.get().attempts == 5
    assert OwnerAccount.objects.count() == 0


def test_account_login_refuses_an_expired_code(household):
    code = send(phone=PHONE)
    before = state()

    with pytest.raises(LoginError, match="expired"):
        account_login(phone=PHONE, code=sent_code(), now=code.expires_at)

    assert state() == before


def test_account_login_refuses_a_used_code(household):
    send(phone=PHONE)
    account_login(phone=PHONE, code=sent_code())
    before = state()

    with pytest.raises(LoginError, match="already used"):
        account_login(phone=PHONE, code=sent_code())

    assert state() == before


def test_account_login_accepts_only_the_latest_code(household):
    first = send(phone=PHONE)
    old = sent_code()
    send(phone=PHONE, now=first.created_at + timedelta(minutes=2))
    new = sent_code()
    if old == new:
        pytest.skip("both random codes happen to be equal")

    with pytest.raises(LoginError):
        account_login(phone=PHONE, code=old)
    assert account_login(phone=PHONE, code=new).phone == PHONE


def test_account_login_refuses_a_disabled_account_without_using_the_code(db):
    OwnerAccountFactory(phone=PHONE, is_active=False)
    send(phone=PHONE)
    before = state()

    with pytest.raises(LoginError, match="disabled"):
        account_login(phone=PHONE, code=sent_code())

    assert state() == before


def test_account_login_refuses_a_malformed_code_without_counting(db):
    send(phone=PHONE)
    before = state()

    with pytest.raises(LoginError, match="six digits"):
        account_login(phone=PHONE, code="12ab")

    assert state() == before


def test_community_of_phone_prefers_the_accounts_binding(db):
    binding = HouseholdBindingFactory(person__phone=PHONE)
    PersonFactory(phone=PHONE)

    assert login.community_of_phone(PHONE) == binding.community
