"""The project's error handler: a database or Redis that is down answers 503, not a bare 500.

A locked, stopped or missing database (``OperationalError``, ``InterfaceError``) or a Redis server
that does not answer is a passing state of the service, not a bug of the page: the answer says so and
when to try again (``Retry-After``), in the visitor's language. The page is a template of its own,
rendered without the request's context processors, so showing it needs no database.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language, gettext
from django.views import defaults
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

UNAVAILABLE = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
RETRY_AFTER_SECONDS = 30


def is_unavailable(error: BaseException | None) -> bool:
    """Whether ``error``, or an error it was raised from, says a database or Redis is unavailable."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, UNAVAILABLE):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: 503 when the service behind the page is unavailable, Django's 500 otherwise."""
    if is_unavailable(sys.exc_info()[1]):
        return service_unavailable(request)
    return defaults.server_error(request)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    message = gettext("The service is temporarily unavailable. Please try again in a minute.")
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        page = loader.get_template("503.html").render(
            {
                "title": gettext("Service unavailable"),
                "message": message,
                "retry": gettext("Try again"),
                "language": get_language(),
            }
        )
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response
