"""Console URLs of the counter and receipts pages, included by console/urls.py in the console namespace.

NAV lists this part's entries in the sidebar: (url name, label, permission).
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import payments, receipts
from wuye.core.enums import Permission

urlpatterns = [
    path("counter/", receipts.counter, name="counter"),
    path("counter/households/<int:household_pk>/prepayment/", receipts.prepayment_new, name="prepayment_new"),
    path("counter/households/<int:household_pk>/pay/", payments.payment_new, name="payment_new"),
    path(
        "counter/households/<int:household_pk>/pay-link/",
        payments.household_pay_link,
        name="household_pay_link",
    ),
    path(
        "counter/households/<int:household_pk>/pay-link/revoke/",
        payments.household_pay_links_revoke,
        name="household_pay_links_revoke",
    ),
    path("counter/pay-poster.pdf", payments.pay_poster, name="pay_poster"),
    path("payments/", payments.payment_list, name="payments"),
    path("payments/<int:paymentattempt_pk>/", payments.payment_detail, name="payment"),
    path("payments/<int:paymentattempt_pk>/refund/", payments.payment_refund_request, name="payment_refund"),
    path("refunds/", payments.refund_list, name="refunds"),
    path(
        "refunds/<int:refund_pk>/approve/",
        payments.refund_decide,
        {"decision": "approve"},
        name="refund_approve",
    ),
    path(
        "refunds/<int:refund_pk>/reject/",
        payments.refund_decide,
        {"decision": "reject"},
        name="refund_reject",
    ),
    path("payments/notifications/", payments.event_list, name="channel_events"),
    path("payments/channels/", payments.channel_settings, name="channel_settings"),
    path("payments/channels/new/", payments.channel_account_new, name="channel_account_new"),
    path("payments/channels/<int:channelaccount_pk>/", payments.channel_account_edit, name="channel_account"),
    path("receipts/", receipts.receipt_list, name="receipts"),
    path("receipts/<int:receipt_pk>/", receipts.receipt_detail, name="receipt"),
    path("receipts/<int:receipt_pk>/receipt.pdf", receipts.receipt_download, name="receipt_pdf"),
    path("receipts/<int:receipt_pk>/void/", receipts.receipt_void, name="receipt_void"),
    path(
        "receipts/<int:receipt_pk>/void/approve/",
        receipts.receipt_void_decide,
        {"decision": "approve"},
        name="receipt_void_approve",
    ),
    path(
        "receipts/<int:receipt_pk>/void/reject/",
        receipts.receipt_void_decide,
        {"decision": "reject"},
        name="receipt_void_reject",
    ),
]
NAV = [
    ("console:counter", _("Counter"), Permission.PAYMENTS_TAKE),
    ("console:payments", _("Payments"), Permission.BILLING_VIEW),
    ("console:refunds", _("Refunds"), Permission.PAYMENTS_REFUND),
    ("console:channel_settings", _("Payment channels"), Permission.PAYMENTS_CONFIGURE),
    ("console:receipts", _("Receipts"), Permission.BILLING_VIEW),
]
