"""Console URLs of the fee item, meter and reading pages, included by console/urls.py in the console
namespace.

NAV lists this part's entries in the sidebar: (url name, label, permission).
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import tariffs
from wuye.core.enums import Permission

urlpatterns = [
    # Fee items and their assignments
    path("billing/fee-items/", tariffs.feeitem_list, name="feeitems"),
    path("billing/fee-items/new/", tariffs.feeitem_new, name="feeitem_new"),
    path("billing/fee-items/<int:feeitem_pk>/", tariffs.feeitem_detail, name="feeitem"),
    path("billing/fee-items/<int:feeitem_pk>/edit/", tariffs.feeitem_edit, name="feeitem_edit"),
    path("billing/fee-items/<int:feeitem_pk>/active/", tariffs.feeitem_active, name="feeitem_active"),
    path("billing/fee-items/<int:feeitem_pk>/assign/", tariffs.feeitem_assign, name="feeitem_assign"),
    path("billing/assignments/<int:feeassignment_pk>/end/", tariffs.assignment_end, name="assignment_end"),
    path(
        "billing/assignments/<int:feeassignment_pk>/discount/",
        tariffs.assignment_discount,
        name="assignment_discount",
    ),
    # Meters and readings
    path("billing/meters/", tariffs.meter_buildings, name="meters"),
    path("billing/meters/buildings/<int:building_pk>/", tariffs.building_meters, name="building_meters"),
    path("billing/meters/buildings/<int:building_pk>/new/", tariffs.meter_new, name="meter_new"),
    path("billing/meters/<int:meter_pk>/", tariffs.meter_detail, name="meter"),
    path("billing/meters/<int:meter_pk>/active/", tariffs.meter_active, name="meter_active"),
    path("billing/readings/buildings/<int:building_pk>/", tariffs.readings_grid, name="readings_grid"),
    path("billing/readings/import/", tariffs.readings_import, name="readings_import"),
    path("billing/readings/import/apply/", tariffs.readings_import_apply, name="readings_import_apply"),
    path("billing/readings/template.xlsx", tariffs.readings_template, name="readings_template"),
]

NAV = [
    ("console:feeitems", _("Fee items"), Permission.BILLING_VIEW),
    ("console:meters", _("Meters and readings"), Permission.BILLING_VIEW),
]
