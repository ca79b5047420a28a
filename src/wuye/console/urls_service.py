"""Console URLs of the service pages, included by console/urls.py in the console namespace.

NAV lists this part's entries in the sidebar: (url name, label, permission).
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wuye.console.views import service
from wuye.core.enums import Permission

urlpatterns = [
    path("service/", service.inbox, name="service_inbox"),
    path("service/mine/", service.mine, name="service_mine"),
    path("service/dashboard/", service.service_dashboard, name="service_dashboard"),
    path("service/performance/", service.service_performance, name="service_performance"),
    path("service/new/", service.request_new, name="service_new"),
    path("service/requests/<int:servicerequest_pk>/", service.request_detail, name="service_request"),
    path("service/requests/<int:servicerequest_pk>/act/", service.request_act, name="service_request_act"),
    path(
        "service/requests/<int:servicerequest_pk>/auto-assign/",
        service.request_auto_assign,
        name="service_request_auto_assign",
    ),
    path(
        "service/requests/<int:servicerequest_pk>/comment/",
        service.request_comment,
        name="service_request_comment",
    ),
    path(
        "service/requests/<int:servicerequest_pk>/photos/",
        service.request_photos,
        name="service_request_photos",
    ),
    path(
        "service/requests/<int:servicerequest_pk>/return-visit/",
        service.request_return_visit,
        name="service_request_return_visit",
    ),
    path(
        "service/requests/<int:servicerequest_pk>/charge/",
        service.request_charge,
        name="service_request_charge",
    ),
    path("service/photos/<int:requestphoto_pk>/", service.photo, name="service_photo"),
    path("service/categories/", service.categories, name="service_categories"),
    path("service/categories/new/", service.category_new, name="service_category_new"),
    path(
        "service/categories/<int:servicecategory_pk>/edit/",
        service.category_edit,
        name="service_category_edit",
    ),
    path("service/teams/", service.teams, name="service_teams"),
    path("service/teams/new/", service.team_new, name="service_team_new"),
    path("service/teams/<int:team_pk>/edit/", service.team_edit, name="service_team_edit"),
    path("service/settings/", service.service_settings, name="service_settings"),
]

NAV = [
    ("console:service_inbox", _("Service requests"), Permission.SERVICE_VIEW),
    ("console:service_mine", _("My work orders"), Permission.SERVICE_HANDLE),
    ("console:service_dashboard", _("Service dashboard"), Permission.SERVICE_VIEW),
    ("console:service_performance", _("Staff performance"), Permission.SERVICE_VIEW),
    ("console:service_categories", _("Service configuration"), Permission.SERVICE_MANAGE),
]
