import datetime
import json
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.billing.factories import FeeAssignmentFactory, FeeItemFactory, MeterFactory
from tests.factories import (
    CommunityFactory,
    HouseholdRoomFactory,
    HouseholdTagFactory,
    PersonFactory,
    TagFactory,
    staff,
)
from tests.service.factories import ServiceCategoryFactory, ServiceRequestFactory
from wuye.billing.domain.compute import add_months
from wuye.billing.domain.meters import readings_enter
from wuye.billing.domain.runs import run_issue, run_preview
from wuye.core.enums import Role
from wuye.core.models import ApiToken
from wuye.notices.domain.notices import notice_create, notice_schedule
from wuye.payments.domain.payments import counter_payment_take
from wuye.payments.domain.queries import open_lines
from wuye.payments.domain.refunds import refund_request

API = "/api/v1"


class ApiClient:
    """The Django test client with a bearer token, English messages and JSON bodies."""

    def __init__(self, client, key: str | None):
        self.client = client
        self.headers = {"Accept-Language": "en"}
        if key is not None:
            self.headers["Authorization"] = f"Bearer {key}"

    def get(self, path: str, params=None):
        return self.client.get(API + path, params or {}, headers=self.headers)

    def post(self, path: str, body: dict):
        return self.client.post(
            API + path, json.dumps(body), content_type="application/json", headers=self.headers
        )

    def delete(self, path: str):
        return self.client.delete(API + path, headers=self.headers)

    def call(self, method: str, path: str, body: dict | None = None):
        if method == "post":
            return self.post(path, body or {})
        return getattr(self, method)(path)


@pytest.fixture
def api_as(client):
    """api_as(user) → an ApiClient holding a fresh token of ``user``; api_as(None) sends no token."""

    def make(user):
        if user is None:
            return ApiClient(client, None)
        _token, key = ApiToken.issue(user=user, name="tests")
        return ApiClient(client, key)

    return make


@pytest.fixture
def operations(client):
    """Every (method, path without the /api/v1 prefix, operation) of the API's OpenAPI schema."""
    schema = client.get(f"{API}/openapi.json").json()
    found = [
        (method, path.removeprefix(API), operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    assert found, "the API has no operations"
    return found, schema


def archive(community):
    """One household with a room, a person, a manual tag on it, and a second manual tag not on it;
    billing: a fee item on the room, months issued three and two months ago and a previewed run for
    this month; money: a counter payment of the older month's line (with its receipt) and a refund of
    50 yuan of it waiting for approval, the newer line still open; a water meter of the room read in
    2026-10; a submitted service request of the household; a notice scheduled for tomorrow."""
    link = HouseholdRoomFactory(household__community=community)
    person = PersonFactory(household=link.household, id_number="110105199001011234")
    applied = HouseholdTagFactory(household=link.household)
    spare = TagFactory(community=community)
    return {
        "household": link.household,
        "room": link.room,
        "tag": applied.tag,
        "spare_tag": spare,
        "community": community,
        **billing(community, link.room),
        **money(link.household),
        **work(community, link.household, person, link.room),
    }


def billing(community, room):
    fee_item = FeeItemFactory(community=community, valid_from=datetime.date(2020, 1, 1))
    FeeAssignmentFactory(fee_item=fee_item, room=room, starts_on=datetime.date(2020, 1, 1))
    this_month = timezone.localdate().replace(day=1)
    for months_back in (3, 2):
        issued = run_preview(community=community, period=add_months(this_month, -months_back), actor=None)
        run_issue(run=issued, actor=None)
    return {"fee_item": fee_item, "run": run_preview(community=community, period=this_month, actor=None)}


def money(household):
    """The older open line paid at the counter by card; 50 yuan of it asked back (by nobody in
    particular, so that any supervisor may approve it)."""
    older, newer = open_lines(household=household)
    taken = counter_payment_take(
        household=household, line_ids=[older.pk], method="card", key=uuid.uuid4().hex[:24], actor=None
    )
    refund = refund_request(attempt=taken.attempt, amount_fen=5000, reason="多收", actor=None)
    return {"attempt": taken.attempt, "receipt": taken.attempt.receipt, "refund": refund, "bill_line": newer}


def work(community, household, person, room):
    meter = MeterFactory(community=community, room=room)
    readings_enter(
        community=community,
        period=datetime.date(2026, 10, 1),
        rows=[(meter, Decimal("10.00"), False)],
        actor=None,
    )
    service_request = ServiceRequestFactory(
        community=community,
        category=ServiceCategoryFactory(community=community),
        household=household,
        person=person,
        room=room,
    )
    notice = notice_create(community=community, title="停水通知", body="明日停水。", actor=None)
    notice_schedule(notice=notice, publish_at=timezone.now() + datetime.timedelta(days=1), actor=None)
    return {"meter": meter, "service_request": service_request, "notice": notice}


@pytest.fixture
def two_communities(db):
    """Communities A and B with the same archive shape, and an administrator of A only."""
    community_a, community_b = CommunityFactory(), CommunityFactory()
    return {
        "a": community_a,
        "b": community_b,
        "a_objects": archive(community_a),
        "b_objects": archive(community_b),
        "admin_a": staff(community_a, Role.ADMINISTRATOR),
    }
