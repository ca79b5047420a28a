"""Events whose messages the notifications app defines itself, for apps that only call ``notify``.

Apps that own an event may register it again (for instance to add ``choices`` for a state code);
the later registration wins.
"""

from django.utils.translation import gettext_lazy as _

from wuye.notifications.domain.outbox import register_event

register_event(
    "service.request.changed",
    _("Service request changed"),
    _("Request %(reference)s: %(state)s"),
    _("Your request %(reference)s (%(title)s) is now: %(state)s. %(note)s"),
    choices={"state": "wuye.service.enums.RequestState"},
)
register_event(
    "notices.notice.published",
    _("Notice published"),
    _("Notice: %(title)s"),
    _("%(community)s has published a notice: %(title)s. %(summary)s"),
)
