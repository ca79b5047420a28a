"""Stub: being written."""

from django.http import HttpResponse


def tag_list(request, **kwargs):
    return HttpResponse("TODO")


def tag_new(request, **kwargs):
    return HttpResponse("TODO")


def taggroup_new(request, **kwargs):
    return HttpResponse("TODO")


def tag_edit(request, **kwargs):
    return HttpResponse("TODO")


def tag_delete(request, **kwargs):
    return HttpResponse("TODO")
