"""Console URLs of reconciliation (对账) and suspense (挂账), included by console/urls.py in the console
namespace. NAV lists this part's entries in the sidebar: (url name, label, permission)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import recon as views
from wuye.console.views import shifts
from wuye.core.enums import Permission

urlpatterns = [
    path("recon/", views.run_list, name="recon_runs"),
    path("recon/new/", views.run_new, name="recon_run_new"),
    path("recon/<int:reconrun_pk>/", views.run_detail, name="recon_run"),
    path("counter/handover/", shifts.handover, name="handover"),
    path("recon/shifts/", shifts.shift_list, name="shifts"),
    path("recon/shifts/<int:shift_pk>/", shifts.shift_detail, name="shift"),
    path(
        "recon/shifts/<int:shift_pk>/sign-off/",
        shifts.shift_decide,
        {"decision": "sign_off"},
        name="shift_sign_off",
    ),
    path(
        "recon/shifts/<int:shift_pk>/return/",
        shifts.shift_decide,
        {"decision": "return"},
        name="shift_return",
    ),
    path("recon/days/", shifts.day_list, name="days"),
    path("recon/days/close/", shifts.day_close_view, name="day_close"),
    path("recon/days/<int:dayclose_pk>/reopen/", shifts.day_reopen_view, name="day_reopen"),
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
    ("console:handover", _("My handover"), Permission.PAYMENTS_TAKE),
    ("console:recon_runs", _("Reconciliation"), Permission.FINANCE_VIEW),
    ("console:recon_differences", _("Differences and suspense"), Permission.FINANCE_VIEW),
    ("console:shifts", _("Cashier handovers"), Permission.FINANCE_VIEW),
    ("console:days", _("Day close"), Permission.FINANCE_VIEW),
]
