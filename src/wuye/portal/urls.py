"""Owner portal URLs, mounted at /m/. Every object in a URL is named ``<model>_pk``;
tests/portal/test_isolation.py checks that each pattern answers 404 for another owner's objects."""

from django.urls import path

from wuye.portal.views import account, home, notices, requests

app_name = "portal"
urlpatterns = [
    path("", home.home, name="home"),
    path("login/", account.login, name="login"),
    path("login/code/", account.login_verify, name="login_verify"),
    path("logout/", account.logout, name="logout"),
    path("bind/", account.bind, name="bind"),
    path("bind/<int:bindingrequest_pk>/withdraw/", account.bind_withdraw, name="bind_withdraw"),
    path("households/", account.households, name="households"),
    path("households/switch/", account.household_switch_view, name="household_switch"),
    path("me/", account.profile, name="profile"),
    path("me/messages/", account.message_settings, name="message_settings"),
    path("me/phone/", account.phone_change, name="phone_change"),
    path("me/phone/code/", account.phone_change_verify, name="phone_change_verify"),
    path("requests/", requests.request_list, name="requests"),
    path("requests/new/", requests.request_new, name="request_new"),
    path("requests/<int:servicerequest_pk>/", requests.request_detail, name="request"),
    path("requests/<int:servicerequest_pk>/cancel/", requests.request_cancel, name="request_cancel"),
    path("requests/<int:servicerequest_pk>/rate/", requests.request_rate, name="request_rate"),
    path("requests/<int:servicerequest_pk>/reopen/", requests.request_reopen, name="request_reopen"),
    path("requests/<int:servicerequest_pk>/comment/", requests.request_comment, name="request_comment"),
    path("photos/<int:requestphoto_pk>/", requests.request_photo, name="request_photo"),
    path("notices/", notices.notice_list, name="notices"),
    path("notices/<int:notice_pk>/", notices.notice_detail, name="notice"),
    path("activities/", notices.activity_list, name="activities"),
    path("activities/<int:activity_pk>/signup/", notices.activity_signup_view, name="activity_signup"),
    path("activities/<int:activity_pk>/cancel/", notices.activity_cancel_view, name="activity_cancel"),
]
