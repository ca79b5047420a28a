"""The staff REST API, /api/v1: bearer tokens, one router per resource, domain errors mapped to HTTP.

Every read is scoped with ``for_user`` to the communities where the token's user holds a role that
grants the operation's permission; anything else answers 404, as if it did not exist (never 403).
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from wuye.api import communities, households, rooms, tags
from wuye.api.auth import TokenAuth
from wuye.api.errors import DOMAIN_ERRORS

DESCRIPTION = """
Staff API of Wuye. Create a token in the console (API tokens) and send it as
`Authorization: Bearer <key>`. You see the communities your roles grant; any object outside them
answers 404. Error bodies are `{"detail": "..."}` in the language of `Accept-Language`.
"""

api = NinjaAPI(
    title="Wuye API",
    version="1",
    description=DESCRIPTION.strip(),
    urls_namespace="api",
    auth=TokenAuth(),
)

api.add_router("/communities", communities.router)
api.add_router("/households", households.router)
api.add_router("/rooms", rooms.router)
api.add_router("/tags", tags.router)
api.add_router("", "wuye.api.billing.router")  # /fee-items, /billing/runs, /households/{pk}/bills, /arrears
api.add_router("", "wuye.api.payments.router")  # /payments, /households/{pk}/payments
api.add_router("", "wuye.api.refunds.router")  # /refunds
api.add_router("", "wuye.api.receipts.router")  # /receipts
api.add_router("", "wuye.api.meters.router")  # /meters
api.add_router("/service", "wuye.api.service.router")
api.add_router("/notices", "wuye.api.notices.router")
api.add_router("/owner", "wuye.api.owner.router")


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    response = api.create_response(
        request, {"detail": _("Missing, unknown, expired or revoked API token.")}, status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


def domain_refused(request, exc):
    """Domain refusals carry a translated message; the client sees it as a 400 (nothing was changed)."""
    return api.create_response(request, {"detail": str(exc)}, status=400)


for error_class in DOMAIN_ERRORS:
    api.add_exception_handler(error_class, domain_refused)
