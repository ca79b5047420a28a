"""Console URLs of parking (停车管理), included by console/urls.py in the console namespace.

NAV lists this part's entries in the sidebar: (url name, label, permission).
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import parking
from wuye.core.enums import Permission

urlpatterns = [
    path("parking/", parking.area_list, name="parking"),
    path("parking/new/", parking.area_new, name="parking_area_new"),
    path("parking/<int:parkingarea_pk>/", parking.area_detail, name="parking_area"),
    path("parking/<int:parkingarea_pk>/edit/", parking.area_edit, name="parking_area_edit"),
    path("parking/<int:parkingarea_pk>/spaces/new/", parking.space_new, name="parking_space_new"),
    path("parking/<int:parkingarea_pk>/gates/new/", parking.gate_new, name="parking_gate_new"),
    path(
        "parking/spaces/<int:parkingspace_pk>/assign/", parking.space_assign_view, name="parking_space_assign"
    ),
    path(
        "parking/spaces/<int:parkingspace_pk>/release/",
        parking.space_release_view,
        name="parking_space_release",
    ),
    path("parking/stays/", parking.visit_list, name="parking_visits"),
    path("parking/blocked/", parking.block_list, name="parking_blocks"),
    path("parking/blocked/new/", parking.block_new, name="parking_block_new"),
    path("parking/blocked/<int:plateblock_pk>/delete/", parking.block_delete, name="parking_block_delete"),
]

NAV = [
    ("console:parking", _("Car parks"), Permission.PARKING_VIEW),
    ("console:parking_visits", _("Parking stays"), Permission.PARKING_VIEW),
    ("console:parking_blocks", _("Blocked plates"), Permission.PARKING_VIEW),
]
