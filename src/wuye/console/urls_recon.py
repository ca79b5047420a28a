"""Console URLs of reconciliation (对账) and suspense (挂账), included by console/urls.py in the console
namespace. NAV lists this part's entries in the sidebar: (url name, label, permission)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import recon as views
from wuye.core.enums import Permission

urlpatterns = [
    path("recon/", views.run_list, name="recon_runs"),
    path("recon/new/", views.run_new, name="recon_run_new"),
    path("recon/<int:reconrun_pk>/", views.run_detail, name="recon_run"),
    path("recon/differences/", views.difference_list, name="recon_differences"),
    path("recon/differences/<int:difference_pk>/", views.difference_detail, name="recon_difference"),
    *(
        path(
            f"recon/differences/<int:difference_pk>/{action}/",
            views.difference_act,
            {"action": action},
            name=f"recon_difference_{action}",
        )
        for action in views.ACTIONS
    ),
]
NAV = [
    ("console:recon_runs", _("Reconciliation"), Permission.FINANCE_VIEW),
    ("console:recon_differences", _("Differences and suspense"), Permission.FINANCE_VIEW),
]
