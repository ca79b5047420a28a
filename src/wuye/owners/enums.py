from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Language(models.TextChoices):
    """The languages an owner can read the portal and their messages in (labels in their own script)."""

    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class LoginPurpose(models.TextChoices):
    LOGIN = "login", _("Log in")
    PHONE_CHANGE = "phone", _("Change phone number")
    MANDATE = "mandate", _("Sign a debit mandate")


class BindingSource(models.TextChoices):
    INVITATION = "invitation", _("Staff invitation")
    REQUEST = "request", _("Owner's request")


class BindingRequestState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("binding request", "Pending")
    APPROVED = "approved", pgettext_lazy("binding request", "Approved")
    REJECTED = "rejected", pgettext_lazy("binding request", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("binding request", "Withdrawn")


# Allowed moves of a binding request, as data; binding_request_transition is the one place that
# applies them.
BINDING_REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    BindingRequestState.PENDING: frozenset(
        {BindingRequestState.APPROVED, BindingRequestState.REJECTED, BindingRequestState.WITHDRAWN}
    ),
    BindingRequestState.APPROVED: frozenset(),
    BindingRequestState.REJECTED: frozenset(),
    BindingRequestState.WITHDRAWN: frozenset(),
}
