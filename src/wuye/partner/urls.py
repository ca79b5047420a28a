"""Partner bank dashboard URLs, mounted at /partner/. No URL names an object: every page is figures
for the communities the user's roles grant (tests/console/test_bank_role.py walks them as the bank)."""

from django.urls import path

from wuye.partner import views

app_name = "partner"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.xlsx", views.export, name="export"),
]
