"""Reads for the portal, the owner API and the console's owner pages.

An owner sees exactly the households their account is bound to; every read of the portal and the
owner API starts from ``households_of(account)``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from wuye.core import sql
from wuye.core.models import Community
from wuye.core.money import fen_to_yuan
from wuye.households.models import Household, HouseholdRoom, Person
from wuye.notices.domain.queries import activities_open, notices_for_household, signups_of_household
from wuye.notices.models import Activity, NoticeRead
from wuye.owners.enums import BindingRequestState
from wuye.owners.models import BindingRequest, HouseholdBinding, OwnerAccount
from wuye.service.domain.queries import requests_of_household
from wuye.service.models import RequestPhoto, ServiceRequest


def households_of(account: OwnerAccount) -> QuerySet[Household]:
    return (
        Household.objects.filter(owner_bindings__account=account).select_related("community").order_by("pk")
    )


def bindings_of(account: OwnerAccount) -> QuerySet[HouseholdBinding]:
    return (
        HouseholdBinding.objects.filter(account=account)
        .select_related("household__community", "person")
        .prefetch_related(
            # One query for the rooms with their buildings and units (the households page lists them).
            Prefetch(
                "household__room_links",
                queryset=HouseholdRoom.objects.select_related("room__building", "room__unit"),
            )
        )
        .order_by("pk")
    )


@cache
def _frame_sql() -> str:
    account, binding = OwnerAccount._meta.db_table, HouseholdBinding._meta.db_table
    return f"""
SELECT {sql.columns(OwnerAccount, "a")}, {sql.columns(HouseholdBinding, "b")}, {sql.columns(Household, "h")},
       {sql.columns(Community, "c")}, {sql.columns(Person, "p")},
       (SELECT COUNT(*) FROM (SELECT 1 FROM {binding} x WHERE x.account_id = a.id LIMIT 2) two)
FROM {account} a
LEFT JOIN {binding} b ON b.id = COALESCE(
    (SELECT y.id FROM {binding} y WHERE y.account_id = a.id AND y.household_id = %s),
    (SELECT MIN(z.id) FROM {binding} z WHERE z.account_id = a.id))
LEFT JOIN {Household._meta.db_table} h ON h.id = b.household_id
LEFT JOIN {Community._meta.db_table} c ON c.id = h.community_id
LEFT JOIN {Person._meta.db_table} p ON p.id = b.person_id
WHERE a.id = %s AND a.is_active = %s
"""  # noqa: S608 (names from the models, values bound)


@dataclass(frozen=True)
class PortalFrame:
    account: OwnerAccount | None  # None: no such account, or disabled
    binding: HouseholdBinding | None  # to the household asked for if bound, else the first; None: none
    several_households: bool


def portal_frame(*, account_pk: int, household_pk: int | None) -> PortalFrame:
    """What every portal page needs first, in one fixed statement (wuye.core.sql) instead of the ORM's
    queries built anew on each request: the active account; its binding to ``household_pk`` (or, if not
    bound to it, its first binding, as ``bindings_of(account).first()``) with the household, its
    community and the binding's person; whether the account has more than one household. (The rooms are
    read by the one page that shows them: ``room_links_of``.)"""
    found = sql.joined(
        [OwnerAccount, HouseholdBinding, Household, Community, Person],
        _frame_sql(),
        [household_pk, account_pk, True],
    )
    if not found:
        return PortalFrame(account=None, binding=None, several_households=False)
    account, binding, household, community, person, several = found[0]
    if binding is not None:
        household.community = community
        binding.account = account
        binding.household = household
        binding.person = person
    return PortalFrame(account=account, binding=binding, several_households=several > 1)


def binding_of(account: OwnerAccount, household_pk: int | None) -> HouseholdBinding | None:
    """The account's binding to that household, or None (not bound: the household does not exist for them)."""
    if household_pk is None:
        return None
    return bindings_of(account).filter(household_id=household_pk).first()


def household_bindings(household: Household) -> QuerySet[HouseholdBinding]:
    return HouseholdBinding.objects.filter(household=household).select_related(
        "account", "person", "approved_by"
    )


def binding_requests_of(account: OwnerAccount) -> QuerySet[BindingRequest]:
    return BindingRequest.objects.filter(account=account).select_related(
        "community", "room__building", "room__unit"
    )


def pending_binding_request_of(account: OwnerAccount, pk: int) -> BindingRequest | None:
    """One of the account's requests that the office has not decided yet (one it may withdraw), or None."""
    return binding_requests_of(account).filter(pk=pk, state=BindingRequestState.PENDING).first()


def pending_binding_requests(*, community: Community) -> QuerySet[BindingRequest]:
    return (
        BindingRequest.objects.filter(community=community, state=BindingRequestState.PENDING)
        .select_related("account", "household", "person", "room__building", "room__unit")
        .order_by("created_at", "pk")
    )


def decided_binding_requests(*, community: Community) -> QuerySet[BindingRequest]:
    return (
        BindingRequest.objects.filter(community=community)
        .exclude(state=BindingRequestState.PENDING)
        .select_related("account", "household", "room__building", "room__unit", "decided_by")
        .order_by("-decided_at", "-pk")
    )


def accounts_of_community(*, community: Community, text: str = "") -> QuerySet[OwnerAccount]:
    """Accounts bound to a household of the community, with how many of its households each holds."""
    accounts = OwnerAccount.objects.filter(bindings__community=community)
    if text:
        accounts = accounts.filter(
            Q(phone__contains=text)
            | Q(display_name__contains=text)
            | Q(bindings__household__name__contains=text)
        )
    return accounts.annotate(
        households=Count("bindings", filter=Q(bindings__community=community), distinct=True)
    ).order_by("-last_login_at", "pk")


@dataclass(frozen=True)
class BillDue:
    pk: int
    title: str
    amount_fen: int  # fen still owed on the bill
    due_on: datetime.date | None
    state: str

    def __str__(self) -> str:
        return f"{self.title} · ¥{fen_to_yuan(self.amount_fen)}"


def bills_for_household(*, household: Household) -> list[BillDue]:
    """The household's bills with something still owed, oldest first (portal home, owner API): one fixed
    statement (wuye.core.sql), the home page being the page owners open most."""
    from wuye.billing.models import Bill, BillLine

    bills = sql.instances(
        Bill,
        f"SELECT {sql.columns(Bill, 'b')}, SUM(CASE WHEN l.is_void THEN 0 ELSE "  # noqa: S608
        "l.amount_fen + l.adjusted_fen - l.waived_fen - l.paid_fen END) "
        f"FROM {Bill._meta.db_table} b JOIN {BillLine._meta.db_table} l ON l.bill_id = b.id "
        "WHERE b.household_id = %s AND b.state IN (%s, %s) "
        f"GROUP BY {sql.columns(Bill, 'b')} ORDER BY b.period, b.id",
        [household.pk, "open", "partial"],
    )
    return [
        BillDue(
            pk=bill.pk,
            title=f"{bill.period:%Y-%m}",
            amount_fen=int(bill.extra[0]),
            due_on=bill.due_on,
            state=bill.state,
        )
        for bill in bills
        if bill.extra[0]
    ]


# --- what an owner sees of the service desk and the notices ---------------------------------------


def acting_person(binding: HouseholdBinding):
    """The archive person an account acts as in a household: the bound person, else the household's
    current resident with the account's phone; None if neither exists (e.g. the person was removed)."""
    if binding.person_id is not None:
        return binding.person
    return (
        binding.household.people.filter(phone=binding.account.phone, moved_out_on__isnull=True)
        .order_by("pk")
        .first()
    )


def requests_of(*, household: Household):

    return requests_of_household(household=household).select_related("category", "room")


def request_of(*, account: OwnerAccount, pk: int):
    """One service request of any household the account is bound to, or None."""

    return (
        ServiceRequest.objects.filter(pk=pk, household__in=households_of(account).values("pk"))
        .select_related("category__parent", "room__building", "room__unit", "building", "household", "person")
        .first()
    )


def request_photo_of(*, account: OwnerAccount, pk: int):

    return RequestPhoto.objects.filter(
        pk=pk, request__household__in=households_of(account).values("pk")
    ).first()


def notices_of(*, household: Household, now=None):
    """The notices the household sees now (urgent, then pinned, then newest), each with ``is_read``."""

    read = NoticeRead.objects.filter(notice=OuterRef("pk"), household=household)
    return notices_for_household(household=household, now=now).annotate(is_read=Exists(read))


def notice_of(*, household: Household, pk: int, now=None):
    return notices_of(household=household, now=now).filter(pk=pk).first()


def activities_for(*, household: Household, now=None):
    """Open activities of the household's community, soonest first, with places taken."""

    return activities_open(community=household.community, now=now)


def activity_of(*, household: Household, pk: int):
    """An activity of the household's community (open or not: a sign-up may need cancelling), or None."""

    return Activity.objects.filter(pk=pk, community_id=household.community_id).first()


def signups_of(*, household: Household):

    return signups_of_household(household=household)
