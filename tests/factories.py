"""factory_boy factories for the archive. Every object carries its community, as in production."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from wuye.core.enums import Role
from wuye.core.models import Community, Company, StaffRole
from wuye.estate.models import Building, Room, Unit
from wuye.households.models import Household, HouseholdRoom, HouseholdTag, Person, Tag, TagGroup


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"物业公司{n}")


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"小区{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-123456")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """UserFactory(roles=[(community, Role.ADMINISTRATOR), ...])."""
        self.save()
        for community, role in extracted or ():
            StaffRole.objects.create(user=self, community=community, role=role)


def staff(community, role=Role.ADMINISTRATOR, **kwargs):
    return UserFactory(roles=[(community, role)], **kwargs)


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"{n + 1}栋")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    building = factory.SubFactory(BuildingFactory)
    community = factory.SelfAttribute("building.community")
    name = factory.Sequence(lambda n: f"{n + 1}单元")


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    unit = factory.SubFactory(UnitFactory)
    building = factory.SelfAttribute("unit.building")
    community = factory.SelfAttribute("unit.community")
    number = factory.Sequence(lambda n: f"{(n % 30) + 1}{(n // 30) % 100:02d}")
    floor = 1
    built_area = Decimal("89.50")
    inner_area = Decimal("72.30")


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"住户{n}")


class HouseholdRoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HouseholdRoom

    household = factory.SubFactory(HouseholdFactory)
    community = factory.SelfAttribute("household.community")
    room = factory.SubFactory(
        RoomFactory,
        community=factory.SelfAttribute("..community"),
        unit__building__community=factory.SelfAttribute("...community"),
    )


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    household = factory.SubFactory(HouseholdFactory)
    community = factory.SelfAttribute("household.community")
    name = factory.Sequence(lambda n: f"张{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")


class TagGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TagGroup

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"分组{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"标签{n}")


class HouseholdTagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HouseholdTag

    household = factory.SubFactory(HouseholdFactory)
    community = factory.SelfAttribute("household.community")
    tag = factory.SubFactory(TagFactory, community=factory.SelfAttribute("..community"))
