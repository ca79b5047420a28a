import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.portal.conftest import png_bytes
from tests.service.factories import ServiceCategoryFactory, ServiceRequestFactory
from tests.uploads import decoded
from wuye.core.models import AuditLog
from wuye.service.models import RequestComment, RequestPhoto, ServiceRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def leak(owner):
    parent = ServiceCategoryFactory(community=owner.community, name="水电")
    return ServiceCategoryFactory(community=owner.community, name="漏水", parent=parent)


def photo(name="leak.png", content=None):
    return SimpleUploadedFile(name, content if content is not None else png_bytes(), content_type="image/png")


def form(owner, leak, **overrides):
    values = {
        "type": "repair",
        "category": leak.pk,
        "where": "room",
        "room": owner.household.room_links.get().room_id,
        "description": "厨房水管漏水",
        "preferred_time": "2026-06-01T09:30",
    }
    values.update(overrides)
    return values


def own_request(owner, **values):
    return ServiceRequestFactory(
        community=owner.community, household=owner.household, person=owner.person, **values
    )


def test_request_new_form_shows_the_category_tree(owner_client, leak):
    html = owner_client.get(reverse("portal:request_new")).content.decode()

    assert '<optgroup label="水电">' in html
    assert f'<option value="{leak.pk}">漏水</option>' in html
    assert 'type="file"' in html


def test_request_new_with_a_photo_reports_it_for_the_household(owner_client, owner, leak):
    response = owner_client.post(reverse("portal:request_new"), {**form(owner, leak), "photos": [photo()]})

    request = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:request", args=[request.pk])
    assert (request.household, request.person, request.channel, request.category, request.state) == (
        owner.household,
        owner.person,
        "portal",
        leak,
        "submitted",
    )
    assert request.room == owner.household.room_links.get().room
    assert request.preferred_time is not None
    stored = RequestPhoto.objects.get()
    assert (stored.content_type, stored.size) == ("image/png", stored.file.size)
    assert (
        AuditLog.objects.filter(action="service.request.submitted", household_id=owner.household_id).count()
        == 1
    )


def test_request_new_in_a_common_area(owner_client, owner, leak):
    building = owner.household.room_links.get().room.building

    owner_client.post(
        reverse("portal:request_new"),
        form(owner, leak, where="common", room="", building=building.pk, location_text="2单元电梯"),
    )

    request = ServiceRequest.objects.get()
    assert (request.room, request.building, request.location_text) == (None, building, "2单元电梯")


def test_request_new_refuses_a_file_that_is_not_a_photo(owner_client, owner, leak):
    response = owner_client.post(
        reverse("portal:request_new"),
        {**form(owner, leak), "photos": [photo("x.png", b"%PDF-1.4 not an image")]},
    )

    assert response.status_code == 200
    assert ServiceRequest.objects.count() == 0
    assert RequestPhoto.objects.count() == 0


def test_request_new_refuses_more_than_four_photos(owner_client, owner, leak):
    response = owner_client.post(
        reverse("portal:request_new"), {**form(owner, leak), "photos": [photo(f"{n}.png") for n in range(5)]}
    )

    assert response.status_code == 200
    assert ServiceRequest.objects.count() == 0


def test_request_new_refuses_a_photo_too_large(owner_client, owner, leak, settings):
    settings.UPLOAD_MAX_BYTES = 50

    response = owner_client.post(reverse("portal:request_new"), {**form(owner, leak), "photos": [photo()]})

    assert response.status_code == 200
    assert ServiceRequest.objects.count() == 0


def test_request_new_refuses_another_communitys_category(owner_client, owner, leak):
    foreign = ServiceCategoryFactory()

    response = owner_client.post(reverse("portal:request_new"), form(owner, leak, category=foreign.pk))

    assert response.status_code == 200
    assert ServiceRequest.objects.count() == 0


def test_request_list_shows_only_the_households_requests(owner_client, owner):
    mine = own_request(owner, description="我的报修")
    other = ServiceRequestFactory(community=owner.community, description="别人的报修")

    html = owner_client.get(reverse("portal:requests")).content.decode()

    assert reverse("portal:request", args=[mine.pk]) in html
    assert reverse("portal:request", args=[other.pk]) not in html


def test_request_detail_shows_public_messages_not_internal_notes(owner_client, owner):
    request = own_request(owner)
    for visibility, body in (("public", "明天上午上门"), ("internal", "业主比较难沟通")):
        RequestComment.objects.create(
            community=owner.community,
            request=request,
            visibility=visibility,
            body=body,
            created_at=request.submitted_at,
        )

    html = owner_client.get(reverse("portal:request", args=[request.pk])).content.decode()

    assert "明天上午上门" in html
    assert "业主比较难沟通" not in html


def test_request_cancel_while_not_started(owner_client, owner):
    request = own_request(owner)

    owner_client.post(reverse("portal:request_cancel", args=[request.pk]))

    request.refresh_from_db()
    assert request.state == "cancelled"


def test_request_cancel_refused_once_work_started(owner_client, owner, community):
    from tests.service.factories import technician

    request = own_request(owner, state="in_progress", assignee=technician(community))

    html = owner_client.get(reverse("portal:request", args=[request.pk])).content.decode()
    response = owner_client.post(reverse("portal:request_cancel", args=[request.pk]), follow=True)

    assert reverse("portal:request_cancel", args=[request.pk]) not in html
    assert "msg-error" in response.content.decode()
    request.refresh_from_db()
    assert request.state == "in_progress"


def test_request_rate_when_done(owner_client, owner):
    request = own_request(owner, state="done")

    owner_client.post(reverse("portal:request_rate", args=[request.pk]), {"stars": "4", "comment": "很及时"})

    request.refresh_from_db()
    assert (request.state, request.stars, request.rating_comment) == ("rated", 4, "很及时")


def test_request_rate_refused_before_done(owner_client, owner):
    request = own_request(owner)

    owner_client.post(reverse("portal:request_rate", args=[request.pk]), {"stars": "5"})

    request.refresh_from_db()
    assert (request.state, request.stars) == ("submitted", None)


@pytest.mark.parametrize("stars", ["0", "6", "x", ""])
def test_request_rate_refuses_stars_outside_one_to_five(owner_client, owner, stars):
    request = own_request(owner, state="done")

    owner_client.post(reverse("portal:request_rate", args=[request.pk]), {"stars": stars})

    request.refresh_from_db()
    assert (request.state, request.stars) == ("done", None)


def test_request_comment_by_the_owner(owner_client, owner):
    request = own_request(owner)

    owner_client.post(reverse("portal:request_comment", args=[request.pk]), {"body": "下午三点后在家"})

    comment = RequestComment.objects.get()
    assert (comment.person, comment.visibility, comment.body) == (owner.person, "public", "下午三点后在家")


def test_request_photo_is_served_to_the_owner(owner_client, owner, leak):
    owner_client.post(reverse("portal:request_new"), {**form(owner, leak), "photos": [photo()]})
    stored = RequestPhoto.objects.get()

    response = owner_client.get(reverse("portal:request_photo", args=[stored.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert decoded(b"".join(response.streaming_content)) == ("PNG", (8, 8))


# A report refused for another field keeps its photo: a browser never sends a file again.


def _held_tokens(response) -> list[str]:
    return [photo.token for photo in response.context["held"]]


@pytest.mark.parametrize("wrong", [{"description": ""}, {"category": ""}])
def test_a_refused_report_keeps_its_photo_and_the_next_post_attaches_it(owner_client, owner, leak, wrong):
    refused = owner_client.post(
        reverse("portal:request_new"), {**form(owner, leak, **wrong), "photos": [photo()]}
    )

    assert refused.status_code == 200
    assert (ServiceRequest.objects.count(), RequestPhoto.objects.count()) == (0, 0)
    [token] = _held_tokens(refused)
    html = refused.content.decode()
    assert f'name="held_photo" value="{token}" checked' in html
    assert "已附照片" in html
    shown = owner_client.get(reverse("portal:request_held_photo", args=[token]))
    assert shown.status_code == 200
    assert decoded(b"".join(shown.streaming_content)) == ("PNG", (8, 8))

    accepted = owner_client.post(reverse("portal:request_new"), {**form(owner, leak), "held_photo": token})

    request = ServiceRequest.objects.get()
    assert accepted["Location"] == reverse("portal:request", args=[request.pk])
    stored = RequestPhoto.objects.get()
    assert stored.request == request
    assert decoded(stored.file.read()) == ("PNG", (8, 8))
    assert owner_client.session["portal.held_photos"] == {}  # let go once attached
    assert owner_client.get(reverse("portal:request_held_photo", args=[token])).status_code == 404


def test_a_held_photo_can_be_left_out_and_a_new_one_added(owner_client, owner, leak):
    refused = owner_client.post(
        reverse("portal:request_new"), {**form(owner, leak, description=""), "photos": [photo("a.png")]}
    )
    assert len(_held_tokens(refused)) == 1

    owner_client.post(
        reverse("portal:request_new"),
        {**form(owner, leak), "photos": [photo("b.png", png_bytes(size=(4, 4)))]},  # held one unticked
    )

    [stored] = RequestPhoto.objects.all()
    assert decoded(stored.file.read()) == ("PNG", (4, 4))


def test_a_token_this_session_does_not_hold_attaches_nothing(owner_client, owner, leak, client):
    refused = owner_client.post(
        reverse("portal:request_new"), {**form(owner, leak, description=""), "photos": [photo()]}
    )
    [token] = _held_tokens(refused)
    session = owner_client.session
    session["portal.held_photos"] = {}  # another session: it never held this photo
    session.save()

    owner_client.post(reverse("portal:request_new"), {**form(owner, leak), "held_photo": token})

    assert ServiceRequest.objects.count() == 1
    assert RequestPhoto.objects.count() == 0
    assert owner_client.get(reverse("portal:request_held_photo", args=[token])).status_code == 404


def test_held_and_new_photos_together_are_at_most_four(owner_client, owner, leak):
    refused = owner_client.post(
        reverse("portal:request_new"),
        {**form(owner, leak, description=""), "photos": [photo(f"{n}.png") for n in range(3)]},
    )
    tokens = _held_tokens(refused)
    assert len(tokens) == 3

    again = owner_client.post(
        reverse("portal:request_new"),
        {**form(owner, leak), "held_photo": tokens, "photos": [photo("x.png"), photo("y.png")]},
    )

    assert again.status_code == 200
    assert (ServiceRequest.objects.count(), RequestPhoto.objects.count()) == (0, 0)
    assert len(_held_tokens(again)) == 4  # the three kept and the first new one; the form says why
