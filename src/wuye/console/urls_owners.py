"""Console URLs of the owners pages, included by console/urls.py in the console namespace.

NAV lists this part's entries in the sidebar: (url name, label, permission).
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import owners
from wuye.core.enums import Permission

urlpatterns = [
    path("owners/", owners.owner_accounts, name="owner_accounts"),
    path("owners/accounts/<int:owneraccount_pk>/", owners.owner_account, name="owner_account"),
    path(
        "owners/accounts/<int:owneraccount_pk>/active/",
        owners.owner_account_active,
        name="owner_account_active",
    ),
    path("owners/people/<int:person_pk>/invite/", owners.owner_invite, name="owner_invite"),
    path("owners/bindings/<int:householdbinding_pk>/delete/", owners.binding_delete, name="binding_delete"),
    path("owners/requests/", owners.binding_requests, name="binding_requests"),
    path(
        "owners/requests/<int:bindingrequest_pk>/approve/",
        owners.binding_request_approve_view,
        name="binding_request_approve",
    ),
    path(
        "owners/requests/<int:bindingrequest_pk>/reject/",
        owners.binding_request_reject_view,
        name="binding_request_reject",
    ),
    path("outbox/", owners.outbox, name="outbox"),
    path("outbox/sms/", owners.sms_outbox, name="sms_outbox"),
    path("outbox/sms/settings/", owners.sms_settings, name="sms_settings"),
    path("outbox/wechat/settings/", owners.wechat_settings, name="wechat_settings"),
    path("outbox/<int:message_pk>/retry/", owners.message_retry_view, name="message_retry"),
]
NAV = [
    ("console:owner_accounts", _("Owner accounts"), Permission.OWNERS_MANAGE),
    ("console:binding_requests", _("Binding requests"), Permission.OWNERS_MANAGE),
    ("console:outbox", _("Message outbox"), Permission.OWNERS_MANAGE),
    ("console:sms_outbox", _("SMS outbox"), Permission.OWNERS_MANAGE),
    ("console:sms_settings", _("SMS service"), Permission.STAFF_MANAGE),
    ("console:wechat_settings", _("WeChat official account"), Permission.STAFF_MANAGE),
]
