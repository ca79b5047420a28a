from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from wuye.api.api import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:home", permanent=False)),
    path("console/", include("wuye.console.urls")),
    path("partner/", include("wuye.partner.urls")),
    path("m/", include("wuye.portal.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("r/", include("wuye.payments.urls")),
    path("pay/notify/", include("wuye.payments.urls_notify")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(
        settings.MEDIA_URL if hasattr(settings, "MEDIA_URL") else "/media/", document_root=settings.MEDIA_ROOT
    )
