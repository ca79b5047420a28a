"""Owner portal URLs, mounted at /m/. Every object in a URL is named ``<model>_pk``;
tests/portal/test_isolation.py checks that each pattern answers 404 for another owner's objects."""

from django.urls import path, re_path

from wuye.portal.views import account, app, debit, home, notices, parking, pay, payments, requests, wechat
from wuye.portal.views import rental as rental_pages
from wuye.portal.views import visitors as visitor_pages

app_name = "portal"
urlpatterns = [
    path("", home.home, name="home"),
    path("manifest.webmanifest", app.manifest, name="manifest"),
    path("sw.js", app.service_worker, name="service_worker"),
    path("offline/", app.offline, name="offline"),
    path("login/", account.login, name="login"),
    path("login/code/", account.login_verify, name="login_verify"),
    path("logout/", account.logout, name="logout"),
    path("wechat/", wechat.wechat_enter, name="wechat"),
    path("wechat/callback/", wechat.wechat_callback, name="wechat_callback"),
    path("wechat/unlink/", wechat.wechat_unbind, name="wechat_unbind"),
    path("bind/", account.bind, name="bind"),
    path("bind/<int:bindingrequest_pk>/withdraw/", account.bind_withdraw, name="bind_withdraw"),
    path("households/", account.households, name="households"),
    path("households/switch/", account.household_switch_view, name="household_switch"),
    path("me/", account.profile, name="profile"),
    path("me/messages/", account.message_settings, name="message_settings"),
    path("me/phone/", account.phone_change, name="phone_change"),
    path("me/phone/code/", account.phone_change_verify, name="phone_change_verify"),
    path("payments/", payments.payment_history, name="payments"),
    path("bills/", payments.bill_history, name="bills"),
    path("requests/", requests.request_list, name="requests"),
    path("requests/new/", requests.request_new, name="request_new"),
    path("requests/new/photos/<str:token>/", requests.request_held_photo, name="request_held_photo"),
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
    # Visitor passes (访客通行证): the owner's list, a new pass, revoking one (its pk posted); the visitor's
    # page is public, reached by the pass's unguessable token alone (404 for any other).
    path("visitors/", visitor_pages.visitor_list, name="visitors"),
    path("visitors/new/", visitor_pages.visitor_new, name="visitor_new"),
    path("visitors/revoke/", visitor_pages.visitor_revoke, name="visitor_revoke"),
    path("v/<str:token>/", visitor_pages.visitor_share, name="visitor_share"),
    # Bank direct debit (银行代扣): the mandate, signing it with a one-time code, card bookings.
    path("debit/", debit.debit_home, name="debit"),
    path("debit/sign/", debit.debit_sign, name="debit_sign"),
    path("debit/sign/code/", debit.debit_confirm, name="debit_confirm"),
    path("debit/sign/code/send/", debit.debit_code_send, name="debit_code_send"),
    path("debit/mandates/<int:mandate_pk>/revoke/", debit.debit_revoke, name="debit_revoke"),
    path("debit/cards/", debit.referrals, name="debit_referrals"),
    path("debit/cards/<int:cardreferral_pk>/cancel/", debit.referral_cancel, name="debit_referral_cancel"),
    # Rental (我的租赁): the household's leases as tenant and as landlord, offering a room, withdrawing it.
    path("rental/", rental_pages.rental_home, name="rental"),
    path("rental/offer/", rental_pages.rental_offer, name="rental_offer"),
    path("rental/listings/<int:listing_pk>/withdraw/", rental_pages.rental_withdraw, name="rental_withdraw"),
    # Self-service payment (自助缴费): public pages, scoped by an unguessable token (poster, household
    # link, receipt) or by the session that started the attempt, not by an owner's bindings. They are
    # regex routes, which the owner isolation walk above does not enumerate; their own isolation test
    # is tests/portal/test_pay_isolation.py (foreign attempts and bad tokens answer 404).
    path("pay/", pay.pay_bills_view, name="pay_bills"),
    path("pay/mine/", pay.pay_mine, name="pay_mine"),
    path("pay/topup/", pay.pay_topup, name="pay_topup"),
    re_path(r"^park/a/(?P<token>[-\w]{16,32})/$", parking.park_find, name="park_find"),
    re_path(r"^park/(?P<token>[-\w]{16,32})/$", parking.park_visit, name="park_visit"),
    re_path(
        r"^pay/h/(?P<token>[0-9]+-[0-9]+-[0-9]+-[0-9A-Za-z]+:[-\w]{20,60})/$",
        pay.pay_household,
        name="pay_household",
    ),
    re_path(r"^pay/attempts/(?P<attempt_pk>[0-9]{1,18})/$", pay.pay_attempt, name="pay_attempt"),
    re_path(
        r"^pay/attempts/(?P<attempt_pk>[0-9]{1,18})/status/$",
        pay.pay_attempt_status,
        name="pay_attempt_status",
    ),
    re_path(r"^pay/receipts/(?P<token>[-\w]{1,32})/pdf/$", pay.pay_receipt_pdf, name="pay_receipt_pdf"),
    re_path(r"^pay/(?P<token>[-\w]{16,32})/$", pay.pay_entry, name="pay_entry"),
]
