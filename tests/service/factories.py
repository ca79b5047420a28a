"""Factories of the service desk. A request can be built directly in any state (for the state matrix)."""

import datetime

import factory
from django.utils import timezone

from tests.factories import CommunityFactory, HouseholdRoomFactory, PersonFactory, staff
from wuye.core.enums import Role
from wuye.service.enums import RequestChannel, RequestState, RequestType
from wuye.service.models import ServiceCategory, ServiceRequest, Team, TeamMember

T0 = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)  # a Monday, 17:00 in Shanghai


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"维修班{n}")


def team_with(community, *users, name=None) -> Team:
    team = TeamFactory(community=community, **({"name": name} if name else {}))
    for position, user in enumerate(users):
        TeamMember.objects.create(community=community, team=team, user=user, position=position)
    return team


class ServiceCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceCategory

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"水电{n}")
    response_minutes = 30
    completion_hours = 24


class ServiceRequestFactory(factory.django.DjangoModelFactory):
    """A request of a household with a room and a requester; pass ``state`` (and ``assignee``) freely."""

    class Meta:
        model = ServiceRequest

    community = factory.SubFactory(CommunityFactory)
    category = factory.SubFactory(ServiceCategoryFactory, community=factory.SelfAttribute("..community"))
    household = factory.LazyAttribute(
        lambda o: HouseholdRoomFactory(household__community=o.community).household
    )
    person = factory.LazyAttribute(lambda o: PersonFactory(household=o.household))
    room = factory.LazyAttribute(lambda o: o.household.room_links.first().room)
    building = factory.LazyAttribute(lambda o: o.room.building)
    type = RequestType.REPAIR
    channel = RequestChannel.PORTAL
    state = RequestState.SUBMITTED
    description = "厨房水管漏水"
    submitted_at = factory.LazyFunction(timezone.now)
    response_due_at = factory.LazyAttribute(lambda o: o.submitted_at + datetime.timedelta(minutes=30))
    completion_due_at = factory.LazyAttribute(lambda o: o.submitted_at + datetime.timedelta(hours=24))


def technician(community, **kwargs):
    return staff(community, Role.TECHNICIAN, **kwargs)
