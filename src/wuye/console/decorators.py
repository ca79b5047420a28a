"""Every console view declares the permission it needs; this decorator enforces it.

``request.community`` is the current community among those where the permission is granted. A user
without the permission anywhere gets 404, as for an object outside their communities.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login

from wuye.core.tenancy import current_community


def staff_view(permission: str):
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            request.community = current_community(request, permission)
            return view(request, *args, **kwargs)

        wrapper.permission = permission
        return wrapper

    return decorate
