"""Public pages of payments (no login): the receipt verification page that a receipt's QR code opens.

Mounted at /r/ by wuye/urls.py.
"""

from django.urls import path

from wuye.payments import views

app_name = "payments"
urlpatterns = [path("<str:token>/", views.receipt_verify, name="verify")]
