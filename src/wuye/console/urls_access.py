"""Console URLs of the access control pages, included by console/urls.py in the console namespace.

NAV lists this part's entries in the sidebar: (url name, label, permission).
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import access
from wuye.core.enums import Permission

urlpatterns = [
    path("access/", access.door_list, name="access_doors"),
    path("access/doors/new/", access.door_new, name="access_door_new"),
    path("access/doors/<int:door_pk>/edit/", access.door_edit, name="access_door_edit"),
    path("access/groups/", access.group_list, name="access_groups"),
    path("access/groups/new/", access.group_new, name="access_group_new"),
    path("access/groups/<int:doorgroup_pk>/edit/", access.group_edit, name="access_group_edit"),
    path("access/rules/", access.rule_list, name="access_rules"),
    path("access/rules/new/", access.rule_new, name="access_rule_new"),
    path("access/rules/<int:accessrule_pk>/delete/", access.rule_delete, name="access_rule_delete"),
    path("access/credentials/", access.credential_find, name="access_credentials"),
    path("access/households/<int:household_pk>/", access.household_credentials, name="access_household"),
    path(
        "access/households/<int:household_pk>/issue/",
        access.household_credential_issue,
        name="access_household_issue",
    ),
    path("access/staff/", access.staff_credentials, name="access_staff"),
    path("access/staff/issue/", access.staff_credential_issue, name="access_staff_issue"),
    path(
        "access/credentials/<int:credential_pk>/revoke/",
        access.credential_revoke,
        name="access_credential_revoke",
    ),
    path("access/passes/", access.pass_list, name="access_passes"),
    path("access/passes/<int:visitorpass_pk>/revoke/", access.pass_revoke, name="access_pass_revoke"),
    path("access/events/", access.event_list, name="access_events"),
]

NAV = [
    ("console:access_doors", _("Doors"), Permission.ACCESS_VIEW),
    ("console:access_credentials", _("Access credentials"), Permission.ACCESS_VIEW),
    ("console:access_passes", _("Visitor passes"), Permission.ACCESS_VIEW),
    ("console:access_events", _("Door events"), Permission.ACCESS_VIEW),
]
