from django.core.files.base import ContentFile

from tests.factories import HouseholdRoomFactory, PersonFactory, TagFactory
from wuye.core.models import ApiToken
from wuye.households.models import Document, EmergencyContact, ImportBatch, SavedFilter, Vehicle


def build(community, staff_user) -> dict[str, int]:
    link = HouseholdRoomFactory(household__community=community)
    household = link.household
    document = Document(
        community=community,
        household=household,
        kind="deed",
        title="房产证",
        content_type="application/pdf",
        size=8,
    )
    document.file.save("deed.pdf", ContentFile(b"%PDF-1.4"), save=False)
    document.save()
    return {
        "household_pk": household.pk,
        "room_pk": link.room.pk,
        "building_pk": link.room.building.pk,
        "person_pk": PersonFactory(household=household).pk,
        "vehicle_pk": Vehicle.objects.create(community=community, household=household, plate="粤B12345").pk,
        "emergencycontact_pk": EmergencyContact.objects.create(
            community=community, household=household, name="李四", phone="13800000000"
        ).pk,
        "document_pk": document.pk,
        "tag_pk": TagFactory(community=community).pk,
        "savedfilter_pk": SavedFilter.objects.create(
            community=community, user=staff_user, name="f", query="q=1"
        ).pk,
        "importbatch_pk": ImportBatch.objects.create(community=community, file_name="a.xlsx", content=b"").pk,
        "apitoken_pk": ApiToken.issue(user=staff_user, name="b")[0].pk,
        "staffrole_pk": staff_user.staff_roles.get().pk,
    }
