from io import StringIO

from django.core.management import call_command

from tests.factories import HouseholdRoomFactory
from wuye.households.models import HouseholdTag


def test_tags_refresh_command_sets_rule_tags(community):
    HouseholdRoomFactory(household__community=community, room__state="vacant")
    HouseholdRoomFactory(household__community=community, room__state="rented")
    HouseholdTag.objects.all().delete()
    out = StringIO()
    call_command("tags_refresh", stdout=out)
    assert f"{community.name} · vacant: +1 −0" in out.getvalue()
    assert HouseholdTag.objects.filter(tag__rule="vacant").count() == 1
