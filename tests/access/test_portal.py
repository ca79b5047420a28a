"""The owner's visitor passes in the portal: made, listed with the visitor's phone masked, shared by a
public link with its QR code, revoked; another household's pass answers 404 and changes nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.access.factories import VisitorPassFactory
from tests.factories import HouseholdRoomFactory
from tests.portal.conftest import log_in
from wuye.access.models import VisitorPass
from wuye.core.models import AuditLog

pytestmark = pytest.mark.django_db
FORMAT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def owner_client(client, estate):
    return log_in(client, estate["binding"].account)


def form(**values):
    start = timezone.localtime() + datetime.timedelta(minutes=10)
    data = {
        "visitor_name": "李访客",
        "visitor_phone": "13800001111",
        "valid_from": start.strftime(FORMAT),
        "valid_until": (start + datetime.timedelta(hours=3)).strftime(FORMAT),
        "max_uses": "2",
    }
    return {**data, **values}


def test_portal_visitor_pass_created_and_shared(owner_client, estate):
    response = owner_client.post(reverse("portal:visitor_new"), form())

    visitor_pass = VisitorPass.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:visitor_share", kwargs={"token": visitor_pass.token})
    assert (visitor_pass.household, visitor_pass.max_uses) == (estate["household"], 2)
    assert visitor_pass.created_by_id == estate["binding"].account_id


def test_portal_visitor_pass_refused_window_changes_nothing(owner_client):
    start = timezone.localtime() + datetime.timedelta(days=1)
    too_long = form(valid_until=(start + datetime.timedelta(days=8)).strftime(FORMAT))

    for data in (too_long, form(max_uses="11"), form(max_uses="0"), form(visitor_name="")):
        response = owner_client.post(reverse("portal:visitor_new"), data)
        assert response.status_code == 200

    assert VisitorPass.objects.count() == 0


def test_portal_visitor_list_masks_the_phone(owner_client, estate):
    VisitorPassFactory(household=estate["household"], created_by=estate["binding"].account)

    response = owner_client.get(reverse("portal:visitors"))

    assert response.status_code == 200
    assert b"138****1111" in response.content and b"13800001111" not in response.content


def test_portal_profile_links_to_visitor_passes(owner_client):
    response = owner_client.get(reverse("portal:profile"))

    assert reverse("portal:visitors").encode() in response.content


def test_portal_share_page_shows_the_qr_and_nothing_of_the_household(client, estate):
    visitor_pass = VisitorPassFactory(household=estate["household"], created_by=estate["binding"].account)

    response = client.get(reverse("portal:visitor_share", kwargs={"token": visitor_pass.token}))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="visitor-qr"' in page and "<svg" in page
    assert estate["household"].name not in page
    assert estate["person"].name not in page
    assert str(estate["household"].room_links.get().room.number) not in page.split('id="visitor-pass"')[1]
    assert visitor_pass.visitor_phone not in page
    assert response["Cache-Control"].startswith("max-age=0")


def test_portal_share_page_of_a_revoked_pass_shows_no_qr(client, estate):
    visitor_pass = VisitorPassFactory(household=estate["household"], revoked_at=timezone.now())

    response = client.get(reverse("portal:visitor_share", kwargs={"token": visitor_pass.token}))

    assert response.status_code == 200
    assert b"<svg" not in response.content


@pytest.mark.parametrize("token", ["x" * 32, "short", "-" * 40])
def test_portal_share_page_of_an_unknown_token_answers_404(client, token):
    assert client.get(reverse("portal:visitor_share", kwargs={"token": token})).status_code == 404
    assert client.post(reverse("portal:visitor_share", kwargs={"token": token})).status_code == 404


def test_portal_visitor_revoke(owner_client, estate):
    visitor_pass = VisitorPassFactory(household=estate["household"], created_by=estate["binding"].account)

    response = owner_client.post(reverse("portal:visitor_revoke"), {"pass": visitor_pass.pk})

    assert response.status_code == 302
    visitor_pass.refresh_from_db()
    assert visitor_pass.revoked_at is not None
    assert AuditLog.objects.filter(action="access.pass.revoked", household_id=estate["household"].pk).exists()


def test_portal_another_households_pass_answers_404_and_changes_nothing(owner_client, estate):
    neighbour = HouseholdRoomFactory(household__community=estate["community"]).household
    foreign = HouseholdRoomFactory().household
    passes = [VisitorPassFactory(household=neighbour), VisitorPassFactory(household=foreign)]
    before = AuditLog.objects.count()

    for visitor_pass in passes:
        response = owner_client.post(reverse("portal:visitor_revoke"), {"pass": visitor_pass.pk})
        assert response.status_code == 404
    for bad in ("", "abc", "-1"):
        assert owner_client.post(reverse("portal:visitor_revoke"), {"pass": bad}).status_code == 404

    assert list(VisitorPass.objects.values_list("revoked_at", flat=True)) == [None, None]
    assert AuditLog.objects.count() == before
    listed = owner_client.get(reverse("portal:visitors")).context["rows"]
    assert listed == []


def test_portal_visitor_pages_need_a_login(client):
    for name in ("portal:visitors", "portal:visitor_new"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/m/login/" in response["Location"]
    assert client.post(reverse("portal:visitor_revoke"), {"pass": 1}).status_code == 302
