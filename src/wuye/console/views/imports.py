"""Stub: being written."""

from django.http import HttpResponse


def households_export(request, **kwargs):
    return HttpResponse("TODO")


def import_list(request, **kwargs):
    return HttpResponse("TODO")


def import_template(request, **kwargs):
    return HttpResponse("TODO")


def import_detail(request, **kwargs):
    return HttpResponse("TODO")


def import_apply(request, **kwargs):
    return HttpResponse("TODO")
