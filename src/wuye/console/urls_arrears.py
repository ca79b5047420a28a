"""Console URLs of the bills and arrears pages, included by console/urls.py in the console namespace.

NAV lists this part's entries in the sidebar: (url name, label, permission).
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import bills
from wuye.core.enums import Permission

urlpatterns = [
    path("bills/", bills.bill_list, name="bills"),
    path("bills/<int:bill_pk>/", bills.bill_detail, name="bill"),
    path("bills/<int:bill_pk>/waive/", bills.bill_waive, name="bill_waive"),
    path("bills/lines/<int:billline_pk>/adjust/", bills.line_adjust, name="billline_adjust"),
    path("bills/lines/<int:billline_pk>/waive/", bills.line_waive, name="billline_waive"),
    path(
        "bills/lines/<int:billline_pk>/late-fee/waive/",
        bills.line_late_fee_waive,
        name="billline_late_fee_waive",
    ),
    path(
        "bills/lines/<int:billline_pk>/late-fee/waiver/approve/",
        bills.line_late_fee_waiver_decide,
        {"decision": "approve"},
        name="billline_late_fee_waiver_approve",
    ),
    path(
        "bills/lines/<int:billline_pk>/late-fee/waiver/reject/",
        bills.line_late_fee_waiver_decide,
        {"decision": "reject"},
        name="billline_late_fee_waiver_reject",
    ),
    path("arrears/", bills.arrears, name="arrears"),
    path("arrears/households/<int:household_pk>/", bills.household_arrears, name="household_arrears"),
    path("arrears/dunning/", bills.dunning, name="dunning"),
    path("arrears/dunning.xlsx", bills.dunning_export, name="dunning_export"),
    path("arrears/collection-rate/", bills.collection_rate, name="collection_rate"),
]
NAV = [
    ("console:bills", _("Bills"), Permission.BILLING_VIEW),
    ("console:arrears", _("Arrears"), Permission.BILLING_VIEW),
    ("console:collection_rate", _("Collection rate"), Permission.BILLING_VIEW),
]
