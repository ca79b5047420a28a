"""Tag management: groups, colours, manual tags; system tags are shown with their rule."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.tenancy import scoped_get
from wuye.households.domain import households as archive
from wuye.households.domain.tagrules import tags_refresh
from wuye.households.interfaces.forms import TagForm, TagGroupForm
from wuye.households.models import Tag, TagGroup

MANAGE = Permission.TAGS_MANAGE


@staff_view(Permission.ARCHIVE_VIEW)
def tag_list(request):
    community = request.community
    tags = (
        Tag.objects.filter(community=community)
        .select_related("group")
        .annotate(households=Count("household_links"))
    )
    return render(
        request,
        "console/tags/list.html",
        {"tags": tags, "groups": TagGroup.objects.filter(community=community), "group_form": TagGroupForm()},
    )


@staff_view(MANAGE)
def tag_new(request):
    form = TagForm(request.POST or None, community=request.community)
    if request.method == "POST" and form.is_valid():
        try:
            archive.tag_create(community=request.community, actor=request.user, **form.cleaned_data)
        except archive.ArchiveError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, _("Tag created."))
            return redirect("console:tags")
    return render(request, "console/tags/form.html", {"form": form, "title": _("New tag")})


@staff_view(MANAGE)
def tag_edit(request, tag_pk: int):
    tag = scoped_get(Tag.objects, request, MANAGE, pk=tag_pk)
    form = TagForm(
        request.POST or None,
        community=tag.community,
        initial={"name": tag.name, "colour": tag.colour, "group": tag.group, "description": tag.description},
    )
    if request.method == "POST" and form.is_valid():
        try:
            archive.tag_update(tag=tag, actor=request.user, **form.cleaned_data)
        except archive.ArchiveError as error:
            form.add_error("name", str(error))
        else:
            if tag.is_system:
                tags_refresh(community=tag.community, keys=[tag.rule])
            messages.success(request, _("Saved."))
            return redirect("console:tags")
    return render(
        request,
        "console/tags/form.html",
        {"form": form, "tag": tag, "title": _("Edit tag %(name)s") % {"name": tag.name}},
    )


@staff_view(MANAGE)
@require_POST
def tag_delete(request, tag_pk: int):
    tag = scoped_get(Tag.objects, request, MANAGE, pk=tag_pk)
    try:
        archive.tag_delete(tag=tag, actor=request.user)
        messages.success(request, _("Tag %(name)s deleted.") % {"name": tag.name})
    except archive.ArchiveError as error:
        messages.error(request, str(error))
    return redirect("console:tags")


@staff_view(MANAGE)
@require_POST
def taggroup_new(request):
    form = TagGroupForm(request.POST)
    if form.is_valid():
        archive.taggroup_create(community=request.community, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Tag group saved."))
    else:
        messages.error(request, _("Give the group a name."))
    return redirect("console:tags")
