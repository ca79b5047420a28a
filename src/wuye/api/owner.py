"""The owner API, /api/v1/owner/: an owner's app logs in with a one-time code and sees exactly the
households its account is bound to. Anything else answers 404, as if it did not exist.

Authentication is its own bearer scheme (``OwnerTokenAuth``): staff tokens never work here and
owner tokens never work on the staff operations. Domain refusals answer 400 with a translated
``detail``.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router
from ninja.errors import HttpError
from ninja.files import UploadedFile

from wuye.api.owner_auth import OwnerTokenAuth
from wuye.api.owner_schemas import (
    ActivityOut,
    BillHistoryPageOut,
    BillOut,
    BindingRequestIn,
    BindingRequestOut,
    CategoryOut,
    CommentIn,
    LeaseOut,
    LoginCodeIn,
    LoginCodeOut,
    LoginVerifyIn,
    NoticeDetailOut,
    NoticeOut,
    OwnerAccountOut,
    OwnerHouseholdDetailOut,
    OwnerHouseholdOut,
    OwnerTokenOut,
    PaymentIn,
    PaymentOut,
    PayOut,
    PrepaymentOut,
    RatingIn,
    ReceiptPageOut,
    RequestDetailOut,
    RequestIn,
    RequestOut,
    SignupIn,
    TopupIn,
)
from wuye.api.pagination import page_of
from wuye.api.schemas import ErrorOut, NamedRefOut, PageQuery
from wuye.billing.domain.arrears import household_bills
from wuye.core.models import Community
from wuye.core.net import client_address
from wuye.core.uploads import upload_response
from wuye.estate.models import Building
from wuye.notices.domain.activities import activity_cancel, activity_signup
from wuye.notices.domain.errors import NoticeError
from wuye.notices.domain.notices import notice_mark_read
from wuye.owners.domain import queries
from wuye.owners.domain.accounts import owner_token_issue, owner_token_revoke
from wuye.owners.domain.bindings import BindingError, binding_request_submit, binding_request_withdraw
from wuye.owners.domain.login import CODE_LIFETIME, LoginError, account_login, login_code_send
from wuye.owners.domain.queries import acting_person
from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.domain.queries import attempt_for_page, bill_payers, receipt_items, receipts_for_household
from wuye.payments.enums import Channel, PaymentMethod
from wuye.payments.models import PaymentAttempt
from wuye.portal.domain.pay import PayError, jsapi_params, pay_attempt_refreshed, pay_start, topup_start
from wuye.portal.domain.queries import pay_bills, pay_methods
from wuye.rental.domain.queries import leases_as_tenant, tenant_lease
from wuye.service.domain.errors import ServiceError
from wuye.service.domain.queries import categories_tree
from wuye.service.domain.requests import request_cancel, request_comment, request_rate, request_submit
from wuye.service.enums import RequestChannel
from wuye.service.models import ServiceCategory

router = Router(tags=["owner"], auth=OwnerTokenAuth())

PORTAL_MAX_PHOTOS = 4


def _binding(request, household_pk: int):
    binding = queries.binding_of(request.owner, household_pk)
    if binding is None:
        raise Http404
    return binding


def _service_request(request, servicerequest_pk: int):
    found = queries.request_of(account=request.owner, pk=servicerequest_pk)
    if found is None:
        raise Http404
    return found, queries.binding_of(request.owner, found.household_id)


def _refused(error: Exception):
    return HttpError(400, str(error))


# --- login ---------------------------------------------------------------------------------------


@router.post(
    "/login/code", auth=None, response={200: LoginCodeOut, 400: ErrorOut}, operation_id="owner_login_code"
)
def owner_login_code(request, payload: LoginCodeIn):
    """Send a six-digit code by SMS. At most one a minute and five an hour per phone, twenty an hour
    per client address. A phone no household and no account knows gets the same answer and no SMS."""
    try:
        login_code_send(phone=payload.phone, client_address=client_address(request))
    except LoginError as error:
        raise _refused(error) from None
    return {"detail": _("A code was sent by SMS."), "expires_in": int(CODE_LIFETIME.total_seconds())}


@router.post(
    "/login/verify",
    auth=None,
    response={200: OwnerTokenOut, 400: ErrorOut},
    operation_id="owner_login_verify",
)
def owner_login_verify(request, payload: LoginVerifyIn):
    """Exchange the phone and its code for a bearer token (valid 90 days). The account is created at
    the first login; it sees the households staff invited it to or approved."""
    try:
        account = account_login(phone=payload.phone, code=payload.code)
    except LoginError as error:
        raise _refused(error) from None
    token, key = owner_token_issue(account=account)
    return {"token": key, "expires_at": token.expires_at, "account": account}


@router.post("/logout", response={204: None}, operation_id="owner_logout")
def owner_logout(request):
    """Revoke the token this request was made with."""
    owner_token_revoke(token=request.owner_token)
    return 204, None


@router.get("/me", response=OwnerAccountOut, operation_id="owner_me")
def owner_me(request):
    return request.owner


# --- households ------------------------------------------------------------------------------------


@router.get("/households", response=list[OwnerHouseholdOut], operation_id="owner_household_list")
def owner_household_list(request):
    """The households your account is bound to."""
    return list(queries.bindings_of(request.owner))


@router.get(
    "/households/{household_pk}",
    response={200: OwnerHouseholdDetailOut, 404: ErrorOut},
    operation_id="owner_household_detail",
)
def owner_household_detail(request, household_pk: int):
    """One of your households with its current residents and vehicles."""
    return _binding(request, household_pk)


@router.get(
    "/households/{household_pk}/bills",
    response={200: list[BillOut], 404: ErrorOut},
    operation_id="owner_bill_list",
)
def owner_bill_list(request, household_pk: int):
    """Bills due for the household (empty until billing is switched on)."""
    return queries.bills_for_household(household=_binding(request, household_pk).household)


@router.get(
    "/households/{household_pk}/rental/leases",
    response={200: list[LeaseOut], 404: ErrorOut},
    operation_id="owner_rental_leases",
)
def owner_rental_leases(request, household_pk: int):
    """The leases whose rent the household's bills carry (the portal's 我的租赁), newest first, each with
    its rent schedule and the deposit held. An owner's letting of their own room is the tenant's to see,
    not the owner's; at most 20."""
    binding = _binding(request, household_pk)
    today = timezone.localdate()
    person = acting_person(binding)
    return [_lease(tenant_lease(lease, today)) for lease in leases_as_tenant(binding.household, person)[:20]]


def _lease(found) -> dict:
    lease = found.lease
    return {
        "pk": lease.pk,
        "number": lease.number,
        "room": str(lease.room),
        "landlord": found.landlord,
        "state": lease.state,
        "starts_on": lease.starts_on,
        "ends_on": lease.ends_on,
        "rent_fen": lease.rent_fen,
        "cycle": lease.cycle,
        "escalation": lease.escalation,
        "escalation_value": lease.escalation_value,
        "deposit_fen": lease.deposit_fen,
        "deposit_held_fen": found.held_fen,
        "owed_fen": found.owed_fen,
        "bills_rent": lease.bills_rent,
        "schedule": [
            {
                "number": row.period.number,
                "starts_on": row.period.starts_on,
                "ends_on": row.period.ends_on,
                "months": row.period.months,
                "monthly_fen": row.period.monthly_fen,
                "amount_fen": row.period.amount_fen,
                "status": row.status,
                "outstanding_fen": row.outstanding_fen,
            }
            for row in found.rows
        ],
    }


@router.get(
    "/households/{household_pk}/bills/history",
    response={200: BillHistoryPageOut, 404: ErrorOut},
    operation_id="owner_bill_history",
)
def owner_bill_history(request, household_pk: int, paging: Query[PageQuery]):
    """The household's bills, paid ones too, newest month first, each with its lines and what paid it
    (payments with their receipts, prepayment applied, refunds): the portal's 我的账单."""
    household = _binding(request, household_pk).household
    found = page_of(household_bills(household=household, limit=None), page=paging.page, limit=paging.limit)
    payers = bill_payers(bill_ids=[bill.pk for bill in found["items"]])
    found["items"] = [
        {
            "pk": bill.pk,
            "period": bill.period,
            "state": bill.state,
            "due_on": bill.due_on,
            "due_fen": bill.due_fen,
            "paid_fen": bill.paid_fen_total,
            "outstanding_fen": bill.outstanding_fen,
            "lines": [
                {
                    "fee_item": line.fee_item.name,
                    "room": str(line.room),
                    "due_fen": line.due_fen,
                    "paid_fen": line.paid_fen,
                    "outstanding_fen": line.outstanding_fen,
                    "is_void": line.is_void,
                }
                for line in bill.lines.all()
            ],
            "payments": [
                {
                    "kind": payer.kind,
                    "label": payer.label,
                    "amount_fen": payer.amount_fen,
                    "at": payer.at,
                    "receipt_number": payer.receipt and payer.receipt.display_number,
                    "receipt_pdf_url": payer.receipt and _receipt_pdf_url(request, payer.receipt),
                }
                for payer in payers.get(bill.pk, [])
            ],
        }
        for bill in found["items"]
    ]
    return found


@router.get(
    "/households/{household_pk}/receipts",
    response={200: ReceiptPageOut, 404: ErrorOut},
    operation_id="owner_receipt_list",
)
def owner_receipt_list(request, household_pk: int, paging: Query[PageQuery]):
    """The household's receipts, newest first, each with what it paid and its PDF (the portal's
    我的缴费)."""
    household = _binding(request, household_pk).household
    found = page_of(receipts_for_household(household=household), page=paging.page, limit=paging.limit)
    found["items"] = [
        {
            "number": receipt.display_number,
            "kind": receipt.kind,
            "method": receipt.method,
            "amount_fen": receipt.amount_fen,
            "issued_at": receipt.issued_at,
            "voided_at": receipt.voided_at,
            "items": receipt_items(receipt=receipt, rooms=False),
            "pdf_url": _receipt_pdf_url(request, receipt),
        }
        for receipt in found["items"]
    ]
    return found


@router.get(
    "/households/{household_pk}/prepayment",
    response={200: PrepaymentOut, 404: ErrorOut},
    operation_id="owner_prepayment",
)
def owner_prepayment(request, household_pk: int):
    """The household's prepayment balance (预存余额)."""
    return {"balance_fen": prepayment_balance_fen(household=_binding(request, household_pk).household)}


# --- paying ----------------------------------------------------------------------------------------


def _receipt_pdf_url(request, receipt) -> str:
    return request.build_absolute_uri(reverse("portal:pay_receipt_pdf", args=[receipt.token]))


def _payment(request, attempt: PaymentAttempt) -> dict:
    receipt = attempt.receipt if attempt.receipt_id else None
    jsapi = attempt.channel == Channel.WECHAT_JSAPI
    return {
        "pk": attempt.pk,
        "out_trade_no": attempt.out_trade_no,
        "method": attempt.method,
        "state": attempt.state,
        "amount_fen": attempt.amount_fen,
        "code_url": "" if jsapi else attempt.code_url,
        "jsapi_params": jsapi_params(attempt),
        "receipt": receipt
        and {"number": receipt.display_number, "pdf_url": _receipt_pdf_url(request, receipt)},
    }


@router.get(
    "/households/{household_pk}/pay",
    response={200: PayOut, 404: ErrorOut},
    operation_id="owner_pay_lines",
)
def owner_pay_lines(request, household_pk: int):
    """What the household may pay online now: its open lines (each with the late fee paying it today
    adds) and the community's online channels, as the portal's pay page shows them."""
    household = _binding(request, household_pk).household
    return {
        "methods": pay_methods(community_id=household.community_id),
        "lines": [
            {
                "pk": line.pk,
                "period": line.period,
                "fee_item": line.fee_item.name,
                "room": str(line.room),
                "outstanding_fen": line.outstanding_fen,
                "late_fee_due_fen": line.late_fee_due_fen,
            }
            for bill in pay_bills(household=household)
            for line in bill.lines
        ],
    }


@router.post(
    "/households/{household_pk}/payments",
    response={201: PaymentOut, 400: ErrorOut, 404: ErrorOut},
    operation_id="owner_payment_create",
)
def owner_payment_create(request, household_pk: int, payload: PaymentIn):
    """Order the chosen lines and start paying them: the answer holds the channel's ``code_url`` (show
    it as a QR code), or with ``jsapi`` the parameters of WeChat's own pay sheet (the account must have
    linked WeChat); ask ``GET …/payments/{pk}`` until the state is final, then open the receipt."""
    household = _binding(request, household_pk).household
    try:
        attempt = pay_start(
            household=household,
            line_ids=payload.lines,
            method=payload.method,
            description=_("%(community)s property fees") % {"community": household.community.name},
            payer_openid=_payer_openid(request, payload),
        )
    except PayError as error:
        raise _refused(error) from None
    return 201, _payment(request, attempt_for_page(attempt.pk))


def _payer_openid(request, payload) -> str:
    """The owner's linked WeChat for a JSAPI payment (``payload.jsapi``); "" for a QR code."""
    if not payload.jsapi:
        return ""
    openid = request.owner.wechat_openid
    if payload.method != PaymentMethod.WECHAT or not openid:
        raise HttpError(400, _("Paying inside WeChat needs WeChat Pay and a linked WeChat account."))
    return openid


@router.post(
    "/households/{household_pk}/prepayment/topups",
    response={201: PaymentOut, 400: ErrorOut, 404: ErrorOut},
    operation_id="owner_topup_create",
)
def owner_topup_create(request, household_pk: int, payload: TopupIn):
    """Pay an amount in as the household's prepayment (预存), as a payment of bills is paid (QR code or
    JSAPI, then ``GET …/payments/{pk}``). Once paid it is held as prepayment and pays the household's
    open bills at once, then its next bills; the receipt is an online prepayment's."""
    household = _binding(request, household_pk).household
    try:
        attempt = topup_start(
            household=household,
            amount_fen=payload.amount_fen,
            method=payload.method,
            description=_("%(community)s prepayment") % {"community": household.community.name},
            payer_openid=_payer_openid(request, payload),
        )
    except PayError as error:
        raise _refused(error) from None
    return 201, _payment(request, attempt_for_page(attempt.pk))


@router.get(
    "/households/{household_pk}/payments/{paymentattempt_pk}",
    response={200: PaymentOut, 404: ErrorOut},
    operation_id="owner_payment_detail",
)
def owner_payment_detail(request, household_pk: int, paymentattempt_pk: int):
    """A payment of the household: its state (asked of the channel when a notification is late) and,
    once paid, its receipt."""
    household = _binding(request, household_pk).household
    # The ORM first: it answers "none" for a pk beyond bigint, which attempt_for_page's plain SQL would
    # hand to PostgreSQL as an error.
    if not PaymentAttempt.objects.filter(pk=paymentattempt_pk, household=household).exists():
        raise Http404
    return _payment(request, pay_attempt_refreshed(attempt_for_page(paymentattempt_pk)))


@router.get(
    "/households/{household_pk}/categories",
    response={200: list[CategoryOut], 404: ErrorOut},
    operation_id="owner_category_list",
)
def owner_category_list(request, household_pk: int):
    """The categories a request of this household can have (top level and their sub-categories)."""

    household = _binding(request, household_pk).household
    return [
        {"pk": root.pk, "name": root.name, "children": children}
        for root, children in categories_tree(community=household.community, active_only=True)
    ]


# --- service requests ------------------------------------------------------------------------------


@router.get(
    "/households/{household_pk}/requests",
    response={200: list[RequestOut], 404: ErrorOut},
    operation_id="owner_request_list",
)
def owner_request_list(request, household_pk: int):
    """The household's service requests, newest first."""
    return list(queries.requests_of(household=_binding(request, household_pk).household))


@router.post(
    "/households/{household_pk}/requests",
    response={200: RequestDetailOut, 400: ErrorOut, 404: ErrorOut},
    operation_id="owner_request_create",
)
def owner_request_create(
    request, household_pk: int, payload: Form[RequestIn], photos: File[list[UploadedFile]] = None
):
    """Report a problem (multipart/form-data). Up to 4 photos (JPEG, PNG, WebP or GIF), checked by their decoded content."""

    binding = _binding(request, household_pk)
    household = binding.household
    photos = photos or []
    if len(photos) > PORTAL_MAX_PHOTOS:
        raise HttpError(400, _("At most %(n)s photos.") % {"n": PORTAL_MAX_PHOTOS})
    category = ServiceCategory.objects.filter(community=household.community, pk=payload.category).first()
    if category is None:
        raise HttpError(400, _("Choose one of the categories."))
    room = None
    if payload.room is not None:
        link = household.room_links.filter(room_id=payload.room).select_related("room__building").first()
        if link is None:
            raise HttpError(400, _("The room does not belong to this household."))
        room = link.room
    building = None
    if room is None and payload.building is not None:
        building = Building.objects.filter(community=household.community, pk=payload.building).first()
        if building is None:
            raise HttpError(400, _("No such building in this community."))
    try:
        created = request_submit(
            community=household.community,
            channel=RequestChannel.API,
            type=payload.type,
            category=category,
            description=payload.description,
            household=household,
            person=queries.acting_person(binding),
            room=room,
            building=building,
            location_text=payload.location_text if room is None else "",
            photos=photos,
            preferred_time=payload.preferred_time,
            actor=request.owner,
        )
    except ServiceError as error:
        raise _refused(error) from None
    return queries.request_of(account=request.owner, pk=created.pk)


@router.get(
    "/requests/{servicerequest_pk}",
    response={200: RequestDetailOut, 404: ErrorOut},
    operation_id="owner_request_detail",
)
def owner_request_detail(request, servicerequest_pk: int):
    found, _binding = _service_request(request, servicerequest_pk)
    return found


@router.post(
    "/requests/{servicerequest_pk}/rating",
    response={200: RequestDetailOut, 400: ErrorOut, 404: ErrorOut},
    operation_id="owner_request_rate",
)
def owner_request_rate(request, servicerequest_pk: int, payload: RatingIn):
    """Rate a done request with one to five stars."""

    found, binding = _service_request(request, servicerequest_pk)
    try:
        request_rate(
            request=found, person=queries.acting_person(binding), stars=payload.stars, comment=payload.comment
        )
    except ServiceError as error:
        raise _refused(error) from None
    return queries.request_of(account=request.owner, pk=found.pk)


@router.post(
    "/requests/{servicerequest_pk}/cancel",
    response={200: RequestDetailOut, 400: ErrorOut, 404: ErrorOut},
    operation_id="owner_request_cancel",
)
def owner_request_cancel(request, servicerequest_pk: int):
    """Cancel a request before work on it starts."""

    found, binding = _service_request(request, servicerequest_pk)
    try:
        request_cancel(request=found, person=queries.acting_person(binding), actor=request.owner)
    except ServiceError as error:
        raise _refused(error) from None
    return queries.request_of(account=request.owner, pk=found.pk)


@router.post(
    "/requests/{servicerequest_pk}/comments",
    response={200: RequestDetailOut, 400: ErrorOut, 404: ErrorOut},
    operation_id="owner_request_comment",
)
def owner_request_comment(request, servicerequest_pk: int, payload: CommentIn):
    """Send a message to the office about the request."""

    found, binding = _service_request(request, servicerequest_pk)
    person = queries.acting_person(binding)
    if person is None:
        raise HttpError(400, _("Your account is not linked to a person of this household."))
    try:
        request_comment(request=found, person=person, actor=request.owner, body=payload.body)
    except ServiceError as error:
        raise _refused(error) from None
    return queries.request_of(account=request.owner, pk=found.pk)


@router.get("/photos/{requestphoto_pk}", response={200: None, 404: ErrorOut}, operation_id="owner_photo")
def owner_photo(request, requestphoto_pk: int):
    """The image file of a photo of one of your requests."""
    photo = queries.request_photo_of(account=request.owner, pk=requestphoto_pk)
    if photo is None:
        raise Http404
    return upload_response(photo.file, content_type=photo.content_type, title=f"photo-{photo.pk}")


# --- notices ---------------------------------------------------------------------------------------


@router.get(
    "/households/{household_pk}/notices",
    response={200: list[NoticeOut], 404: ErrorOut},
    operation_id="owner_notice_list",
)
def owner_notice_list(request, household_pk: int):
    """Notices for the household now: urgent first, then pinned, then newest; ``is_read`` per notice."""
    return list(queries.notices_of(household=_binding(request, household_pk).household))


@router.get(
    "/households/{household_pk}/notices/{notice_pk}",
    response={200: NoticeDetailOut, 404: ErrorOut},
    operation_id="owner_notice_detail",
)
def owner_notice_detail(request, household_pk: int, notice_pk: int):
    """One notice; reading it marks it read for the household."""

    binding = _binding(request, household_pk)
    notice = queries.notice_of(household=binding.household, pk=notice_pk)
    if notice is None:
        raise Http404
    try:
        notice_mark_read(notice=notice, household=binding.household, person=queries.acting_person(binding))
    except NoticeError:  # it expired between the two reads: still show what was asked for
        pass
    else:
        notice.is_read = True
    return notice


# --- activities ------------------------------------------------------------------------------------


def _activities(household, only_pk: int | None = None) -> list[dict]:
    signed: dict[int, list[int]] = {}
    for signup in queries.signups_of(household=household):
        signed.setdefault(signup.activity_id, []).append(signup.person_id)
    activities = queries.activities_for(household=household)
    if only_pk is not None:
        activities = activities.filter(pk=only_pk)
    return [
        {
            "pk": activity.pk,
            "title": activity.title,
            "description": activity.description,
            "place": activity.place,
            "starts_at": activity.starts_at,
            "ends_at": activity.ends_at,
            "signup_deadline": activity.signup_deadline,
            "capacity": activity.capacity,
            "places_left": max(activity.capacity - activity.taken, 0),
            "signed_up": sorted(signed.get(activity.pk, [])),
        }
        for activity in activities
    ]


@router.get(
    "/households/{household_pk}/activities",
    response={200: list[ActivityOut], 404: ErrorOut},
    operation_id="owner_activity_list",
)
def owner_activity_list(request, household_pk: int):
    """The community's activities open for sign-up, soonest first, with places left and who of the
    household signed up."""
    return _activities(_binding(request, household_pk).household)


def _activity_and_person(request, household_pk: int, activity_pk: int, person_pk: int):
    household = _binding(request, household_pk).household
    activity = queries.activity_of(household=household, pk=activity_pk)
    person = household.people.filter(pk=person_pk, moved_out_on__isnull=True).first()
    if activity is None or person is None:
        raise Http404
    return household, activity, person


@router.post(
    "/households/{household_pk}/activities/{activity_pk}/signup",
    response={200: list[ActivityOut], 400: ErrorOut, 404: ErrorOut},
    operation_id="owner_activity_signup",
)
def owner_activity_signup(request, household_pk: int, activity_pk: int, payload: SignupIn):
    """Sign a person of the household up (refused when full or past the deadline); answers the
    activity as it is now."""
    household, activity, person = _activity_and_person(request, household_pk, activity_pk, payload.person)
    try:
        activity_signup(activity=activity, person=person)
    except NoticeError as error:
        raise _refused(error) from None
    return _activities(household, only_pk=activity.pk)


@router.post(
    "/households/{household_pk}/activities/{activity_pk}/cancel",
    response={200: list[ActivityOut], 400: ErrorOut, 404: ErrorOut},
    operation_id="owner_activity_cancel",
)
def owner_activity_cancel(request, household_pk: int, activity_pk: int, payload: SignupIn):
    """Cancel a person's sign-up; answers the activity as it is now."""
    household, activity, person = _activity_and_person(request, household_pk, activity_pk, payload.person)
    try:
        activity_cancel(activity=activity, person=person)
    except NoticeError as error:
        raise _refused(error) from None
    return _activities(household, only_pk=activity.pk)


# --- binding requests ------------------------------------------------------------------------------


def _binding_request(found) -> dict:
    return {
        "pk": found.pk,
        "community": found.community.name,
        "room": str(found.room),
        "name": found.name,
        "state": found.state,
        "reason": found.reason,
        "created_at": found.created_at,
        "decided_at": found.decided_at,
    }


@router.get("/communities", response=list[NamedRefOut], operation_id="owner_community_list")
def owner_community_list(request):
    """The communities an owner may ask to be bound in (as the portal's binding form lists them)."""
    return list(Community.objects.order_by("company__name", "name"))


@router.get("/binding-requests", response=list[BindingRequestOut], operation_id="owner_binding_request_list")
def owner_binding_request_list(request):
    """Your requests to be bound to a household, newest first."""
    return [
        _binding_request(found) for found in queries.binding_requests_of(request.owner).order_by("-pk")[:50]
    ]


@router.post(
    "/binding-requests",
    response={201: BindingRequestOut, 400: ErrorOut},
    operation_id="owner_binding_request_create",
)
def owner_binding_request_create(request, payload: BindingRequestIn):
    """Ask to be bound to the household of a room, with the registered name and the last four
    characters of that person's ID number or phone; the office decides (you get an SMS). A mismatch
    says only that it did not match."""
    community = Community.objects.filter(pk=payload.community).first()
    if community is None:
        raise HttpError(400, _("Choose a community."))
    try:
        found = binding_request_submit(
            account=request.owner,
            community=community,
            building=payload.building,
            unit=payload.unit,
            number=payload.number,
            name=payload.name,
            last_four=payload.last_four,
        )
    except BindingError as error:
        raise _refused(error) from None
    return 201, _binding_request(queries.binding_requests_of(request.owner).get(pk=found.pk))


@router.post(
    "/binding-requests/{bindingrequest_pk}/withdraw",
    response={200: BindingRequestOut, 400: ErrorOut, 404: ErrorOut},
    operation_id="owner_binding_request_withdraw",
)
def owner_binding_request_withdraw(request, bindingrequest_pk: int):
    """Withdraw one of your requests while the office has not decided it."""
    pending = queries.pending_binding_request_of(request.owner, bindingrequest_pk)
    if pending is None:
        raise Http404
    try:
        binding_request_withdraw(request=pending)
    except BindingError as error:
        raise _refused(error) from None
    return _binding_request(queries.binding_requests_of(request.owner).get(pk=pending.pk))
