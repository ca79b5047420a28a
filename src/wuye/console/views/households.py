"""Stub: being written."""

from django.http import HttpResponse


def search(request, **kwargs):
    return HttpResponse("TODO")


def household_list(request, **kwargs):
    return HttpResponse("TODO")


def household_new(request, **kwargs):
    return HttpResponse("TODO")


def households_bulk_tag(request, **kwargs):
    return HttpResponse("TODO")


def filter_save(request, **kwargs):
    return HttpResponse("TODO")


def filter_delete(request, **kwargs):
    return HttpResponse("TODO")


def household_detail(request, **kwargs):
    return HttpResponse("TODO")


def household_edit(request, **kwargs):
    return HttpResponse("TODO")


def household_tags(request, **kwargs):
    return HttpResponse("TODO")


def room_bind(request, **kwargs):
    return HttpResponse("TODO")


def room_unbind(request, **kwargs):
    return HttpResponse("TODO")


def person_add(request, **kwargs):
    return HttpResponse("TODO")


def person_edit(request, **kwargs):
    return HttpResponse("TODO")


def person_delete(request, **kwargs):
    return HttpResponse("TODO")


def vehicle_add(request, **kwargs):
    return HttpResponse("TODO")


def vehicle_delete(request, **kwargs):
    return HttpResponse("TODO")


def contact_add(request, **kwargs):
    return HttpResponse("TODO")


def contact_delete(request, **kwargs):
    return HttpResponse("TODO")


def document_add(request, **kwargs):
    return HttpResponse("TODO")


def document_download(request, **kwargs):
    return HttpResponse("TODO")


def document_delete(request, **kwargs):
    return HttpResponse("TODO")
