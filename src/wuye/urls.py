from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from wuye.api.api import api
from wuye.core.health import healthz

# A database or Redis that is down answers 503 with Retry-After; any other error Django's 500.
handler500 = "wuye.core.views.server_error"

# No route serves MEDIA_ROOT, in debug or not: uploads go out only through views that check the
# requester's right to the file (wuye.core.uploads.upload_response).
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:home", permanent=False)),
    path("healthz", healthz, name="healthz"),  # load balancers and monitors (wuye.core.health)
    path("console/", include("wuye.console.urls")),
    path("partner/", include("wuye.partner.urls")),
    path("parking/", include("wuye.parking.urls")),  # the gates' interface (signed by each device)
    path("m/", include("wuye.portal.urls")),
    path("access/", include("wuye.access.urls")),  # doors on site (wuye.access.views)
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("r/", include("wuye.payments.urls")),
    path("pay/notify/", include("wuye.payments.urls_notify")),
]
