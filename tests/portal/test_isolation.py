"""An owner gets 404 for every portal page of an object outside their households.

The test walks every URL pattern of the portal, so a new page is covered the day it is added; a URL
argument it does not know fails it, so that its author adds objects for it to ``foreign_objects``.
"""

import datetime
import uuid

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.billing.factories import FeeItemFactory
from tests.factories import CommunityFactory, HouseholdRoomFactory, PersonFactory
from tests.owners.factories import HouseholdBindingFactory, OwnerAccountFactory
from tests.portal.conftest import png_bytes
from tests.service.factories import ServiceRequestFactory
from wuye.core.models import AuditLog
from wuye.debit.domain.mandates import MandateTerms, mandate_sign_online
from wuye.debit.models import BankBranch, CardReferral, Mandate
from wuye.notices.models import Activity, ActivitySignup, Notice, NoticeBuilding, NoticeRead
from wuye.owners.models import BindingRequest
from wuye.rental.domain.leases import listing_create
from wuye.rental.models import Listing
from wuye.service.models import RequestComment, RequestPhoto


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _patterns(entry, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{prefix}{entry.name}", list(entry.pattern.converters)


def portal_patterns_with_objects():
    return [(name, args) for name, args in _patterns(get_resolver()) if name.startswith("portal:") and args]


def _objects_of(household, *, person, notice_audience="community"):
    """One object of every kind a portal URL names, belonging to ``household`` (or its community)."""
    community = household.community
    request = ServiceRequestFactory(community=community, household=household, person=person)
    photo = RequestPhoto(community=community, request=request, content_type="image/png", size=10)
    photo.file.save("p.png", ContentFile(png_bytes()), save=False)
    photo.save()
    notice = Notice.objects.create(
        community=community,
        title="通知",
        body="x",
        state="published",
        publish_at=timezone.now() - datetime.timedelta(hours=1),
        audience=notice_audience,
    )
    if notice_audience == "buildings":
        NoticeBuilding.objects.create(
            community=community, notice=notice, building=household.room_links.get().room.building
        )
    start = timezone.now() + datetime.timedelta(days=2)
    activity = Activity.objects.create(
        community=community, title="活动", place="会所", starts_at=start, signup_deadline=start, capacity=5
    )
    request_for_binding = BindingRequest.objects.create(
        community=community,
        account=OwnerAccountFactory(),
        household=household,
        person=person,
        room=household.room_links.get().room,
        name=person.name,
    )
    mandate = mandate_sign_online(
        household=household,
        terms=MandateTerms(
            bank_name="合作银行",
            holder_name=person.name,
            card_number="6228480402564890018",
            fee_items=(FeeItemFactory(community=community),),
            effective_on=datetime.date(2025, 1, 1),
        ),
        code_checked=True,
    )
    referral = CardReferral.objects.create(
        community=community,
        household=household,
        branch=BankBranch.objects.create(company=community.company, name="支行"),
        name=person.name,
        phone="13900000000",
        visit_at=start,
    )
    listing = listing_create(
        community=community,
        room=household.room_links.get().room,
        rent_fen=100_000,
        deposit_fen=0,
        actor=None,
    )
    return {
        "listing_pk": listing.pk,
        "mandate_pk": mandate.pk,
        "cardreferral_pk": referral.pk,
        "servicerequest_pk": request.pk,
        "requestphoto_pk": photo.pk,
        "notice_pk": notice.pk,
        "activity_pk": activity.pk,
        "bindingrequest_pk": request_for_binding.pk,
        # A photo held for a refused report: its token lives in the holder's session alone (the own
        # session's case is tested with the report form, tests/portal/test_requests.py).
        "token": uuid.uuid4().hex,
    }


@pytest.fixture
def setting(db):
    """An owner bound to a household of community A; a neighbour's household in A; community B."""
    community_a = CommunityFactory(name="小区A")
    own = HouseholdRoomFactory(household__community=community_a).household
    binding = HouseholdBindingFactory(person=PersonFactory(household=own, phone="13912345678"))
    neighbour = HouseholdRoomFactory(household__community=community_a).household
    foreign = HouseholdRoomFactory(household__community=CommunityFactory(name="小区B")).household
    neighbour_objects = _objects_of(
        neighbour, person=PersonFactory(household=neighbour), notice_audience="buildings"
    )
    # An activity of the owner's own community is theirs to see: only B's counts as foreign.
    neighbour_objects.pop("activity_pk")
    return {
        "binding": binding,
        "variants": {
            "neighbour": neighbour_objects,
            "other community": _objects_of(foreign, person=PersonFactory(household=foreign)),
        },
    }


def _state():
    return (
        AuditLog.objects.count(),
        NoticeRead.objects.count(),
        ActivitySignup.objects.count(),
        RequestComment.objects.count(),
        list(BindingRequest.objects.values_list("state", flat=True)),
        list(Mandate.objects.values_list("state", flat=True)),
        list(CardReferral.objects.values_list("state", flat=True)),
        list(Listing.objects.values_list("state", flat=True)),
    )


def test_portal_has_object_pages():
    assert len(portal_patterns_with_objects()) >= 10


def test_every_portal_page_of_another_households_object_answers_404(client, setting):
    from tests.portal.conftest import log_in

    log_in(client, setting["binding"].account)
    person = setting["binding"].person
    checked = 0
    for variant, objects in setting["variants"].items():
        for name, args in portal_patterns_with_objects():
            if variant == "neighbour" and "activity_pk" in args:
                continue
            unknown = set(args) - set(objects)
            assert not unknown, f"{name}: add an object for {unknown} to _objects_of() in {__name__}"
            url = reverse(name, kwargs={arg: objects[arg] for arg in args})
            before = _state()
            get = client.get(url)
            assert get.status_code in (404, 405), f"{variant}: GET {url} ({name}) answered {get.status_code}"
            post = client.post(url, {"person": person.pk, "stars": "5", "body": "x", "household": 0})
            assert post.status_code == 404, f"{variant}: POST {url} ({name}) answered {post.status_code}"
            assert _state() == before, f"{variant}: {name} changed something"
            checked += 1
    assert checked >= 2 * len(portal_patterns_with_objects()) - 4


def test_the_same_pages_answer_for_the_owners_own_objects(client, setting):
    """Control: with the owner's own objects the GET pages work, so the 404s above mean something."""
    from tests.portal.conftest import log_in

    binding = setting["binding"]
    log_in(client, binding.account)
    own = _objects_of(binding.household, person=binding.person)
    for name, args in portal_patterns_with_objects():
        if "token" in args:
            continue  # a held photo is the session's own only once its form held it
        url = reverse(name, kwargs={arg: own[arg] for arg in args})
        response = client.get(url)
        assert response.status_code in (200, 405), f"GET {url} ({name}) answered {response.status_code}"
