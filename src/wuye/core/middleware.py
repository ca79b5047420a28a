"""Request checks that hold for every page, API operation and public link alike."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from wuye.core import logs

logger = logging.getLogger("wuye.security")

NUL = "\x00"
# A NUL inside a JSON string can only be written as an escape (a raw one is invalid JSON).
JSON_NUL = re.compile(rb"\\u0000", re.IGNORECASE)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _lists_hold_nul(pairs) -> bool:
    return any(NUL in key or any(NUL in str(value) for value in values) for key, values in pairs)


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _nul_part(request) -> str:
    """Which part of the request carries a NUL character ("" if none)."""
    if NUL in request.path or NUL in request.path_info:
        return "path"
    if _lists_hold_nul(request.GET.lists()):
        return "query"
    if any(NUL in key or NUL in value for key, value in request.COOKIES.items()):
        return "cookie"
    if any(key.startswith("HTTP_") and NUL in str(value) for key, value in request.META.items()):
        return "header"
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return ""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    too_big = limit is not None and _content_length(request) > limit
    if too_big and not (request.content_type or "").startswith("multipart/"):
        # Not read here: the view refuses it by its size unread (413), or Django does (400).
        return ""
    if request.content_type in FORM_TYPES:
        # Parsing here is what the CSRF check does anyway; the view reads the parsed values. A body
        # small enough to keep in memory is read first, so a view can still read it raw (a payment
        # notification); a larger upload is parsed as a stream, as CSRF would.
        if not too_big:
            request.body  # noqa: B018  (read and keep: the form parser then reads this copy)
        if _lists_hold_nul(request.POST.lists()):
            return "form"
        if any(NUL in (upload.name or "") for _field, uploads in request.FILES.lists() for upload in uploads):
            return "form"
    elif (request.content_type or "").endswith("json") and JSON_NUL.search(request.body):
        return "body"
    return ""


class RefuseNulMiddleware:
    """Answer 400 to any request with a NUL character in its path, query, cookies, headers or
    form or JSON values.

    No field of ours may hold one, PostgreSQL cannot even be asked about one (a query with a NUL in
    a string fails, which was a 500 for a search or a public receipt token), and file names with one
    break the file system. Checking once here, before anything reads the request, covers every
    view, form and API schema, today's and tomorrow's, rather than each input by hand.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        part = _nul_part(request)
        if not part:
            return self.get_response(request)
        logger.warning(
            "refused a request with a NUL character in its %s: %s %r",
            part,
            request.method,
            request.path[:200],
        )
        with translation.override(translation.get_language_from_request(request)):
            message = _("Bad request: it contains a NUL character.")
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class RequestIdMiddleware:
    """Give every request an id, on each of its log records and in its answer's ``X-Request-ID``.

    A sane incoming ``X-Request-ID`` (a proxy's or a load balancer's) is kept, so one id follows the
    request through the proxy's log and ours; anything else is replaced by a new one. It is the first
    middleware, so even a refused request's log line carries it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # Cleared when the answer has gone out, not when this middleware returns: Django logs a 404
        # or a 500 ("Not Found: …") after the middleware, and that line belongs to the request too.
        request_finished.connect(_request_id_clear, dispatch_uid="wuye-request-id-clear")

    def __call__(self, request):
        request_id = logs.request_id_from_header(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        logs.request_id_set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def _request_id_clear(**kwargs) -> None:
    logs.request_id_set("")
