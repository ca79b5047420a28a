"""Stub: being written."""

from django.http import HttpResponse


def building_list(request, **kwargs):
    return HttpResponse("TODO")


def building_new(request, **kwargs):
    return HttpResponse("TODO")


def building_detail(request, **kwargs):
    return HttpResponse("TODO")


def rooms_generate(request, **kwargs):
    return HttpResponse("TODO")


def room_detail(request, **kwargs):
    return HttpResponse("TODO")
