"""Template context for every console page: the user's communities, the current one, the sidebar."""

from django.urls import reverse

from wuye.console import nav
from wuye.core.enums import Permission
from wuye.core.models import communities_with_role
from wuye.core.rules import role_grants
from wuye.core.tenancy import SESSION_KEY


def console(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated or not request.path.startswith("/console/"):
        return {}
    # Every community the user holds a role in: the partner bank's role has no estate pages, yet its
    # sidebar shows its dashboard and referrals.
    communities = list(communities_with_role(user).order_by("pk"))
    chosen = request.session.get(SESSION_KEY)
    current = next((c for c in communities if c.pk == chosen), communities[0] if communities else None)
    granted = set()
    if current is not None:
        if user.is_superuser:
            granted = set(Permission.values)
        else:
            roles = set(user.staff_roles.filter(community=current).values_list("role", flat=True))
            granted = {p for p in Permission.values for r in roles if role_grants(r, p)}
    current_name = getattr(request.resolver_match, "view_name", "")
    nav_groups = []
    for heading, group in nav.groups():
        items = [
            {"url": reverse(name), "label": label, "active": name == current_name}
            for name, label, permission in group
            if permission is None or permission in granted
        ]
        if items:
            nav_groups.append({"heading": heading, "items": items})
    return {
        "nav_groups": nav_groups,
        "nav_communities": communities,
        "nav_community": current,
        "can": {p.replace(".", "_"): p in granted for p in Permission.values},
    }
