"""The owner API: login by code, bearer tokens of its own, and exactly the owner's households.

The isolation test walks the OpenAPI schema's /owner/ operations, so an operation is covered the day
it is added; a path argument or POST without a sample body here fails it, so that its author adds one.
"""

import datetime
import json
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import CommunityFactory, HouseholdRoomFactory, PersonFactory, staff
from tests.notices.factories import ActivityFactory
from tests.owners.factories import HouseholdBindingFactory, OwnerAccountFactory
from tests.payments.factories import issue_bill
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from tests.portal.conftest import png_bytes
from tests.uploads import decoded
from wuye.billing.models import BillLine
from wuye.core.models import ApiToken, AuditLog
from wuye.owners.domain.accounts import owner_token_issue
from wuye.owners.models import BindingRequest, LoginCode, OwnerToken
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.payments import counter_payment_take
from wuye.payments.models import PaymentAttempt, PaymentOrder
from wuye.paysim.seed import paysim_accounts

service_factories = pytest.importorskip("tests.service.factories")
ServiceCategoryFactory = service_factories.ServiceCategoryFactory
ServiceRequestFactory = service_factories.ServiceRequestFactory

pytestmark = pytest.mark.django_db
API = "/api/v1"


class OwnerApi:
    def __init__(self, client, key=None):
        self.client = client
        self.headers = {"Accept-Language": "en"}
        if key:
            self.headers["Authorization"] = f"Bearer {key}"

    def get(self, path):
        return self.client.get(API + path, headers=self.headers)

    def post(self, path, body=None):
        return self.client.post(
            API + path, json.dumps(body or {}), content_type="application/json", headers=self.headers
        )

    def multipart(self, path, data):
        return self.client.post(API + path, data, headers=self.headers)


@pytest.fixture
def owner(household):
    return HouseholdBindingFactory(person=household.people.get())


@pytest.fixture
def api(client, owner):
    return OwnerApi(client, owner_token_issue(account=owner.account)[1])


def test_login_with_a_code_gives_a_token(client, owner, sms):
    anonymous = OwnerApi(client)

    with sms.delivered():
        sent = anonymous.post("/owner/login/code", {"phone": "13912345678"})
    verified = anonymous.post(
        "/owner/login/verify", {"phone": "13912345678", "code": sms.code("13912345678")}
    )

    assert sent.status_code == 200
    assert sent.json()["expires_in"] == 300
    assert verified.status_code == 200
    body = verified.json()
    assert body["account"]["pk"] == owner.account.pk
    assert OwnerToken.objects.get().key_hash == OwnerToken.hash_key(body["token"])
    households = OwnerApi(client, body["token"]).get("/owner/households")
    assert [item["pk"] for item in households.json()] == [owner.household_id]


def test_login_with_a_wrong_code_is_refused(client, owner, sms):
    anonymous = OwnerApi(client)
    with sms.delivered():
        anonymous.post("/owner/login/code", {"phone": "13912345678"})
    wrong = "000000" if sms.code("13912345678") != "000000" else "111111"

    response = anonymous.post("/owner/login/verify", {"phone": "13912345678", "code": wrong})

    assert response.status_code == 400
    assert response.json() == {"detail": "Wrong code. 4 attempts left."}
    assert OwnerToken.objects.count() == 0


def test_login_code_rate_limit_answers_400(client, owner):
    anonymous = OwnerApi(client)
    anonymous.post("/owner/login/code", {"phone": "13912345678"})

    response = anonymous.post("/owner/login/code", {"phone": "13912345678"})

    assert response.status_code == 400
    assert "minute" in response.json()["detail"]


def test_login_code_counts_the_client_behind_the_trusted_proxy(client, owner, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    response = client.post(
        f"{API}/owner/login/code",
        json.dumps({"phone": "13912345678"}),
        content_type="application/json",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 2001:db8:1:2::7",
    )

    assert response.status_code == 200
    code = LoginCode.objects.get()
    assert (code.client_address, code.client_network) == ("2001:db8:1:2::7", "2001:db8:1:2::/64")


def _owner_operations(client):
    schema = client.get(f"{API}/openapi.json").json()
    return [
        (method, path.removeprefix(API), operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if path.startswith(f"{API}/owner/")
    ]


def test_every_owner_operation_but_login_needs_an_owner_token(client, community):
    staff_key = ApiToken.issue(user=staff(community), name="t")[1]
    checked = 0
    for method, path, operation in _owner_operations(client):
        if path.startswith("/owner/login/"):
            assert "security" not in operation, path
            continue
        assert operation["security"] == [{"OwnerTokenAuth": []}], path
        url = re.sub(r"\{[^}]+\}", "1", path)
        for key in (None, staff_key, "wo_not-a-token"):
            response = getattr(OwnerApi(client, key), method)(url)
            assert response.status_code == 401, f"{method.upper()} {path} with {key}: {response.status_code}"
        checked += 1
    assert checked >= 10


def test_owner_token_does_not_open_the_staff_api(client, owner):
    key = owner_token_issue(account=owner.account)[1]

    assert OwnerApi(client, key).get("/households").status_code == 401


def test_expired_token_is_refused(client, owner):
    _token, key = owner_token_issue(account=owner.account, now=timezone.now() - datetime.timedelta(days=91))

    assert OwnerApi(client, key).get("/owner/households").status_code == 401


def test_logout_revokes_the_token(api):
    assert api.post("/owner/logout").status_code == 204
    assert api.get("/owner/me").status_code == 401


def test_household_detail_lists_people_masked_and_vehicles(api, owner):
    response = api.get(f"/owner/households/{owner.household_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["person"] == "王小明"
    assert body["people"] == [
        {
            "pk": owner.person.pk,
            "name": "王小明",
            "kind": "owner",
            "relation": "",
            "phone_masked": "139****5678",
        }
    ]
    assert body["community"] == {"pk": owner.community_id, "name": owner.community.name}


def test_bills_are_empty_until_billing_lands(api, owner):
    assert api.get(f"/owner/households/{owner.household_id}/bills").json() == []


def test_create_request_with_a_photo(api, owner):
    category = ServiceCategoryFactory(community=owner.community)
    room = owner.household.room_links.get().room

    response = api.multipart(
        f"/owner/households/{owner.household_id}/requests",
        {
            "category": category.pk,
            "room": room.pk,
            "description": "卫生间漏水",
            "photos": [SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")],
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["household"], body["description"], body["can_cancel"]) == (
        "submitted",
        owner.household_id,
        "卫生间漏水",
        True,
    )
    assert len(body["photos"]) == 1
    photo = api.get(f"/owner/photos/{body['photos'][0]['pk']}")
    assert photo.status_code == 200
    assert decoded(b"".join(photo.streaming_content)) == ("PNG", (8, 8))


@pytest.mark.parametrize(
    ("photos", "detail"),
    [
        (1, "0.png is not a JPEG, PNG, WebP or GIF image (its content was checked, not its name)."),
        (5, "At most 4 photos."),
    ],
)
def test_create_request_refuses_bad_photos(api, owner, photos, detail):
    from wuye.service.models import ServiceRequest

    category = ServiceCategoryFactory(community=owner.community)
    content = b"GIF89a not allowed" if photos == 1 else png_bytes()

    response = api.multipart(
        f"/owner/households/{owner.household_id}/requests",
        {
            "category": category.pk,
            "location_text": "东门",
            "description": "x",
            "photos": [SimpleUploadedFile(f"{n}.png", content) for n in range(photos)],
        },
    )

    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert ServiceRequest.objects.count() == 0


def test_request_detail_shows_no_internal_notes_and_rating_works(api, owner):
    from wuye.service.models import RequestComment

    request = ServiceRequestFactory(
        community=owner.community, household=owner.household, person=owner.person, state="done"
    )
    for visibility, body in (("public", "已修好"), ("internal", "内部备注")):
        RequestComment.objects.create(
            community=owner.community,
            request=request,
            visibility=visibility,
            body=body,
            created_at=timezone.now(),
        )

    detail = api.get(f"/owner/requests/{request.pk}").json()
    rated = api.post(f"/owner/requests/{request.pk}/rating", {"stars": 5, "comment": "好"})
    too_many = api.post(f"/owner/requests/{request.pk}/rating", {"stars": 6})

    assert [comment["body"] for comment in detail["comments"]] == ["已修好"]
    assert detail["can_rate"] is True
    assert rated.status_code == 200
    assert (rated.json()["state"], rated.json()["stars"]) == ("rated", 5)
    assert too_many.status_code == 422


def test_notice_detail_marks_it_read(api, owner):
    from wuye.notices.models import Notice, NoticeRead

    notice = Notice.objects.create(
        community=owner.community,
        title="停水",
        body="明天停水",
        state="published",
        publish_at=timezone.now() - datetime.timedelta(hours=1),
    )

    listed = api.get(f"/owner/households/{owner.household_id}/notices").json()
    detail = api.get(f"/owner/households/{owner.household_id}/notices/{notice.pk}").json()

    assert [(item["pk"], item["is_read"]) for item in listed] == [(notice.pk, False)]
    assert (detail["body"], detail["is_read"]) == ("明天停水", True)
    assert NoticeRead.objects.get().household == owner.household


# --- isolation --------------------------------------------------------------------------------


def _objects(household, person, account=None):
    from wuye.notices.models import Notice
    from wuye.service.models import RequestPhoto

    community = household.community
    request = ServiceRequestFactory(community=community, household=household, person=person, state="done")
    photo = RequestPhoto(community=community, request=request, content_type="image/png", size=10)
    photo.file.save("p.png", ContentFile(png_bytes()), save=False)
    photo.save()
    notice = Notice.objects.create(
        community=community,
        title="通知",
        body="x",
        state="published",
        publish_at=timezone.now() - datetime.timedelta(hours=1),
        audience="buildings",
    )
    notice.building_links.create(community=community, building=household.room_links.get().room.building)
    issue_bill(household, datetime.date(2026, 1, 1), [5000])
    attempt = counter_payment_take(
        household=household,
        line_ids=[BillLine.objects.filter(household=household).get().pk],
        method="card",
        key=f"api{household.pk:021d}",
        actor=None,
    ).attempt
    someone = OwnerAccountFactory(phone=f"137{household.pk:08d}") if account is None else account
    asked = BindingRequest.objects.create(
        community=community,
        account=someone,
        household=household,
        person=person,
        room=household.room_links.get().room,
        name=person.name,
    )
    return {
        "bindingrequest_pk": asked.pk,
        "activity_pk": ActivityFactory(community=community).pk,
        "person_pk": person.pk,
        "paymentattempt_pk": attempt.pk,
        "household_pk": household.pk,
        "servicerequest_pk": request.pk,
        "requestphoto_pk": photo.pk,
        "notice_pk": notice.pk,
        "category": ServiceCategoryFactory(community=community).pk,
    }


BODIES = {
    "owner_request_create": lambda objects: {
        "category": objects["category"],
        "location_text": "东门",
        "description": "x",
    },
    "owner_request_rate": lambda objects: {"stars": 5},
    "owner_request_cancel": lambda objects: {},
    "owner_request_comment": lambda objects: {"body": "x"},
    "owner_payment_create": lambda objects: {"lines": [1], "method": "wechat"},
    "owner_topup_create": lambda objects: {"amount_fen": 100, "method": "wechat"},
    "owner_activity_signup": lambda objects: {"person": objects["person_pk"]},
    "owner_activity_cancel": lambda objects: {"person": objects["person_pk"]},
    "owner_binding_request_withdraw": lambda objects: {},
}
# Objects every household of a community shares (an activity is the community's): a neighbour's is
# the owner's own, so only the other community's must answer 404.
COMMUNITY_WIDE = {"activity_pk"}


def _state():
    from wuye.notices.models import ActivitySignup, NoticeRead
    from wuye.service.models import RequestComment, ServiceRequest

    return (
        AuditLog.objects.count(),
        list(BindingRequest.objects.order_by("pk").values_list("state", flat=True)),
        ActivitySignup.objects.filter(cancelled_at__isnull=True).count(),
        PaymentOrder.objects.count(),
        PaymentAttempt.objects.count(),
        NoticeRead.objects.count(),
        RequestComment.objects.count(),
        list(ServiceRequest.objects.order_by("pk").values_list("state", "stars")),
    )


def _call(api, method, path, operation, objects):
    url = path.format(**{name: objects[name] for name in re.findall(r"\{(\w+)\}", path)})
    if method == "get":
        return api.get(url)
    operation_id = operation["operationId"]
    assert operation_id in BODIES, (
        f"POST {path}: add a sample body for {operation_id} to BODIES in {__name__}"
    )
    body = BODIES[operation_id](objects)
    if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
        return api.multipart(url, body)
    return api.post(url, body)


def test_every_owner_operation_on_anothers_object_answers_404(client, owner):
    api = OwnerApi(client, owner_token_issue(account=owner.account)[1])
    neighbour = HouseholdRoomFactory(household__community=owner.community).household
    foreign = HouseholdRoomFactory(household__community=CommunityFactory()).household
    variants = {
        "neighbour": _objects(neighbour, PersonFactory(household=neighbour)),
        "other community": _objects(foreign, PersonFactory(household=foreign)),
    }
    own = _objects(owner.household, owner.person, owner.account)
    checked = 0
    for method, path, operation in _owner_operations(client):
        names = re.findall(r"\{(\w+)\}", path)
        if not names:
            continue
        for name in names:
            assert name in own, f"{method.upper()} {path}: add {name!r} to _objects() in {__name__}"
        for variant, objects in variants.items():
            # Every argument of the other household; with several, each alone among the owner's own.
            alone = [name for name in names if not (variant == "neighbour" and name in COMMUNITY_WIDE)]
            fills = [objects] + ([{**own, name: objects[name]} for name in alone] if len(names) > 1 else [])
            for fill in fills:
                before = _state()
                response = _call(api, method, path, operation, {**fill, "category": own["category"]})
                assert response.status_code == 404, (
                    f"{variant}: {method.upper()} {path} → {response.status_code}"
                )
                assert _state() == before, f"{variant}: {method.upper()} {path} changed something"
        # Control: on the owner's own objects the operation is found (it may still refuse, with 400).
        response = _call(api, method, path, operation, own)
        assert response.status_code in (200, 204, 400), (
            f"own: {method.upper()} {path} → {response.status_code}"
        )
        checked += 1
    assert checked >= 10


def test_household_list_shows_only_bound_households(api, owner):
    HouseholdRoomFactory(household__community=owner.community)

    assert [item["pk"] for item in api.get("/owner/households").json()] == [owner.household_id]


def test_receipts_list_what_each_paid_with_its_pdf_and_the_prepayment_balance(api, owner, admin_user, client):
    from tests.payments.factories import prepay

    household = owner.household
    bill = issue_bill(household, datetime.date(2026, 10, 1), [12000, 3050])
    lines = list(BillLine.objects.filter(bill=bill).select_related("fee_item").order_by("pk"))
    paid = counter_payment_take(
        household=household,
        line_ids=[line.pk for line in lines],
        method="card",
        key="a" * 24,
        actor=admin_user,
    ).attempt.receipt
    prepaid = prepay(household, 5000, actor=admin_user)
    neighbour = HouseholdRoomFactory(household__community=household.community).household
    prepay(neighbour, 777, actor=admin_user)

    found = api.get(f"/owner/households/{household.pk}/receipts?limit=1&page=2").json()
    balance = api.get(f"/owner/households/{household.pk}/prepayment").json()

    assert (found["count"], found["page"], found["limit"]) == (2, 2, 1)
    [receipt] = found["items"]  # the older one: newest first
    assert (receipt["number"], receipt["kind"], receipt["method"], receipt["amount_fen"]) == (
        paid.display_number,
        "payment",
        "card",
        15050,
    )
    assert receipt["items"] == [
        {"description": f"2026-10 {lines[0].fee_item.name}", "amount_fen": 12000},
        {"description": f"2026-10 {lines[1].fee_item.name}", "amount_fen": 3050},
    ]
    assert receipt["voided_at"] is None
    assert receipt["pdf_url"] == f"http://testserver/m/pay/receipts/{paid.token}/pdf/"
    newest = api.get(f"/owner/households/{household.pk}/receipts").json()["items"][0]
    assert (newest["number"], newest["kind"], newest["amount_fen"]) == (
        prepaid.display_number,
        "prepayment",
        5000,
    )
    assert balance == {"balance_fen": 5000}
    pdf = client.get(receipt["pdf_url"].removeprefix("http://testserver"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_an_owner_pays_a_bill_through_the_api_alone(api, owner, paysim):  # noqa: F811
    household = owner.household
    paysim_accounts(household.community, base_url=paysim.base_url)
    issue_bill(household, datetime.date(2026, 1, 1), [12345, 500])
    issue_bill(household, datetime.date(2026, 2, 1), [20000])

    offered = api.get(f"/owner/households/{household.pk}/pay").json()
    assert offered["methods"] == ["wechat", "alipay"]
    assert [(line["period"], line["outstanding_fen"]) for line in offered["lines"]] == [
        ("2026-01-01", 12345),
        ("2026-01-01", 500),
        ("2026-02-01", 20000),
    ]
    chosen = [offered["lines"][0]["pk"], offered["lines"][2]["pk"]]
    refused = api.post(f"/owner/households/{household.pk}/payments", {"lines": chosen, "method": "cash"})
    assert refused.status_code == 400 and PaymentOrder.objects.count() == 0

    created = api.post(f"/owner/households/{household.pk}/payments", {"lines": chosen, "method": "wechat"})

    assert created.status_code == 201
    payment = created.json()
    assert (payment["state"], payment["amount_fen"], payment["receipt"]) == ("pending", 32345, None)
    assert payment["code_url"].startswith(paysim.base_url + "/phone/")
    paysim.pay(payment["out_trade_no"], notify=False)  # paid by scanning; the notification is late
    PaymentAttempt.objects.filter(pk=payment["pk"]).update(
        created_at=timezone.now() - datetime.timedelta(seconds=6)
    )
    assert api.get(f"/owner/households/{household.pk}/payments/{10**20}").status_code == 404  # beyond bigint
    paid = api.get(f"/owner/households/{household.pk}/payments/{payment['pk']}").json()
    assert paid["state"] == "succeeded"
    receipt = PaymentAttempt.objects.select_related("receipt").get(pk=payment["pk"]).receipt
    assert paid["receipt"] == {
        "number": receipt.display_number,
        "pdf_url": f"http://testserver/m/pay/receipts/{receipt.token}/pdf/",
    }
    assert list(BillLine.objects.order_by("period", "pk").values_list("paid_fen", flat=True)) == [
        12345,
        0,
        20000,
    ]
    listed = api.get(f"/owner/households/{household.pk}/receipts").json()
    assert [(item["number"], item["amount_fen"]) for item in listed["items"]] == [
        (receipt.display_number, 32345)
    ]
    assert not ledger_check(community=household.community)


def test_activities_sign_up_and_cancel_through_the_api(api, owner):
    household = owner.household
    activity = ActivityFactory(community=household.community, capacity=1, title="亲子运动会")
    stranger = PersonFactory(
        household=HouseholdRoomFactory(household__community=household.community).household
    )
    base = f"/owner/households/{household.pk}/activities"

    listed = api.get(base).json()
    signed = api.post(f"{base}/{activity.pk}/signup", {"person": owner.person.pk})
    again = api.post(f"{base}/{activity.pk}/signup", {"person": owner.person.pk})
    full = api.post(f"{base}/{activity.pk}/signup", {"person": PersonFactory(household=household).pk})
    foreign = api.post(f"{base}/{activity.pk}/signup", {"person": stranger.pk})
    cancelled = api.post(f"{base}/{activity.pk}/cancel", {"person": owner.person.pk})

    assert [(item["pk"], item["title"], item["places_left"], item["signed_up"]) for item in listed] == [
        (activity.pk, "亲子运动会", 1, [])
    ]
    assert signed.status_code == 200
    assert [(item["places_left"], item["signed_up"]) for item in signed.json()] == [(0, [owner.person.pk])]
    assert again.json() == signed.json()  # signed up once
    assert full.status_code == 400 and full.json()["detail"]
    assert foreign.status_code == 404
    assert cancelled.status_code == 200
    assert [(item["places_left"], item["signed_up"]) for item in cancelled.json()] == [(1, [])]


def test_an_owner_asks_to_be_bound_and_withdraws_through_the_api(client, household):
    account = OwnerAccountFactory(phone="13800000001")
    api = OwnerApi(client, owner_token_issue(account=account)[1])
    room = household.room_links.get().room
    person = household.people.get()
    PersonFactory(household=household, name="王大明", phone="13912340000")
    body = {
        "community": household.community_id,
        "building": room.building.name,
        "unit": room.unit.name,
        "number": room.number,
        "name": person.name,
        "last_four": "5678",
    }

    communities = api.get("/owner/communities").json()
    wrong = api.post("/owner/binding-requests", {**body, "last_four": "0000"})  # 王大明's digits
    assert wrong.status_code == 400 and BindingRequest.objects.count() == 0
    asked = api.post("/owner/binding-requests", body)

    assert {"pk": household.community_id, "name": household.community.name} in communities
    assert asked.status_code == 201
    created = asked.json()
    assert (created["state"], created["name"], created["community"]) == (
        "pending",
        "王小明",
        household.community.name,
    )
    assert [item["pk"] for item in api.get("/owner/binding-requests").json()] == [created["pk"]]
    withdrawn = api.post(f"/owner/binding-requests/{created['pk']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    assert api.post(f"/owner/binding-requests/{created['pk']}/withdraw").status_code == 404
