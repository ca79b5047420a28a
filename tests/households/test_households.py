import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import override_settings

from tests.factories import HouseholdFactory, HouseholdRoomFactory, PersonFactory, RoomFactory, TagFactory
from tests.uploads import files_under, image_bytes
from wuye.core.models import AuditLog
from wuye.households.domain import households as archive
from wuye.households.domain.queries import HouseholdFilter, households_filtered
from wuye.households.models import Document, HouseholdTag, Person, Tag


def test_id_number_is_stored_encrypted_and_shown_masked(household, admin_user):
    person = archive.person_add(
        household=household, actor=admin_user, kind="family", name="李华", id_number="11010519900101123x"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM households_person WHERE id = %s", [person.pk])
        stored = cursor.fetchone()[0]
    assert "110105" not in stored
    person = Person.objects.get(pk=person.pk)
    assert person.id_number == "11010519900101123X"
    assert person.id_number_masked == "110***********123X"
    entry = AuditLog.objects.get(action="households.person.added", object_pk=person.pk)
    assert entry.changes["id_number"] == "110***********123X"
    assert entry.household_id == household.pk


def test_person_update_logs_old_and_new(household, admin_user):
    person = household.people.get()
    archive.person_update(person=person, actor=admin_user, phone="13800000001")
    entry = AuditLog.objects.get(action="households.person.changed")
    assert entry.changes == {"phone": ["13912345678", "13800000001"]}
    assert entry.actor == admin_user


def test_room_of_another_household_cannot_be_bound(household, admin_user):
    other = HouseholdFactory(community=household.community)
    room = household.rooms.get()
    with pytest.raises(archive.ArchiveError):
        archive.household_bind_room(household=other, room=room, actor=admin_user)
    assert other.rooms.count() == 0


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"%PDF-1.7 rest", "application/pdf"),
        (image_bytes("PNG"), "image/png"),
        (image_bytes("JPEG"), "image/jpeg"),
        (b"\x89PNG\r\n\x1a\nrest", None),
        (b"\xff\xd8\xff\xe0rest", None),
        (b"MZ\x90\x00 exe", None),
        (b"<html>", None),
    ],
)
def test_document_type_is_checked_by_content(
    household, admin_user, content, content_type, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("deed.pdf", content, content_type="application/pdf")
    if content_type:
        document = archive.document_add(
            household=household, kind="deed", title="", upload=upload, actor=admin_user
        )
        assert (document.content_type, document.size) == (content_type, document.file.size)
    else:
        with pytest.raises(ValidationError):
            archive.document_add(household=household, kind="deed", title="", upload=upload, actor=admin_user)
        assert Document.objects.count() == 0
        assert files_under(tmp_path) == []


def test_document_over_size_refused(household, admin_user, tmp_path):
    with override_settings(UPLOAD_MAX_BYTES=10, MEDIA_ROOT=tmp_path):
        upload = SimpleUploadedFile("deed.pdf", b"%PDF-" + b"x" * 20)
        with pytest.raises(ValidationError):
            archive.document_add(household=household, kind="deed", title="", upload=upload, actor=admin_user)
    assert Document.objects.count() == 0


def test_bulk_tag_applies_to_every_filter_result_once(community, admin_user):
    matching = [PersonFactory(household__community=community, name=f"陈{i}").household for i in range(3)]
    PersonFactory(household__community=community, name="王五")
    tag = TagFactory(community=community)
    found = households_filtered(community=community, filter=HouseholdFilter(text="陈"))
    assert archive.tags_apply(tag=tag, households=found, actor=admin_user) == 3
    assert archive.tags_apply(tag=tag, households=found, actor=admin_user) == 0
    assert set(HouseholdTag.objects.filter(tag=tag).values_list("household_id", flat=True)) == {
        h.pk for h in matching
    }
    assert AuditLog.objects.filter(action="households.tag.applied").count() == 3
    assert archive.tags_remove(tag=tag, households=found, actor=admin_user) == 3
    assert HouseholdTag.objects.filter(tag=tag).count() == 0


def test_system_tag_cannot_be_applied_by_hand(household, admin_user):
    from wuye.households.domain.tagrules import tags_refresh

    tags_refresh(community=household.community)
    tag = Tag.objects.get(community=household.community, rule="vacant")
    before = HouseholdTag.objects.count()
    with pytest.raises(archive.ArchiveError):
        archive.tags_apply(tag=tag, households=household.community.households.all(), actor=admin_user)
    with pytest.raises(archive.ArchiveError):
        archive.tag_delete(tag=tag, actor=admin_user)
    assert HouseholdTag.objects.count() == before


def test_filter_combines_tags_building_state_and_text(community):
    a = HouseholdRoomFactory(household__community=community, room__state="rented").household
    b = HouseholdRoomFactory(household__community=community, room__state="rented").household
    HouseholdRoomFactory(household__community=community, room__state="vacant")
    t1, t2 = TagFactory(community=community), TagFactory(community=community)
    for h in (a, b):
        HouseholdTag.objects.create(community=community, household=h, tag=t1)
    HouseholdTag.objects.create(community=community, household=a, tag=t2)

    def run(**kwargs):
        return set(
            households_filtered(community=community, filter=HouseholdFilter(**kwargs)).values_list(
                "pk", flat=True
            )
        )

    assert run(tags=[t1]) == {a.pk, b.pk}
    assert run(tags=[t1, t2]) == {a.pk}
    assert run(tags=[t1], without_tags=[t2]) == {b.pk}
    assert run(state="rented") == {a.pk, b.pk}
    assert run(building=a.rooms.get().building_id, tags=[t1]) == {a.pk}
    assert run(text=b.rooms.get().number) >= {b.pk}


def test_filter_round_trips_through_its_query_string(community):
    from django.http import QueryDict

    original = HouseholdFilter(text="王", tags=[3, 5], without_tags=[7], building=2, state="rented")
    assert HouseholdFilter.from_query(QueryDict(original.to_query())) == original


def test_room_factory_sanity(community):
    assert RoomFactory(unit__building__community=community).community == community


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("11010519900101123X", False),
        ("110105199001011232", True),
        ("11010519491231002X", True),
        ("1101051990010112", False),
    ],
)
def test_id_numbers_are_checked_by_their_check_character(number, valid):
    from django.core.exceptions import ValidationError

    from wuye.households.validators import validate_id_number

    if valid:
        validate_id_number(number)
        validate_id_number(number.lower())
    else:
        with pytest.raises(ValidationError):
            validate_id_number(number)


def test_home_page_reads_of_people_and_vehicles_equal_the_orm(household):
    import datetime

    from wuye.households.domain.queries import people_living_in, vehicles_of
    from wuye.households.enums import PersonKind
    from wuye.households.models import Vehicle

    PersonFactory(household=household, name="租客", kind=PersonKind.TENANT)
    PersonFactory(household=household, name="家人", kind=PersonKind.FAMILY)
    gone = PersonFactory(household=household, name="搬走", kind=PersonKind.FAMILY)
    gone.moved_out_on = gone.moved_in_on or datetime.date(2026, 1, 1)
    gone.save()
    PersonFactory(name="别家")  # another household's
    Vehicle.objects.create(community=household.community, household=household, plate="京A12345", model="轿车")
    Vehicle.objects.create(community=household.community, household=household, plate="京B54321")

    people = people_living_in(household)
    vehicles = vehicles_of(household)

    expected = list(household.people.filter(moved_out_on__isnull=True))
    assert [person.pk for person in people] == [person.pk for person in expected]
    assert [person.name for person in people] == ["家人", "王小明", "租客"]
    assert [(p.phone_masked, p.get_kind_display()) for p in people] == [
        (p.phone_masked, p.get_kind_display()) for p in expected
    ]
    assert [(vehicle.plate, vehicle.model) for vehicle in vehicles] == [
        ("京A12345", "轿车"),
        ("京B54321", ""),
    ]
