"""Console URLs of billing runs, included by console/urls.py in the console namespace."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import runs
from wuye.core.enums import Permission

urlpatterns = [
    path("billing/runs/", runs.run_list, name="runs"),
    path("billing/runs/<int:billingrun_pk>/", runs.run_detail, name="run"),
    path("billing/runs/<int:billingrun_pk>/issue/", runs.run_issue, name="run_issue"),
    path("billing/runs/<int:billingrun_pk>/progress/", runs.run_progress, name="run_progress"),
    path("billing/runs/<int:billingrun_pk>/void/", runs.run_void, name="run_void"),
]
NAV = [("console:runs", _("Billing runs"), Permission.BILLING_VIEW)]
