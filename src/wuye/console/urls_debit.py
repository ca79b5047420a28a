"""Console URLs of bank direct debit (mandates, counter signing, the bank's confirmation file, card
referrals), included by console/urls.py in the console namespace.

NAV lists this part's entries in the sidebar: (url name, label, permission).
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import debit
from wuye.core.enums import Permission

urlpatterns = [
    path("debit/mandates/", debit.mandate_list, name="mandates"),
    path("debit/mandates/counter/", debit.mandate_counter_find, name="mandate_counter_find"),
    path("debit/mandates/<int:mandate_pk>/", debit.mandate_detail, name="mandate"),
    path("debit/mandates/<int:mandate_pk>/change/", debit.mandate_change, name="mandate_change"),
    path("households/<int:household_pk>/mandates/new/", debit.mandate_counter, name="mandate_counter"),
    path("debit/confirmations/", debit.mandate_confirmations, name="mandate_confirmations"),
    path("bank/referrals/", debit.referral_list, name="referrals"),
    path("bank/referrals/<int:cardreferral_pk>/decide/", debit.referral_decide, name="referral_decide"),
]
NAV = [
    ("console:mandates", _("Debit mandates"), Permission.DEBIT_VIEW),
    ("console:mandate_confirmations", _("Bank confirmations"), Permission.DEBIT_MANAGE),
    ("console:referrals", _("Card opening appointments"), Permission.BANK_REFERRALS),
]
