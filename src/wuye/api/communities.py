"""The communities a token's user works in, with what their roles allow there."""

from __future__ import annotations

from collections import defaultdict

from ninja import Router

from wuye.api.schemas import CommunityOut
from wuye.core.enums import Permission
from wuye.core.models import StaffRole, communities_with_role
from wuye.core.rules import role_grants

router = Router(tags=["communities"])


@router.get("", response=list[CommunityOut], operation_id="community_list")
def community_list(request):
    """Communities in which you hold any role, with what your roles allow there (the partner bank's
    role allows only its dashboard, so its communities list ``partner.view`` alone)."""
    user = request.user
    communities = list(communities_with_role(user).order_by("pk"))
    roles = defaultdict(set)
    for community_pk, role in StaffRole.objects.filter(user=user).values_list("community_id", "role"):
        roles[community_pk].add(role)
    return [
        {
            "pk": community.pk,
            "name": community.name,
            "address": community.address,
            "phone": community.phone,
            "permissions": sorted(
                permission
                for permission in Permission.values
                if user.is_superuser or any(role_grants(role, permission) for role in roles[community.pk])
            ),
        }
        for community in communities
    ]
