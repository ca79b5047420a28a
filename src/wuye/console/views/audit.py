"""Stub: being written."""

from django.http import HttpResponse


def audit_list(request, **kwargs):
    return HttpResponse("TODO")
