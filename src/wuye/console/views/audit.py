"""The audit log: who changed what, when, old → new."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from wuye.console.decorators import staff_view
from wuye.core.audit import action_label
from wuye.core.enums import Permission
from wuye.core.models import AuditLog


@staff_view(Permission.AUDIT_VIEW)
def audit_list(request):
    entries = AuditLog.objects.filter(community=request.community).select_related("actor")
    action = (request.GET.get("action") or "").strip()
    if action:
        entries = entries.filter(action__startswith=action)
    actor = (request.GET.get("actor") or "").strip()
    if actor:
        entries = entries.filter(actor__username=actor)
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.label = action_label(entry.action)
    query = "&".join(f"{k}={v}" for k, v in (("action", action), ("actor", actor)) if v)
    return render(
        request, "console/audit/list.html", {"page": page, "action": action, "actor": actor, "query": query}
    )
