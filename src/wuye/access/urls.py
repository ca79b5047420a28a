"""The device API, mounted at /access/ (see ``views``)."""

from django.urls import path

from wuye.access import views

app_name = "access"
urlpatterns = [
    path("devices/v1/events/", views.device_event, name="device_event"),
]
