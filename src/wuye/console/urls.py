"""Console URLs. Every object in a URL is named ``<model>_pk``; tests/console/test_isolation.py maps
each such name to an object of another community and checks that every pattern answers 404."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from wuye.console import (
    urls_access,
    urls_arrears,
    urls_billing,
    urls_debit,
    urls_debit_batches,
    urls_meters,
    urls_notices,
    urls_opening,
    urls_owners,
    urls_parking,
    urls_receipts,
    urls_recon,
    urls_rental,
    urls_reports,
    urls_service,
)
from wuye.console.views import audit, estate, home, households, imports, jobs, staff, tags, tokens
from wuye.core.auth import StaffLoginForm

app_name = "console"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="console/login.html", authentication_form=StaffLoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", home.home, name="home"),
    path("community/", home.community_switch, name="community_switch"),
    path("search/", households.search, name="search"),
    # Household archive
    path("households/", households.household_list, name="households"),
    path("households/new/", households.household_new, name="household_new"),
    path("households/bulk-tag/", households.households_bulk_tag, name="households_bulk_tag"),
    path("households/filters/save/", households.filter_save, name="filter_save"),
    path("households/filters/<int:savedfilter_pk>/delete/", households.filter_delete, name="filter_delete"),
    path("households/export.xlsx", imports.households_export, name="households_export"),
    path("households/<int:household_pk>/", households.household_detail, name="household"),
    path("households/<int:household_pk>/edit/", households.household_edit, name="household_edit"),
    path("households/<int:household_pk>/tags/", households.household_tags, name="household_tags"),
    path("households/<int:household_pk>/rooms/bind/", households.room_bind, name="room_bind"),
    path(
        "households/<int:household_pk>/rooms/<int:room_pk>/unbind/",
        households.room_unbind,
        name="room_unbind",
    ),
    path("households/<int:household_pk>/people/add/", households.person_add, name="person_add"),
    path("people/<int:person_pk>/edit/", households.person_edit, name="person_edit"),
    path("people/<int:person_pk>/delete/", households.person_delete, name="person_delete"),
    path("households/<int:household_pk>/vehicles/add/", households.vehicle_add, name="vehicle_add"),
    path("vehicles/<int:vehicle_pk>/delete/", households.vehicle_delete, name="vehicle_delete"),
    path("households/<int:household_pk>/contacts/add/", households.contact_add, name="contact_add"),
    path("contacts/<int:emergencycontact_pk>/delete/", households.contact_delete, name="contact_delete"),
    path("households/<int:household_pk>/documents/add/", households.document_add, name="document_add"),
    path("documents/<int:document_pk>/", households.document_download, name="document"),
    path("documents/<int:document_pk>/delete/", households.document_delete, name="document_delete"),
    # Estate
    path("estate/", estate.building_list, name="buildings"),
    path("estate/buildings/new/", estate.building_new, name="building_new"),
    path("estate/buildings/<int:building_pk>/", estate.building_detail, name="building"),
    path("estate/buildings/<int:building_pk>/generate/", estate.rooms_generate, name="rooms_generate"),
    path("estate/rooms/<int:room_pk>/", estate.room_detail, name="room"),
    # Tags
    path("tags/", tags.tag_list, name="tags"),
    path("tags/new/", tags.tag_new, name="tag_new"),
    path("tags/groups/new/", tags.taggroup_new, name="taggroup_new"),
    path("tags/<int:tag_pk>/edit/", tags.tag_edit, name="tag_edit"),
    path("tags/<int:tag_pk>/delete/", tags.tag_delete, name="tag_delete"),
    # Excel import
    path("imports/", imports.import_list, name="imports"),
    path("imports/template.xlsx", imports.import_template, name="import_template"),
    path("imports/<int:importbatch_pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:importbatch_pk>/apply/", imports.import_apply, name="import_apply"),
    # Staff and roles
    path("staff/", staff.staff_list, name="staff"),
    path("staff/grant/", staff.role_grant, name="role_grant"),
    path("staff/roles/<int:staffrole_pk>/revoke/", staff.role_revoke, name="role_revoke"),
    path("staff/lockouts/", staff.lockout_list, name="lockouts"),
    path("staff/lockouts/<int:loginthrottle_pk>/unlock/", staff.lockout_lift, name="lockout_lift"),
    # Audit log and API tokens
    path("audit/", audit.audit_list, name="audit"),
    path("jobs/", jobs.job_list, name="jobs"),
    path("jobs/<int:job_pk>/", jobs.job_detail, name="job"),
    path("jobs/<int:job_pk>/retry/", jobs.job_retry, name="job_retry"),
    path("tokens/", tokens.token_list, name="tokens"),
    path("tokens/<int:apitoken_pk>/delete/", tokens.token_delete, name="token_delete"),
    path("", include(urls_billing.urlpatterns)),
    path("", include(urls_opening.urlpatterns)),
    path("", include(urls_meters.urlpatterns)),
    path("", include(urls_receipts.urlpatterns)),
    path("", include(urls_arrears.urlpatterns)),
    path("", include(urls_service.urlpatterns)),
    path("", include(urls_notices.urlpatterns)),
    path("", include(urls_access.urlpatterns)),
    path("", include(urls_parking.urlpatterns)),
    path("", include(urls_rental.urlpatterns)),
    path("", include(urls_owners.urlpatterns)),
    path("", include(urls_debit.urlpatterns)),
    path("", include(urls_debit_batches.urlpatterns)),
    path("", include(urls_recon.urlpatterns)),
    path("", include(urls_reports.urlpatterns)),
]
