"""Console URLs of opening balances (期初导入), included by console/urls.py in the console namespace."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import opening
from wuye.core.enums import Permission

urlpatterns = [
    path("billing/opening/", opening.opening_list, name="opening"),
    path("billing/opening/template.xlsx", opening.opening_template, name="opening_template"),
    path("billing/opening/<int:openingimport_pk>/", opening.opening_import, name="opening_import"),
    path("billing/opening/<int:openingimport_pk>/confirm/", opening.opening_confirm, name="opening_confirm"),
    path("billing/opening/<int:openingimport_pk>/reverse/", opening.opening_reverse, name="opening_reverse"),
]
NAV = [("console:opening", _("Import opening balances"), Permission.BILLING_VIEW)]
