"""Console URLs of debit batches (送盘/回盘), included by console/urls.py in the console namespace."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import debit_batches as views
from wuye.core.enums import Permission

urlpatterns = [
    path("debit/batches/", views.batch_list, name="debit_batches"),
    path("debit/batches/new/", views.batch_new, name="debit_batch_new"),
    path("debit/batches/<int:debitbatch_pk>/", views.batch_detail, name="debit_batch"),
    path("debit/batches/<int:debitbatch_pk>/files/", views.batch_download, name="debit_batch_files"),
    path("debit/batches/<int:debitbatch_pk>/send/", views.batch_send_view, name="debit_batch_send"),
    path("debit/batches/<int:debitbatch_pk>/cancel/", views.batch_cancel_view, name="debit_batch_cancel"),
    path("debit/batches/<int:debitbatch_pk>/result/", views.batch_result_import, name="debit_batch_result"),
    path(
        "debit/batches/<int:debitbatch_pk>/returns/", views.batch_returns_import, name="debit_batch_returns"
    ),
]
NAV = [("console:debit_batches", _("Debit batches"), Permission.DEBIT_VIEW)]
