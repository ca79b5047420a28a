"""Comments (internal notes and messages to the owner), ratings, return visits and charges."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.uploads import image_bytes
from wuye.core.models import AuditLog
from wuye.service.domain.errors import ServiceError
from wuye.service.domain.queries import latest_requests_of_household, request_comments, requests_of_household
from wuye.service.domain.requests import (
    request_cancel,
    request_charge,
    request_comment,
    request_photo_add,
    request_rate,
    request_return_visit,
)
from wuye.service.enums import EventKind, RequestState, ReturnVisitResult
from wuye.service.models import RequestComment, RequestEvent, RequestPhoto, ServiceRequest

NOW = datetime.datetime(2026, 5, 4, 2, 0, tzinfo=datetime.UTC)
JPEG = image_bytes("JPEG")


def test_owner_sees_messages_not_internal_notes(make_request, tech):
    request = make_request(state=RequestState.ASSIGNED, assignee=tech)
    request_comment(request=request, body="需要先关总阀", internal=True, actor=tech, now=NOW)
    request_comment(request=request, body="明天上午十点上门", internal=False, actor=tech, now=NOW)
    request_comment(request=request, body="好的，谢谢", person=request.person, now=NOW)
    assert [c.body for c in request_comments(request=request)] == [
        "需要先关总阀",
        "明天上午十点上门",
        "好的，谢谢",
    ]
    assert [c.body for c in request_comments(request=request, public_only=True)] == [
        "明天上午十点上门",
        "好的，谢谢",
    ]
    assert (
        AuditLog.objects.filter(action="service.request.commented", household_id=request.household_id).count()
        == 3
    )


def test_owner_cannot_write_an_internal_note_or_on_another_request(make_request):
    request, other = make_request(), make_request()
    with pytest.raises(ServiceError):
        request_comment(request=request, body="x", internal=True, person=request.person)
    with pytest.raises(ServiceError):
        request_comment(request=request, body="x", person=other.person)
    with pytest.raises(ServiceError):
        request_comment(request=request, body="   ", person=request.person)
    assert RequestComment.objects.count() == 0


def test_owner_cannot_write_on_a_closed_request(make_request, tech):
    request = make_request(state=RequestState.CLOSED, assignee=tech, done_at=NOW)
    with pytest.raises(ServiceError):
        request_comment(request=request, body="还是坏的", person=request.person)
    assert RequestComment.objects.count() == 0


def test_owner_cancels_before_work_starts(make_request):
    request = make_request()
    request_cancel(request=request, person=request.person, note="已自行修好", now=NOW)
    stored = ServiceRequest.objects.get(pk=request.pk)
    assert (stored.state, stored.closed_at) == (RequestState.CANCELLED, NOW)
    assert RequestEvent.objects.get(request=request).person == request.person


@pytest.mark.parametrize("stars", [0, 6, None, "5"])
def test_rating_outside_one_to_five_is_refused(make_request, tech, stars):
    request = make_request(state=RequestState.DONE, assignee=tech, done_at=NOW)
    with pytest.raises(ServiceError):
        request_rate(request=request, person=request.person, stars=stars)
    assert ServiceRequest.objects.get(pk=request.pk).state == RequestState.DONE


def test_return_visit_after_the_work(make_request, tech, supervisor):
    request = make_request(state=RequestState.RATED, assignee=tech, done_at=NOW, stars=5)
    request_return_visit(
        request=request, result=ReturnVisitResult.SATISFIED, note="业主很满意", actor=supervisor, now=NOW
    )
    stored = ServiceRequest.objects.get(pk=request.pk)
    assert (stored.return_visit_result, stored.return_visit_note, stored.return_visited_at) == (
        ReturnVisitResult.SATISFIED,
        "业主很满意",
        NOW,
    )
    assert stored.state == RequestState.RATED
    assert RequestEvent.objects.get(request=request).kind == EventKind.RETURN_VISIT


def test_return_visit_before_the_work_is_done_is_refused(make_request, tech, supervisor):
    request = make_request(state=RequestState.IN_PROGRESS, assignee=tech)
    with pytest.raises(ServiceError):
        request_return_visit(request=request, result=ReturnVisitResult.SATISFIED, actor=supervisor)
    assert ServiceRequest.objects.get(pk=request.pk).return_visit_result == ""


def test_charge_records_fen_only(make_request, tech):
    request = make_request(state=RequestState.IN_PROGRESS, assignee=tech)
    request_charge(request=request, amount_fen=4550, note="更换角阀", actor=tech, now=NOW)
    stored = ServiceRequest.objects.get(pk=request.pk)
    assert (stored.charge_fen, stored.charge_note) == (4550, "更换角阀")
    assert RequestEvent.objects.get(request=request).note == "¥45.50 更换角阀"
    assert AuditLog.objects.get(action="service.request.charged").changes["charge_fen"] == [0, 4550]


@pytest.mark.parametrize("amount", [-1, 45.5, "4550", True])
def test_charge_must_be_whole_non_negative_fen(make_request, tech, amount):
    request = make_request(state=RequestState.IN_PROGRESS, assignee=tech)
    with pytest.raises(ServiceError):
        request_charge(request=request, amount_fen=amount, actor=tech)
    assert ServiceRequest.objects.get(pk=request.pk).charge_fen == 0


def test_photos_added_later_are_checked_too(make_request, tech):
    request = make_request(state=RequestState.IN_PROGRESS, assignee=tech)
    request_photo_add(request=request, photos=[SimpleUploadedFile("after.jpg", JPEG)], actor=tech)
    with pytest.raises(ServiceError):
        request_photo_add(request=request, photos=[SimpleUploadedFile("x.jpg", b"MZ\x90\x00")], actor=tech)
    assert RequestPhoto.objects.filter(request=request).count() == 1


def test_requests_of_household_newest_first(make_request, household):
    first = make_request(household=household, submitted_at=NOW)
    second = make_request(household=household, submitted_at=NOW + datetime.timedelta(hours=1))
    make_request()
    assert [r.pk for r in requests_of_household(household=household)] == [second.pk, first.pk]


def test_latest_requests_are_the_first_of_requests_of_household_with_their_category(make_request, household):
    made = [
        make_request(household=household, submitted_at=NOW + datetime.timedelta(minutes=minutes))
        for minutes in (5, 0, 5, 30, 1, 7)
    ]
    make_request(submitted_at=NOW + datetime.timedelta(hours=2))  # another household's
    expected = list(requests_of_household(household=household))
    assert len(expected) == len(made)
    for limit in (1, 5, 10):
        latest = latest_requests_of_household(household=household, limit=limit)
        assert [r.pk for r in latest] == [r.pk for r in expected[:limit]]
        assert [r.category.name for r in latest] == [r.category.name for r in expected[:limit]]
