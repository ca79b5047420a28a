"""Console URLs of the notices pages, included by console/urls.py in the console namespace.

NAV lists this part's entries in the sidebar: (url name, label, permission).
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import notices
from wuye.core.enums import Permission

urlpatterns = [
    path("notices/", notices.notice_list, name="notices"),
    path("notices/new/", notices.notice_new, name="notice_new"),
    path("notices/<int:notice_pk>/", notices.notice_detail, name="notice"),
    path("notices/<int:notice_pk>/edit/", notices.notice_edit, name="notice_edit"),
    path("notices/<int:notice_pk>/publish/", notices.notice_publish, name="notice_publish"),
    path("notices/<int:notice_pk>/withdraw/", notices.notice_withdraw, name="notice_withdraw"),
    path("activities/", notices.activity_list, name="activities"),
    path("activities/new/", notices.activity_new, name="activity_new"),
    path("activities/<int:activity_pk>/", notices.activity_detail, name="activity"),
    path("activities/<int:activity_pk>/edit/", notices.activity_edit, name="activity_edit"),
    path("activities/<int:activity_pk>/cancel/", notices.activity_cancel, name="activity_cancel"),
    path("activities/<int:activity_pk>/attendees.xlsx", notices.activity_export, name="activity_export"),
]

NAV = [
    ("console:notices", _("Notices"), Permission.NOTICES_MANAGE),
    ("console:activities", _("Activities"), Permission.NOTICES_MANAGE),
]
