import datetime

from tests.factories import RoomFactory
from wuye.estate.enums import RoomUse
from wuye.rental.domain.leases import lease_sign, listing_create


def build(community, staff_user):
    shop = RoomFactory(community=community, unit__building__community=community, use=RoomUse.SHOP)
    other = RoomFactory(community=community, unit__building__community=community, use=RoomUse.SHOP)
    listing = listing_create(
        community=community, room=other, rent_fen=100_000, deposit_fen=0, actor=staff_user
    )
    lease = lease_sign(
        community=community,
        room=shop,
        number="ISO-1",
        tenant_name="外区租户",
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 12, 31),
        rent_fen=100_000,
        deposit_fen=100_000,
        actor=staff_user,
        today=datetime.date(2025, 12, 1),
    )
    return {"lease_pk": lease.pk, "listing_pk": listing.pk}
