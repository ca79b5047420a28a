"""Console URLs of the takings reports (收费日报、周报、月报), included by console/urls.py in the console
namespace. NAV lists this part's entries in the sidebar's Finance group: (url name, label, permission)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import reports as views
from wuye.core.enums import Permission

urlpatterns = [
    path("reports/takings/", views.takings, name="takings_report"),
    path("reports/takings/export/", views.takings_export, name="takings_report_export"),
]
NAV = [
    ("console:takings_report", _("Takings reports"), Permission.FINANCE_VIEW),
]
