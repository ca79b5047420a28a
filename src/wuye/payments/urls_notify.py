"""The address channels post their notifications to (no login, no CSRF: the signature is the check).

Mounted at /pay/notify/ by wuye/urls.py.
"""

from django.urls import path

from wuye.payments import views

app_name = "payments_notify"
urlpatterns = [path("<str:method>/<int:community_pk>/", views.channel_notify, name="notify")]
