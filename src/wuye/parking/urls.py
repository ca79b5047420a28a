from django.urls import path

from wuye.parking import views

app_name = "parking"
urlpatterns = [path("gates/events", views.gate_events, name="gate_events")]
