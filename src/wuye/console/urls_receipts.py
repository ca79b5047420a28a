"""Console URLs of the counter and receipts pages, included by console/urls.py in the console namespace.

NAV lists this part's entries in the sidebar: (url name, label, permission).
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import receipts
from wuye.core.enums import Permission

urlpatterns = [
    path("counter/", receipts.counter, name="counter"),
    path("counter/households/<int:household_pk>/prepayment/", receipts.prepayment_new, name="prepayment_new"),
    path("receipts/", receipts.receipt_list, name="receipts"),
    path("receipts/<int:receipt_pk>/", receipts.receipt_detail, name="receipt"),
    path("receipts/<int:receipt_pk>/receipt.pdf", receipts.receipt_download, name="receipt_pdf"),
]
NAV = [
    ("console:counter", _("Counter"), Permission.PAYMENTS_TAKE),
    ("console:receipts", _("Receipts"), Permission.BILLING_VIEW),
]
