"""Stub: being written."""

from django.http import HttpResponse


def token_list(request, **kwargs):
    return HttpResponse("TODO")


def token_delete(request, **kwargs):
    return HttpResponse("TODO")
