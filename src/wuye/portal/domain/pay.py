"""Self-service payment (自助缴费): an owner without an account identifies a room on the community's
pay page, then pays chosen bill lines by WeChat Pay or Alipay.

Identification is by knowledge, not by login: the owner's name, or the last four digits of the
registered phone of a current person of the household. Every candidate is compared in constant time
(digests of equal length, no early exit), a refusal says only "not matched", and failed tries are
counted in the cache per client address and room, per address over all rooms (against a walk
through the building) and per room over all addresses (against a guesser who rotates addresses or
a whole IPv6 range), so the four digits cannot be guessed in 10,000 tries. The address is the
client's behind the trusted proxies (``wuye.core.net.client_address``), an IPv6 one counted by its
/64. A refusal writes nothing.

Money moves only through the payments domain: ``pay_start`` is ``order_create`` → ``attempt_create``
(committed before the channel is called) → ``attempt_start``; ``topup_start`` (预存, a signed-in
owner's) the same with ``order_topup_create``.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import json

from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core.counters import counter_add, counter_reset, counter_value
from wuye.core.net import address_bucket
from wuye.estate.models import Room
from wuye.households.enums import PersonKind
from wuye.households.models import Household, HouseholdRoom
from wuye.parking.domain.errors import ParkingError
from wuye.parking.domain.payments import visit_order_create
from wuye.payments.domain.online import attempt_query, attempt_start
from wuye.payments.domain.payments import PaymentError, attempt_create, order_create, order_topup_create
from wuye.payments.domain.queries import attempt_for_page
from wuye.payments.enums import ATTEMPT_OPEN_STATES, Channel, PaymentMethod
from wuye.payments.models import PaymentAttempt
from wuye.portal.domain.queries import PAY_CHANNELS, pay_methods

# Failed identifications allowed per client address and room, and per address in all, in the window.
FAILS_PER_ROOM = 5
FAILS_PER_ADDRESS = 30
FAIL_WINDOW_SECONDS = 15 * 60
# … and per room from all addresses together, in a day: a guesser with many addresses gets 20 tries a
# day at a room, not 5 per address. Someone who fails a room on purpose locks its poster page for the
# day; the owner still pays from the household's own link (bill notices) or the owner portal.
FAILS_PER_ROOM_ALL = 20
ROOM_WINDOW_SECONDS = 24 * 60 * 60


class PayError(Exception):
    """A refused pay step; the message is translated and nothing was written."""


class NotMatchedError(PayError):
    pass


class TooManyTriesError(PayError):
    pass


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def _normalise(text: str) -> str:
    return "".join(str(text or "").split()).casefold()


def _fail_keys(client_address: str, room_pk: int) -> tuple[str, str, str]:
    """Cache keys of the failure counters: (this address at this room, this address, this room)."""
    address = hashlib.sha256((address_bucket(client_address) or "-").encode()).hexdigest()[:24]
    return (
        f"wuye:pay:fails:{address}:{room_pk}",
        f"wuye:pay:fails:{address}",
        f"wuye:pay:fails:room:{room_pk}",
    )


def _candidates(household: Household) -> tuple[list[str], list[str]]:
    """(owner names, last four digits of phones) of the household's current people."""
    names, phones = [], []
    for person in household.people.filter(moved_out_on__isnull=True).order_by("pk"):
        if person.kind == PersonKind.OWNER and person.name.strip():
            names.append(_normalise(person.name))
        digits = "".join(ch for ch in person.phone or "" if ch.isdigit())
        if len(digits) >= 4:
            phones.append(digits[-4:])
    return names, phones


def _matches(household: Household | None, answer: str) -> bool:
    """Compare the answer with every candidate, always all of them, in constant time each."""
    given = _digest(_normalise(answer))
    names, phones = _candidates(household) if household is not None else ([], [])
    matched = False
    for candidate in [*names, *phones] or ["\0"]:
        matched |= hmac.compare_digest(_digest(candidate), given)
    return matched and household is not None


def household_identify(*, room: Room, answer: str, client_address: str) -> Household:
    """The household bound to ``room`` if ``answer`` is one of its owners' names or the last four
    digits of one of its people's registered phones.

    Raises TooManyTriesError when the client used up its tries (for this room, or overall), and
    NotMatchedError otherwise, without saying which part did not match; a failure is counted."""
    room_key, address_key, all_key = _fail_keys(client_address, room.pk)
    if counter_value(room_key) >= FAILS_PER_ROOM or counter_value(address_key) >= FAILS_PER_ADDRESS:
        raise TooManyTriesError(_("Too many tries. Please try again in 15 minutes."))
    if counter_value(all_key) >= FAILS_PER_ROOM_ALL:
        raise TooManyTriesError(
            _(
                "Too many wrong answers for this room today. Pay from the link in your bill notice or in the"
                " owner portal, or try again tomorrow."
            )
        )
    link = (
        HouseholdRoom.objects.filter(room=room, community_id=room.community_id)
        .select_related("household")
        .first()
    )
    household = link.household if link is not None else None
    if not _matches(household, answer):
        counter_add(room_key, window_seconds=FAIL_WINDOW_SECONDS)
        counter_add(address_key, window_seconds=FAIL_WINDOW_SECONDS)
        counter_add(all_key, window_seconds=ROOM_WINDOW_SECONDS)
        raise NotMatchedError(_("Not matched. Check the room and try again."))
    counter_reset(room_key)
    return household


def pay_start(
    *, household: Household, line_ids: list[int], method: str, description: str, payer_openid: str = ""
) -> PaymentAttempt:
    """Order the chosen lines, store the attempt (committed), and ask the channel for its QR code.

    The returned attempt is pending with a ``code_url``; or unknown/failed when the channel could
    not be asked (the page says so; an unknown attempt is still queried and may yet succeed).
    ``payer_openid`` (the owner's WeChat, inside WeChat): WeChat Pay by JSAPI instead of a QR code;
    ``code_url`` then holds the signed parameters for WeixinJSBridge (JSON)."""
    if not line_ids:
        raise PayError(_("Choose at least one item to pay."))
    return _order_pay(
        lambda: order_create(household=household, line_ids=line_ids),
        community_id=household.community_id,
        method=method,
        description=description,
        payer_openid=payer_openid,
    )


def topup_start(
    *,
    household: Household,
    amount_fen: int,
    method: str,
    description: str,
    payer_openid: str = "",
    actor=None,
) -> PaymentAttempt:
    """Pay ``amount_fen`` in as the household's prepayment (预存), as ``pay_start`` pays bills: the
    order (``order_topup_create``), the attempt (committed), the channel's QR code or JSAPI sheet."""
    return _order_pay(
        lambda: order_topup_create(household=household, amount_fen=amount_fen, actor=actor),
        community_id=household.community_id,
        method=method,
        description=description,
        payer_openid=payer_openid,
    )


def visit_pay_start(*, visit, method: str, description: str, payer_openid: str = "") -> PaymentAttempt:
    """A visitor's car pays what it owes now to leave (``wuye.parking``): the order (no household), the
    attempt (committed), the channel's QR code or JSAPI sheet."""
    return _order_pay(
        lambda: visit_order_create(visit=visit),
        community_id=visit.community_id,
        method=method,
        description=description,
        payer_openid=payer_openid,
    )


def _order_pay(order_make, *, community_id: int, method: str, description: str, payer_openid: str):
    """The order ``order_make`` makes, its attempt (committed) and the channel's answer: the one way
    every portal payment starts, whatever the order is for."""
    if method not in pay_methods(community_id=community_id):
        raise PayError(_("This payment channel is not available in this community."))
    try:
        order = order_make()
        jsapi = method == PaymentMethod.WECHAT and bool(payer_openid)
        channel = Channel.WECHAT_JSAPI if jsapi else PAY_CHANNELS[method]
        attempt = attempt_create(order=order, channel=channel, payer_ref=payer_openid if jsapi else "")
        return attempt_start(attempt=attempt, description=description)
    except (PaymentError, ParkingError) as error:
        raise PayError(str(error)) from None


def jsapi_params(attempt: PaymentAttempt) -> dict | None:
    """What WeixinJSBridge (or a mini program's wx.requestPayment) takes for an open JSAPI attempt:
    the signed parameters the channel answered, kept as JSON in ``code_url``; None otherwise."""
    if attempt.channel != Channel.WECHAT_JSAPI or attempt.state not in ATTEMPT_OPEN_STATES:
        return None
    try:
        params = json.loads(attempt.code_url or "")
    except ValueError:
        return None
    if not isinstance(params, dict) or not str(params.get("package", "")).startswith("prepay_id="):
        return None
    return params


# An open attempt is asked about at the channel once it is this old, and then at most this often.
QUERY_AFTER = datetime.timedelta(seconds=5)


def pay_attempt_refreshed(attempt: PaymentAttempt) -> PaymentAttempt:
    """The attempt as a payer watching it should see it: one still open after QUERY_AFTER is asked about
    at the channel (at most once per QUERY_AFTER), so a lost notification still settles while the payer
    waits (the pay page polls, an app asks the owner API)."""
    now = timezone.now()
    if attempt.state not in ATTEMPT_OPEN_STATES or attempt.created_at > now - QUERY_AFTER:
        return attempt
    if attempt.queried_at is not None and attempt.queried_at > now - QUERY_AFTER:
        return attempt
    with contextlib.suppress(PaymentError):  # no channel account any more: shown as it is
        attempt_query(attempt=attempt, now=now)
    return attempt_for_page(attempt.pk)
