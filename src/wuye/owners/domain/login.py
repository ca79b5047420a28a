"""Owner login by phone and one-time code (also used to confirm a new phone number).

A code is six random digits, sent by SMS through the notifications outbox as a secret: the outbox
keeps the text with the code masked, so nobody (staff included) can read it after it is sent; only
in development mode (the demo) does the console SMS backend print it to the server log. Only a
keyed hash is stored. A code expires after CODE_LIFETIME, is
used once, and dies after MAX_WRONG_ATTEMPTS wrong guesses; only the latest code of a phone counts.
Sending is rate-limited per phone, per account (phone changes) and per client address (an IPv6
client per /64), counted from the LoginCode rows themselves; the address is the client's as
``wuye.core.net.client_address`` reads it behind the trusted proxies. A login code is sent only to a
phone some household's archive or an owner account knows; for any other phone everything happens
the same (a code row, the rate limits, the answer) except the SMS, so the page does not tell which
numbers exist and cannot be used to send texts to arbitrary numbers. Every refusal raises
``LoginError`` and changes nothing but a code's wrong-guess counter.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions
from wuye.core.models import Community
from wuye.core.net import address_bucket
from wuye.households.models import Person
from wuye.notifications.domain.outbox import notify_phone, register_event
from wuye.owners.enums import LoginPurpose
from wuye.owners.models import HouseholdBinding, LoginCode, OwnerAccount, code_digest
from wuye.owners.validators import normalise_phone, validate_code, validate_mobile

CODE_LIFETIME = timedelta(minutes=5)
MAX_WRONG_ATTEMPTS = 5
PHONE_INTERVAL = timedelta(seconds=60)  # at most one code a minute per phone …
PHONE_PER_HOUR = 5  # … and five an hour
ADDRESS_PER_HOUR = 20  # one client address (an office NAT, a script) asks for at most 20 an hour
ACCOUNT_PER_HOUR = 5  # one account asks for at most five phone-change codes an hour, to any numbers

LOGIN_CODE_EVENT = "owners.login.code"

register_event(
    LOGIN_CODE_EVENT,
    gettext_lazy("Login code"),
    gettext_lazy("Your login code"),
    gettext_lazy(
        "Your owner portal code is %(code)s. It expires in %(minutes)s minutes. Never tell it to anyone."
    ),
    optional=False,
    secrets=("code",),
)
# The code that signs a bank direct debit mandate says so: an owner who did not ask to sign can tell.
MANDATE_CODE_EVENT = "owners.mandate.code"
register_event(
    MANDATE_CODE_EVENT,
    gettext_lazy("Debit mandate code"),
    gettext_lazy("Your code to sign a debit mandate"),
    gettext_lazy(
        "You are signing a bank direct debit mandate. Your code is %(code)s. It expires in %(minutes)s"
        " minutes. Never tell it to anyone."
    ),
    optional=False,
    secrets=("code",),
)
register_actions(
    {
        "owners.account.created": gettext_lazy("Owner account created"),
    }
)


class LoginError(Exception):
    """A refused code request or login; the message is translated and safe to show."""


def _clean_phone(phone: str) -> str:
    phone = normalise_phone(phone)
    try:
        validate_mobile(phone)
    except ValidationError as error:
        raise LoginError(error.messages[0]) from None
    return phone


def community_of_phone(phone: str) -> Community | None:
    """The community that knows this phone (its account's first household, else the archive), for
    the outbox: that community's staff see the SMS. None for a phone nobody knows yet."""
    binding = HouseholdBinding.objects.filter(account__phone=phone).select_related("community").order_by("pk")
    if first := binding.first():
        return first.community
    person = Person.objects.filter(phone=phone).select_related("community").order_by("pk").first()
    return person.community if person is not None else None


def phone_is_known(phone: str) -> bool:
    """True if a person of some household's archive has this phone, or an owner account does."""
    return OwnerAccount.objects.filter(phone=phone).exists() or Person.objects.filter(phone=phone).exists()


def _check_rate(phone: str, purpose: str, network: str, account: OwnerAccount | None, now: datetime) -> None:
    hour_ago = now - timedelta(hours=1)
    recent = LoginCode.objects.filter(phone=phone, created_at__gte=hour_ago)
    # One code a minute for each purpose: an owner who has just logged in may at once ask for the code
    # that signs a mandate. The hourly limits count every purpose.
    if recent.filter(purpose=purpose, created_at__gt=now - PHONE_INTERVAL).exists():
        raise LoginError(_("A code was sent less than a minute ago. Please wait before asking again."))
    if recent.count() >= PHONE_PER_HOUR:
        raise LoginError(_("Too many codes for this phone. Please try again in an hour."))
    from_account = LoginCode.objects.filter(account=account, created_at__gte=hour_ago)
    if account is not None and from_account.count() >= ACCOUNT_PER_HOUR:
        raise LoginError(_("Too many codes for this account. Please try again in an hour."))
    if network:
        from_network = LoginCode.objects.filter(client_network=network, created_at__gte=hour_ago)
        if from_network.count() >= ADDRESS_PER_HOUR:
            raise LoginError(_("Too many codes from this network. Please try again later."))


@transaction.atomic
def login_code_send(
    *,
    phone: str,
    client_address: str | None = None,
    purpose: str = LoginPurpose.LOGIN,
    account: OwnerAccount | None = None,
    now: datetime | None = None,
) -> LoginCode:
    """Create a code for ``phone`` and queue it by SMS.

    Steps: check the phone and the rate limits; store the code's hash; queue the SMS (in the
    language of the phone's account, if any) if the phone is known (``phone_is_known``; a phone
    change sends to the new number the signed-in owner gave, bounded per account). Two simultaneous
    requests for one phone may both pass the minute check on PostgreSQL; the hourly limits still
    bound what a script can do. ``client_address`` comes from ``wuye.core.net.client_address``.
    """
    now = now or timezone.now()
    phone = _clean_phone(phone)
    if purpose == LoginPurpose.PHONE_CHANGE:
        if account is None:
            raise ValueError("a phone change needs the account")
        if phone == account.phone:
            raise LoginError(_("This is already your phone number."))
        if OwnerAccount.objects.filter(phone=phone).exists():
            raise LoginError(_("Another account uses this phone number."))
    network = address_bucket(client_address or "")
    _check_rate(phone, purpose, network, account, now)
    code = f"{secrets.randbelow(10**6):06d}"
    login_code = LoginCode.objects.create(
        phone=phone,
        purpose=purpose,
        account=account,
        code_hash=code_digest(phone, code),
        client_address=client_address or None,
        client_network=network,
        expires_at=now + CODE_LIFETIME,
    )
    # created_at is set by the database clock; the rate limit compares it with ``now``.
    if purpose == LoginPurpose.LOGIN and not phone_is_known(phone):
        return login_code  # nobody's number: the same answer, no SMS (the code reaches nobody)
    known = account or OwnerAccount.objects.filter(phone=phone).first()
    notify_phone(
        community=community_of_phone(account.phone if account else phone),
        phone=phone,
        event=MANDATE_CODE_EVENT if purpose == LoginPurpose.MANDATE else LOGIN_CODE_EVENT,
        context={"code": code, "minutes": int(CODE_LIFETIME.total_seconds() // 60)},
        language=known.language if known else None,
    )
    return login_code


def login_code_check(
    *, phone: str, code: str, purpose: str = LoginPurpose.LOGIN, account: OwnerAccount | None = None, now=None
) -> LoginCode:
    """Use the latest code of ``phone`` if ``code`` is right; raise LoginError otherwise.

    Not one transaction on purpose: a wrong guess must count even though the call then fails, so
    the counter is raised by its own conditional UPDATE (committed in autocommit mode). Using the
    code is a conditional UPDATE too: of two requests racing with the right code, one wins.
    """
    now = now or timezone.now()
    phone = _clean_phone(phone)
    try:
        validate_code(code)
    except ValidationError as error:
        raise LoginError(error.messages[0]) from None
    codes = LoginCode.objects.filter(phone=phone, purpose=purpose)
    if account is not None:
        codes = codes.filter(account=account)
    latest = codes.order_by("-created_at", "-pk").first()
    expired = _("This code has expired or was already used. Please ask for a new one.")
    if latest is None or latest.used_at is not None or latest.expires_at <= now:
        raise LoginError(expired)
    if latest.attempts >= MAX_WRONG_ATTEMPTS:
        raise LoginError(_("Too many wrong codes. Please ask for a new one."))
    if not hmac.compare_digest(latest.code_hash, code_digest(phone, code)):
        LoginCode.objects.filter(pk=latest.pk, attempts__lt=MAX_WRONG_ATTEMPTS).update(
            attempts=F("attempts") + 1
        )
        left = MAX_WRONG_ATTEMPTS - latest.attempts - 1
        if left <= 0:
            raise LoginError(_("Too many wrong codes. Please ask for a new one."))
        raise LoginError(_("Wrong code. %(left)s attempts left.") % {"left": left})
    used = LoginCode.objects.filter(
        pk=latest.pk, used_at__isnull=True, attempts__lt=MAX_WRONG_ATTEMPTS, expires_at__gt=now
    ).update(used_at=now)
    if used != 1:
        raise LoginError(expired)
    latest.used_at = now
    return latest


def account_login(*, phone: str, code: str, now: datetime | None = None) -> OwnerAccount:
    """Check the code and return the phone's account, creating it on the first login.

    Steps: check the code (see ``login_code_check``); refuse a disabled account before using the
    code; create or update the account; log.
    """
    now = now or timezone.now()
    phone = _clean_phone(phone)
    account = OwnerAccount.objects.filter(phone=phone).first()
    if account is not None and not account.is_active:
        raise LoginError(_("This account is disabled. Please contact the property office."))
    login_code_check(phone=phone, code=code, now=now)
    with transaction.atomic():
        account, created = OwnerAccount.objects.get_or_create(phone=phone)
        if created:
            log_action(
                "owners.account.created",
                actor=None,
                obj=account,
                community_id=getattr(community_of_phone(phone), "pk", None),
                changes={"owner": account.phone_masked},
            )
        OwnerAccount.objects.filter(pk=account.pk).update(last_login_at=now)
        account.last_login_at = now
    return account
