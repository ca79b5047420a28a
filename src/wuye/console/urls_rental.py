"""Console URLs of rental (租赁管理), included by console/urls.py in the console namespace.

NAV lists this part's entries in the sidebar: (url name, label, permission).
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import rental
from wuye.core.enums import Permission

urlpatterns = [
    path("rental/", rental.lease_list, name="rental_leases"),
    path("rental/new/", rental.lease_new, name="rental_lease_new"),
    path("rental/<int:lease_pk>/", rental.lease_detail, name="rental_lease"),
    path("rental/<int:lease_pk>/close/", rental.lease_close_view, name="rental_lease_close"),
    path("rental/<int:lease_pk>/renew/", rental.lease_renew_view, name="rental_lease_renew"),
    path("rental/<int:lease_pk>/deposit/", rental.deposit_new, name="rental_deposit"),
    path("rental/<int:lease_pk>/deposit/return/", rental.deposit_return_view, name="rental_deposit_return"),
    path("rental/listings/", rental.listing_list, name="rental_listings"),
    path("rental/listings/new/", rental.listing_new, name="rental_listing_new"),
    path(
        "rental/listings/<int:listing_pk>/withdraw/",
        rental.listing_withdraw_view,
        name="rental_listing_withdraw",
    ),
]

NAV = [
    ("console:rental_leases", _("Leases"), Permission.RENTAL_VIEW),
    ("console:rental_listings", _("Rooms for rent"), Permission.RENTAL_VIEW),
]
