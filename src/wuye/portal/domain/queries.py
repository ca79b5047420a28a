"""Reads of the self-service pay pages (自助缴费): rooms to pick, open bills with their lines, the
channels a community offers, and the addresses printed on posters and notices."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from wuye.billing.domain.latefees import late_fees_attach
from wuye.billing.domain.lines_sql import LINE_MODELS, line_attach, line_columns, line_joins
from wuye.billing.enums import BillState
from wuye.billing.models import Bill, BillLine, line_outstanding_sql
from wuye.core import sql
from wuye.core.models import Community
from wuye.estate.models import Building, Room, Unit
from wuye.households.domain.queries import room_links_of
from wuye.households.models import Household
from wuye.payments.enums import Channel, PaymentMethod
from wuye.payments.models import ChannelAccount
from wuye.portal.models import HouseholdPayLink, PayPoster

# The QR product each online method is paid with from the pay page (a phone scans, or opens, the code).
PAY_CHANNELS = {PaymentMethod.WECHAT: Channel.WECHAT_NATIVE, PaymentMethod.ALIPAY: Channel.ALIPAY_QR}

# ".2": links carry a version and their issue time; links of the first kind (neither) no longer open.
_HOUSEHOLD_SALT = "wuye.portal.pay.household.2"


def public_url(path: str) -> str:
    return getattr(settings, "PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/") + path


# --- the community's pay page ---------------------------------------------------------------------


def poster_by_token(*, token: str) -> PayPoster | None:
    if not token or len(token) > 32:
        return None
    return PayPoster.objects.select_related("community").filter(token=token).first()


def community_pay_path(poster: PayPoster) -> str:
    return reverse("portal:pay_entry", kwargs={"token": poster.token})


def pay_buildings(*, community: Community) -> list[Building]:
    return list(Building.objects.filter(community=community).order_by("name", "pk"))


def pay_units(*, community: Community, building_pk: int | None) -> list[Unit]:
    if building_pk is None:
        return []
    return list(Unit.objects.filter(community=community, building_id=building_pk).order_by("name", "pk"))


def pay_rooms(*, community: Community, unit_pk: int | None) -> list[Room]:
    if unit_pk is None:
        return []
    rooms = Room.objects.filter(community=community, unit_id=unit_pk).select_related("building", "unit")
    # As on the doors: by floor, then 101 before 1001 (text order would put 1001 first).
    return sorted(rooms, key=lambda room: (room.floor, len(room.number), room.number, room.pk))


def pay_room(*, community: Community, room_pk: int | None) -> Room | None:
    if room_pk is None:
        return None
    return Room.objects.filter(community=community, pk=room_pk).select_related("building", "unit").first()


def household_rooms(*, household: Household) -> list[Room]:
    return [link.room for link in room_links_of(household)]


# --- the household's link (printable on notices) ------------------------------------------------------


class PayLinkEndedError(Exception):
    """A genuine household pay link that no longer opens: it expired, or it was revoked."""


@dataclass(frozen=True)
class PayLink:
    url: str
    expires_at: datetime


def household_pay_version(household: Household) -> int:
    """The version the household's links are issued with now (0 until a link is first revoked)."""
    version = HouseholdPayLink.objects.filter(household=household).values_list("version", flat=True).first()
    return version or 0


def household_pay_token(household: Household, *, now: datetime | None = None) -> str:
    """A household's token, signed with the secret key: ``<community>-<household>-<version>-<issued>:<mac>``
    (``issued``: seconds since the epoch, base 62).

    It is the proof of the household on its pay link, so it carries the community too: a token of one
    community's household names nothing in another, and changing a number breaks the signature. The
    version makes it revocable, the issue time makes it expire (``settings.PAY_LINK_DAYS``)."""
    issued = signing.b62_encode(int((now or timezone.now()).timestamp()))
    value = f"{household.community_id}-{household.pk}-{household_pay_version(household)}-{issued}"
    return signing.Signer(salt=_HOUSEHOLD_SALT).sign(value)


def household_by_pay_token(*, token: str, now: datetime | None = None) -> Household | None:
    """The household a pay link opens; ``None`` for a token that is not one of ours (answer 404).

    Raises ``PayLinkEndedError`` for a genuine link that expired or was revoked: then the page can
    say so, and ask for a new one."""
    if not token or len(token) > 120:
        return None
    try:
        value = signing.Signer(salt=_HOUSEHOLD_SALT).unsign(token)
    except signing.BadSignature:
        return None
    parts = value.split("-")
    if len(parts) != 4 or not all(part.isdigit() for part in parts[:3]):
        return None
    community_pk, household_pk, version = (int(part) for part in parts[:3])
    try:
        issued = datetime.fromtimestamp(signing.b62_decode(parts[3]), tz=UTC)
    except ValueError:
        return None
    if issued + timedelta(days=settings.PAY_LINK_DAYS) <= (now or timezone.now()):
        raise PayLinkEndedError
    household = (
        Household.objects.select_related("community")
        .filter(pk=household_pk, community_id=community_pk)
        .first()
    )
    if household is not None and version != household_pay_version(household):
        raise PayLinkEndedError
    return household


def household_pay_link(household: Household, *, now: datetime | None = None) -> PayLink:
    """A new pay link of the household: the absolute address (``settings.PUBLIC_URL`` based) for a QR
    code on a bill notice, which opens the household's bills with no questions asked, and when it
    stops working."""
    now = now or timezone.now()
    path = reverse("portal:pay_household", kwargs={"token": household_pay_token(household, now=now)})
    return PayLink(url=public_url(path), expires_at=now + timedelta(days=settings.PAY_LINK_DAYS))


def household_pay_url(household: Household) -> str:
    """The address of a new pay link of the household (see ``household_pay_link``)."""
    return household_pay_link(household).url


# --- bills and channels ------------------------------------------------------------------------------


@dataclass
class PayBill:
    bill: Bill
    lines: list[BillLine] = field(default_factory=list)

    @property
    def outstanding_fen(self) -> int:
        return sum(line.outstanding_fen for line in self.lines)

    @property
    def late_fee_fen(self) -> int:
        return sum(line.late_fee_due_fen for line in self.lines)


@cache
def _pay_lines_sql() -> str:
    return (
        f"SELECT {line_columns()}, {sql.columns(Bill, 'b')} FROM {BillLine._meta.db_table} l "  # noqa: S608
        f"JOIN {Bill._meta.db_table} b ON b.id = l.bill_id {line_joins()} "
        f"WHERE l.household_id = %s AND NOT l.is_void AND b.state <> %s AND {line_outstanding_sql('l')} > 0 "
        "ORDER BY b.period, l.bill_id, l.period, l.id"
    )


def pay_bills(*, household: Household) -> list[PayBill]:
    """The household's bills with something owed, oldest first, each with its open lines (item, month,
    room, what the line still owes in ``outstanding_fen``, the late fee paying it today costs in
    ``late_fee_due_fen``: what the order will ask). One fixed statement (wuye.core.sql): the pay page is
    among the pages owners open most."""
    lines = []
    for *parts, bill in sql.joined([*LINE_MODELS, Bill], _pay_lines_sql(), [household.pk, BillState.VOID]):
        line = line_attach(*parts)
        line.bill = bill
        lines.append(line)
    bills: dict[int, PayBill] = {}
    for line in late_fees_attach(lines):
        bills.setdefault(line.bill_id, PayBill(bill=line.bill)).lines.append(line)
    return list(bills.values())


def pay_methods(*, community_id: int) -> list[str]:
    """The online methods the community has an enabled merchant account for, WeChat Pay first."""
    methods = list(PAY_CHANNELS)
    enabled = {
        method
        for (method,) in sql.rows(
            f"SELECT method FROM {ChannelAccount._meta.db_table} WHERE community_id = %s AND enabled = %s "  # noqa: S608
            f"AND method IN ({', '.join(['%s'] * len(methods))})",
            [community_id, True, *methods],
        )
    }
    return [method for method in PAY_CHANNELS if method in enabled]
