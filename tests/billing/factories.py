"""Shared billing factories: fee items, assignments, meters and readings.

Every object carries its community, as in production; related objects are built in the same
community as the object that holds them.
"""

import datetime
from decimal import Decimal

import factory

from tests.factories import BuildingFactory, CommunityFactory, RoomFactory
from wuye.billing.enums import Cycle, FeeCategory, MeterKind, Method, Timing
from wuye.billing.models import FeeAssignment, FeeItem, Meter, MeterReading


class FeeItemFactory(factory.django.DjangoModelFactory):
    """A monthly prepaid property fee by built-up area at 2.50 yuan/m², valid from 2024-01-01.

    For a metered item pass ``method=Method.METERED`` (meter kind and postpaid timing follow).
    """

    class Meta:
        model = FeeItem

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"收费项目{n}")
    category = FeeCategory.PROPERTY
    method = Method.BUILT_AREA
    price = Decimal("2.5000")
    tiers = factory.LazyFunction(list)
    meter_kind = factory.LazyAttribute(lambda o: MeterKind.WATER if o.method == Method.METERED else "")
    cycle = Cycle.MONTHLY
    timing = factory.LazyAttribute(
        lambda o: Timing.POSTPAID if o.method == Method.METERED else Timing.PREPAID
    )
    due_day = 15
    valid_from = datetime.date(2024, 1, 1)
    valid_to = None


class FeeAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeAssignment

    fee_item = factory.SubFactory(FeeItemFactory)
    community = factory.SelfAttribute("fee_item.community")
    room = factory.SubFactory(
        RoomFactory,
        community=factory.SelfAttribute("..community"),
        unit__building__community=factory.SelfAttribute("...community"),
    )
    starts_on = datetime.date(2024, 1, 1)
    ends_on = None


class MeterFactory(factory.django.DjangoModelFactory):
    """A room's water meter. For a shared meter pass ``room=None, building=<building>``."""

    class Meta:
        model = Meter

    community = factory.SubFactory(CommunityFactory)
    kind = MeterKind.WATER
    number = factory.Sequence(lambda n: f"M{n:06d}")
    room = factory.SubFactory(
        RoomFactory,
        community=factory.SelfAttribute("..community"),
        unit__building__community=factory.SelfAttribute("...community"),
    )
    building = factory.LazyAttribute(lambda o: o.room.building if o.room is not None else None)
    is_active = True


class SharedMeterFactory(MeterFactory):
    """A building's shared meter (no room)."""

    room = None
    building = factory.SubFactory(BuildingFactory, community=factory.SelfAttribute("..community"))


class MeterReadingFactory(factory.django.DjangoModelFactory):
    """A stored reading; writes no SharedUsage (use ``readings_enter`` for the real thing)."""

    class Meta:
        model = MeterReading

    meter = factory.SubFactory(MeterFactory)
    community = factory.SelfAttribute("meter.community")
    period = datetime.date(2024, 1, 1)
    value = Decimal("100.00")
    usage = Decimal("0.00")
    replaced = False
