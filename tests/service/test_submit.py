"""Submitting a request: deadlines from the category's SLA, location, photos checked by content."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import BuildingFactory, HouseholdRoomFactory, PersonFactory, RoomFactory, staff
from tests.service.factories import ServiceCategoryFactory, team_with, technician
from tests.uploads import decoded, image_bytes
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.service.domain.categories import service_settings_update
from wuye.service.domain.errors import ServiceError
from wuye.service.domain.requests import request_submit
from wuye.service.enums import RequestChannel, RequestState, RequestType
from wuye.service.models import RequestEvent, RequestPhoto, ServiceRequest

NOW = datetime.datetime(2026, 5, 4, 1, 30, tzinfo=datetime.UTC)
JPEG = image_bytes("JPEG")
PNG = image_bytes("PNG")


def _submit(household, category, **kwargs):
    values = {
        "community": household.community,
        "channel": RequestChannel.PORTAL,
        "category": category,
        "household": household,
        "person": household.people.first(),
        "room": household.room_links.first().room,
        "description": "卫生间漏水",
        "now": NOW,
    }
    values.update(kwargs)
    return request_submit(**values)


def test_submit_sets_deadlines_from_the_category(household, community):
    category = ServiceCategoryFactory(community=community, response_minutes=45, completion_hours=48)
    request = _submit(household, category)
    assert request.state == RequestState.SUBMITTED
    assert request.submitted_at == NOW
    assert request.response_due_at == datetime.datetime(2026, 5, 4, 2, 15, tzinfo=datetime.UTC)
    assert request.completion_due_at == datetime.datetime(2026, 5, 6, 1, 30, tzinfo=datetime.UTC)
    assert request.building == household.room_links.first().room.building
    assert request.contact_name == "王小明" and request.contact_phone == "13912345678"


def test_submit_logs_on_the_household_timeline_and_history(household, category):
    request = _submit(household, category)
    entry = AuditLog.objects.get(action="service.request.submitted")
    assert (entry.household_id, entry.object_pk) == (household.pk, request.pk)
    assert entry.changes["request_type"] == RequestType.REPAIR
    event = RequestEvent.objects.get(request=request)
    assert (event.from_state, event.to_state, event.at) == ("", RequestState.SUBMITTED, NOW)


def test_submit_stores_photos_checked_by_content(household, category):
    photos = [SimpleUploadedFile("a.jpg", JPEG), SimpleUploadedFile("b.dat", PNG)]
    request = _submit(household, category, photos=photos)
    stored = RequestPhoto.objects.filter(request=request).order_by("pk")
    assert [p.content_type for p in stored] == ["image/jpeg", "image/png"]
    assert [p.size for p in stored] == [p.file.size for p in stored]
    assert [decoded(p.file.read()) for p in stored] == [("JPEG", (8, 8)), ("PNG", (8, 8))]


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.4 not a photo", b"GIF89a......", b"<svg></svg>", b"\xff\xd8\xff\xe0" + b"\x00" * 60],
    ids=["pdf", "gif-header-only", "svg", "jpeg-header-only"],
)
def test_submit_refuses_a_file_that_is_not_a_photo(household, category, content):
    with pytest.raises(ServiceError):
        _submit(household, category, photos=[SimpleUploadedFile("fake.jpg", content, "image/jpeg")])
    assert ServiceRequest.objects.count() == 0
    assert RequestPhoto.objects.count() == 0


def test_submit_refuses_a_photo_too_large(household, category, settings):
    settings.UPLOAD_MAX_BYTES = 100
    with pytest.raises(ServiceError):
        _submit(
            household, category, photos=[SimpleUploadedFile("big.jpg", image_bytes("PNG", size=(64, 64)))]
        )
    assert ServiceRequest.objects.count() == 0


def test_submit_refuses_ten_photos(household, category):
    with pytest.raises(ServiceError):
        _submit(household, category, photos=[SimpleUploadedFile(f"{n}.jpg", JPEG) for n in range(10)])
    assert ServiceRequest.objects.count() == 0


def test_submit_common_area_with_building(household, category):
    building = household.room_links.first().room.building
    request = _submit(household, category, room=None, building=building, location_text="电梯")
    assert request.location == f"{building.name} 电梯"


def test_staff_files_an_anonymous_common_area_report(community, category):
    clerk = staff(community, Role.FRONT_DESK)
    request = request_submit(
        community=community,
        channel=RequestChannel.PHONE,
        category=category,
        location_text="东门路灯",
        description="路灯不亮",
        actor=clerk,
        now=NOW,
    )
    assert (request.household, request.person, request.created_by) == (None, None, clerk)


def test_portal_cannot_file_without_a_household(community, category):
    with pytest.raises(ServiceError):
        request_submit(
            community=community,
            channel=RequestChannel.PORTAL,
            category=category,
            location_text="东门",
            description="x",
        )
    assert ServiceRequest.objects.count() == 0


def test_submit_refuses_a_room_of_another_household(household, category):
    other_room = HouseholdRoomFactory(household__community=household.community).room
    with pytest.raises(ServiceError):
        _submit(household, category, room=other_room)
    with pytest.raises(ServiceError):
        _submit(
            household,
            category,
            room=RoomFactory(community=household.community, unit__building__community=household.community),
        )
    assert ServiceRequest.objects.count() == 0


def test_submit_refuses_a_person_of_another_household(household, category):
    stranger = PersonFactory(
        household=HouseholdRoomFactory(household__community=household.community).household
    )
    with pytest.raises(ServiceError):
        _submit(household, category, person=stranger)
    assert ServiceRequest.objects.count() == 0


def test_submit_refuses_a_category_or_building_of_another_community(household):
    with pytest.raises(ServiceError):
        _submit(household, ServiceCategoryFactory())
    category = ServiceCategoryFactory(community=household.community)
    with pytest.raises(ServiceError):
        _submit(household, category, room=None, building=BuildingFactory(), location_text="x")
    assert ServiceRequest.objects.count() == 0


def test_submit_refuses_an_empty_description_or_no_place(household, category):
    with pytest.raises(ServiceError):
        _submit(household, category, description="   ")
    with pytest.raises(ServiceError):
        _submit(household, category, room=None)
    assert ServiceRequest.objects.count() == 0


def test_submit_with_auto_assign_accepts_and_assigns_in_turn(household, community, supervisor):
    first, second = technician(community), technician(community)
    category = ServiceCategoryFactory(community=community, team=team_with(community, first, second))
    service_settings_update(community=community, auto_assign=True, actor=supervisor)
    requests = [_submit(household, category) for _ in range(3)]
    assert [r.state for r in requests] == [RequestState.ASSIGNED] * 3
    assert [r.assignee for r in requests] == [first, second, first]
    assert [r.responded_at for r in requests] == [NOW] * 3
    assert [r.team for r in requests] == [category.team] * 3


def test_submit_with_auto_assign_but_no_team_stays_accepted(household, category, community, supervisor):
    service_settings_update(community=community, auto_assign=True, actor=supervisor)
    assert _submit(household, category).state == RequestState.ACCEPTED
