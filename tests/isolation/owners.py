"""Owner accounts, bindings, binding requests and outbox messages of the foreign community."""

from tests.factories import HouseholdRoomFactory, PersonFactory
from tests.owners.factories import HouseholdBindingFactory
from wuye.notifications.models import Message
from wuye.owners.models import BindingRequest


def build(community, staff_user) -> dict[str, int]:
    link = HouseholdRoomFactory(household__community=community)
    person = PersonFactory(household=link.household, phone="13655550000")
    binding = HouseholdBindingFactory(person=person)
    other = PersonFactory(household=link.household, phone="13655550001")
    request = BindingRequest.objects.create(
        community=community,
        account=HouseholdBindingFactory(person=other).account,
        household=link.household,
        person=other,
        room=link.room,
        name=other.name,
    )
    message = Message.objects.create(
        community=community,
        channel="sms",
        address=person.phone,
        event="owners.login.code",
        body="x",
        state="failed",
    )
    return {
        "owneraccount_pk": binding.account.pk,
        "householdbinding_pk": binding.pk,
        "bindingrequest_pk": request.pk,
        "message_pk": message.pk,
    }
