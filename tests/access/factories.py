"""factory_boy factories of access control; every door uses paysim's public device test key."""

import datetime

import factory
from django.utils import timezone

from tests.factories import BuildingFactory, CommunityFactory, PersonFactory
from wuye.access.models import AccessRule, Credential, Door, DoorGroup, DoorGroupMember, VisitorPass
from wuye.access.sim import TEST_KEY_REF


class DoorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Door

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"门{n}")
    device_id = factory.Sequence(lambda n: f"door-{n}")
    key_ref = TEST_KEY_REF


class DoorGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DoorGroup

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"门组{n}")


def group_of(*doors, name=None) -> DoorGroup:
    group = DoorGroupFactory(community=doors[0].community, **({"name": name} if name else {}))
    for door in doors:
        DoorGroupMember.objects.create(community=door.community, group=group, door=door)
    return group


class AccessRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessRule

    group = factory.SubFactory(DoorGroupFactory)
    community = factory.SelfAttribute("group.community")
    subject = "residents"


class CredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Credential

    person = factory.SubFactory(PersonFactory)
    community = factory.SelfAttribute("person.community")
    household = factory.SelfAttribute("person.household")
    kind = "card"
    value = factory.Sequence(lambda n: f"A{n:08d}")
    valid_from = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))


class VisitorPassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VisitorPass

    community = factory.SelfAttribute("household.community")
    visitor_name = "李访客"
    visitor_phone = "13800001111"
    valid_from = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))
    valid_until = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(hours=5))


__all__ = ["BuildingFactory"]
