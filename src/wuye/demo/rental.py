"""The demo's rental (租赁): per community, a shop the property company lets to a business (quarterly
rent, +5% a year, its deposit taken at the counter, the first quarter paid), a storeroom let for two months to
the first household bound to the owner portal (monthly rent, ending with this month: its reminder is
sent, and the owner sees the lease at /m/rental/), a storeroom whose lease ended last month with its
deposit still held (the console's "return the deposit" has something to do), an owner's vacant flat
let to a tenant (nothing billed), and rooms listed for rent. Through the rental domain functions;
idempotent (a community with a lease is left alone)."""

from __future__ import annotations

import datetime
import uuid

from django.db.models import Exists, OuterRef
from django.utils import timezone

from wuye.core.models import Community
from wuye.estate.enums import RoomState, RoomUse
from wuye.estate.models import Room
from wuye.households.models import Household, HouseholdRoom
from wuye.payments.domain.payments import counter_payment_take
from wuye.rental.domain.billing import lease_lines, rent_source
from wuye.rental.domain.deposits import deposit_receive
from wuye.rental.domain.leases import lease_close, lease_sign, listing_create
from wuye.rental.domain.reminders import leases_remind
from wuye.rental.domain.schedule import add_months
from wuye.rental.enums import Escalation, RentCycle
from wuye.rental.models import Lease

ONE_DAY = datetime.timedelta(days=1)


def _unheld(community: Community, use: str):
    held = HouseholdRoom.objects.filter(room=OuterRef("pk"))
    return Room.objects.filter(community=community, use=use).exclude(Exists(held)).order_by("pk")


def _pay_at_counter(lease: Lease, *, numbers, actor) -> None:
    sources = [rent_source(lease, number) for number in numbers]
    counter_payment_take(
        household=lease.household,
        line_ids=list(lease_lines(lease).filter(source__in=sources).values_list("pk", flat=True)),
        method="transfer",
        key=uuid.uuid4().hex[:24],
        actor=actor,
    )


def seed_rental(*, community: Community, actor) -> bool:
    if Lease.objects.filter(community=community).exists():
        return False
    today = timezone.localdate()
    month = today.replace(day=1)
    # Rooms no household holds, the company's to let: each purpose takes one of its use, or any other.
    pool = {use: list(_unheld(community, use)[:3]) for use in RoomUse.values}

    def take(*uses: str) -> Room | None:
        for use in (*uses, RoomUse.STORAGE, RoomUse.PARKING, RoomUse.RESIDENTIAL, RoomUse.SHOP):
            if pool[use]:
                return pool[use].pop(0)
        return None

    shop, store, ended_room = take(RoomUse.SHOP), take(RoomUse.STORAGE), take(RoomUse.STORAGE)
    spare, spare_store = take(RoomUse.SHOP, RoomUse.PARKING), take(RoomUse.STORAGE)
    prefix = f"ZL{community.pk}-{today:%Y}"
    if shop is not None:
        start = add_months(month, -4)
        lease = lease_sign(
            community=community,
            room=shop,
            number=f"{prefix}-001",
            tenant_name="好邻居便利店",
            tenant_phone="13800138000",
            starts_on=start,
            ends_on=add_months(start, 36) - ONE_DAY,
            rent_fen=450_000,
            cycle=RentCycle.QUARTERLY,
            escalation=Escalation.PERCENT,
            escalation_value=500,
            deposit_fen=900_000,
            actor=actor,
        )
        deposit_receive(
            lease=lease, amount_fen=900_000, method="transfer", key=f"demo-{lease.pk}", actor=actor
        )
        _pay_at_counter(lease, numbers=(1,), actor=actor)  # the first quarter
    if spare is not None:
        listing_create(
            community=community,
            room=spare,
            rent_fen=380_000 if spare.use == RoomUse.SHOP else 150_000,
            deposit_fen=760_000 if spare.use == RoomUse.SHOP else 150_000,
            description="临街一楼商铺，可做餐饮" if spare.use == RoomUse.SHOP else "",
            actor=actor,
        )
    bound = Household.objects.filter(community=community, owner_bindings__isnull=False).order_by("pk").first()
    if store is not None and bound is not None:
        start = add_months(month, -1)
        lease_sign(
            community=community,
            room=store,
            number=f"{prefix}-002",
            tenant_name=bound.name,
            tenant_household=bound,
            starts_on=start,
            ends_on=add_months(start, 2) - ONE_DAY,
            rent_fen=30_000,
            cycle=RentCycle.MONTHLY,
            deposit_fen=30_000,
            actor=actor,
        )
    if ended_room is not None:
        start = add_months(month, -13)
        ended = lease_sign(
            community=community,
            room=ended_room,
            number=f"{prefix}-003",
            tenant_name="陈师傅",
            tenant_phone="13900139000",
            starts_on=start,
            ends_on=add_months(start, 12) - ONE_DAY,
            rent_fen=25_000,
            cycle=RentCycle.HALF_YEARLY,
            deposit_fen=50_000,
            actor=actor,
        )
        deposit_receive(lease=ended, amount_fen=50_000, method="cash", key=f"demo-{ended.pk}", actor=actor)
        _pay_at_counter(ended, numbers=(1, 2), actor=actor)  # both half-years' rent
        lease_close(lease=ended, closed_on=ended.ends_on, reason="租期届满", actor=actor)
    if spare_store is not None:
        listing_create(
            community=community, room=spare_store, rent_fen=20_000, deposit_fen=20_000, actor=actor
        )
    flat = (
        Room.objects.filter(community=community, use=RoomUse.RESIDENTIAL, state=RoomState.VACANT)
        .filter(Exists(HouseholdRoom.objects.filter(room=OuterRef("pk"))))
        .order_by("pk")
        .first()
    )
    if flat is not None:
        lease_sign(
            community=community,
            room=flat,
            number=f"{prefix}-004",
            tenant_name="刘晓燕",
            tenant_phone="13700137000",
            starts_on=add_months(month, -1),
            ends_on=add_months(month, 11) - ONE_DAY,
            rent_fen=280_000,
            deposit_fen=280_000,
            actor=actor,
        )
    leases_remind(today=today, community_ids=[community.pk])
    return True
