"""Events whose messages the notifications app defines itself, for apps that only call ``notify``.

Apps that own an event may register it again (for instance with other wording); the later
registration wins. The context keys are those the calling apps pass.
"""

from django.utils.translation import gettext_lazy as _

from wuye.notifications.domain.outbox import register_event

# Context from wuye.service: request_pk, category, action, from_state, state (code), state_label, note.
register_event(
    "service.request.changed",
    _("Service request changed"),
    _("Request #%(request_pk)s: %(state)s"),
    _("Your request #%(request_pk)s (%(category)s) is now: %(state)s. %(note)s"),
    choices={"state": "wuye.service.enums.RequestState"},
)
# Context from wuye.notices: notice_pk, title, urgent, pinned.
register_event(
    "notices.notice.published",
    _("Notice published"),
    _("Notice: %(title)s"),
    _("%(community)s has published a notice: %(title)s. Read it in the owner portal."),
)
# Context from wuye.billing (bill_notices): household, period ("2026-05"), total_yuan, due_yuan, due_on.
register_event(
    "billing.bill.issued",
    _("New bill"),
    _("Your bill for %(period)s"),
    _(
        "%(community)s: the bill of %(household)s for %(period)s is out, %(total_yuan)s yuan in all;"
        " %(due_yuan)s yuan is due by %(due_on)s. See and pay it in the owner portal."
    ),
)
# Context from wuye.payments (receipt_notices): household, receipt_number, amount_yuan, kind (code),
# method (code).
register_event(
    "payments.receipt.issued",
    _("Payment receipt"),
    _("Receipt %(receipt_number)s: %(amount_yuan)s yuan"),
    _(
        "%(community)s has received %(amount_yuan)s yuan (%(kind)s, %(method)s) for %(household)s."
        " Receipt number %(receipt_number)s."
    ),
    choices={"kind": "wuye.payments.enums.ReceiptKind", "method": "wuye.payments.enums.PaymentMethod"},
)
