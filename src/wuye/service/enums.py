"""Choices of the service desk: request types, channels, states and the actions between states."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RequestType(models.TextChoices):
    REPAIR = "repair", _("Repair")
    COMPLAINT = "complaint", _("Complaint")
    INQUIRY = "inquiry", _("Inquiry")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")


class RequestChannel(models.TextChoices):
    PORTAL = "portal", _("Owner portal")
    PHONE = "phone", _("Phone call")
    WALK_IN = "walk_in", _("Walk-in")
    API = "api", pgettext_lazy("channel", "API")


# Channels through which staff enter a request for someone: only these may leave the household empty
# (an anonymous report of a common area, e.g. a passer-by calling about a broken street lamp).
STAFF_CHANNELS = frozenset({RequestChannel.PHONE, RequestChannel.WALK_IN})


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("request state", "Submitted")
    ACCEPTED = "accepted", pgettext_lazy("request state", "Accepted")
    ASSIGNED = "assigned", pgettext_lazy("request state", "Assigned")
    IN_PROGRESS = "in_progress", pgettext_lazy("request state", "In progress")
    PAUSED = "paused", pgettext_lazy("request state", "Paused")
    DONE = "done", pgettext_lazy("request state", "Done")
    RATED = "rated", pgettext_lazy("request state", "Rated")
    CLOSED = "closed", pgettext_lazy("request state", "Closed")
    REJECTED = "rejected", pgettext_lazy("request state", "Rejected")
    CANCELLED = "cancelled", pgettext_lazy("request state", "Cancelled")


# Named groups of states, used by queries and SLA checks.
OPEN_STATES = frozenset(
    {
        RequestState.SUBMITTED,
        RequestState.ACCEPTED,
        RequestState.ASSIGNED,
        RequestState.IN_PROGRESS,
        RequestState.PAUSED,
    }
)
FINISHED_STATES = frozenset({RequestState.DONE, RequestState.RATED, RequestState.CLOSED})
ENDED_STATES = frozenset({RequestState.CLOSED, RequestState.REJECTED, RequestState.CANCELLED})

STATE_COLOURS = {
    RequestState.SUBMITTED: "orange",
    RequestState.ACCEPTED: "blue",
    RequestState.ASSIGNED: "blue",
    RequestState.IN_PROGRESS: "purple",
    RequestState.PAUSED: "grey",
    RequestState.DONE: "green",
    RequestState.RATED: "green",
    RequestState.CLOSED: "grey",
    RequestState.REJECTED: "red",
    RequestState.CANCELLED: "grey",
}


class RequestAction(models.TextChoices):
    """What can be done to a request; ``service.rules.TRANSITIONS`` says from which states."""

    ACCEPT = "accept", pgettext_lazy("request action", "Accept")
    REJECT = "reject", pgettext_lazy("request action", "Reject")
    ASSIGN = "assign", pgettext_lazy("request action", "Assign")
    TRANSFER = "transfer", pgettext_lazy("request action", "Transfer")
    START = "start", pgettext_lazy("request action", "Start work")
    PAUSE = "pause", pgettext_lazy("request action", "Pause")
    RESUME = "resume", pgettext_lazy("request action", "Resume")
    FINISH = "finish", pgettext_lazy("request action", "Mark done")
    RATE = "rate", pgettext_lazy("request action", "Rate")
    CLOSE = "close", pgettext_lazy("request action", "Close")
    REOPEN = "reopen", pgettext_lazy("request action", "Reopen")
    CANCEL = "cancel", pgettext_lazy("request action", "Cancel")


class EventKind(models.TextChoices):
    TRANSITION = "transition", _("State change")
    TRANSFER = "transfer", _("Transfer")
    ESCALATION = "escalation", _("Escalation")
    RETURN_VISIT = "return_visit", _("Return visit")
    CHARGE = "charge", _("Charge")


class Escalation(models.TextChoices):
    """Which deadline an escalation is about. Each is escalated at most once per request."""

    NONE = "", _("None")
    RESPONSE = "response", _("Response deadline missed")
    COMPLETION = "completion", _("Completion deadline missed")


class CommentVisibility(models.TextChoices):
    INTERNAL = "internal", _("Internal note")
    PUBLIC = "public", _("Message to the owner")


class ReturnVisitResult(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    UNSATISFIED = "unsatisfied", _("Not satisfied")
    UNREACHABLE = "unreachable", _("Could not be reached")


class Period(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
