"""The portal as an installable app (no app store): its web app manifest, its service worker and the
page the worker shows when the network is down.

The worker keeps only the shell (style sheet, script, icons, the offline page): never a page of the
portal itself, which holds an owner's bills, names and phone numbers and would outlive a logout on a
shared phone. Pages always come from the network; when it fails, the offline page answers.
"""

from __future__ import annotations

import hashlib

from django.http import JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

THEME = "#0b6e4f"
ICONS = (  # (file, size, purpose)
    ("portal/icons/icon-192.png", 192, "any"),
    ("portal/icons/icon-512.png", 512, "any"),
    ("portal/icons/icon-192-maskable.png", 192, "maskable"),
    ("portal/icons/icon-512-maskable.png", 512, "maskable"),
)
SHELL = ("portal/portal.css", "portal/portal.js", *(icon for icon, _size, _purpose in ICONS))


@require_safe
@cache_control(max_age=3600)
def manifest(request):
    home = reverse("portal:home")
    return JsonResponse(
        {
            "name": _("Owner service"),
            "short_name": _("Owner service"),
            "lang": request.LANGUAGE_CODE,
            "id": home,
            "start_url": home,
            "scope": home,
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": THEME,
            "icons": [
                {"src": static(icon), "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
                for icon, size, purpose in ICONS
            ],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )


@require_safe
@cache_control(no_cache=True)  # the browser asks again at every visit, so a new release is picked up
def service_worker(request):
    offline = reverse("portal:offline")
    shell = [offline, *(static(path) for path in SHELL)]
    # A new release names new static files (hashed names): a new cache, and the old one is dropped.
    version = hashlib.sha256("\n".join([request.LANGUAGE_CODE, *shell]).encode()).hexdigest()[:16]
    response = render(
        request,
        "portal/app/sw.js",
        {"cache": f"wuye-portal-{version}", "offline": offline, "shell": shell},
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = reverse("portal:home")
    return response


@require_safe
def offline(request):
    """Shown by the service worker when a page cannot be fetched: the same for everyone (it is kept)."""
    return render(request, "portal/app/offline.html", {})
