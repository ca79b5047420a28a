"""Choices of access control: credential kinds, who a rule admits, and what a door decided and why."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CredentialKind(models.TextChoices):
    CARD = "card", _("Access card")
    QR = "qr", _("Access QR code")
    # The reference id of a face enrolled at the device vendor; no picture is ever held here.
    FACE = "face", _("Enrolled face")


# What a device may present: a person's credential, or a visitor pass's token.
VISITOR = "pass"
PRESENTED_KINDS = frozenset({*CredentialKind.values, VISITOR})


class RuleSubject(models.TextChoices):
    """Whom an access rule admits through its door group."""

    RESIDENTS = "residents", _("All residents")
    BUILDING = "building", _("Residents of a building")
    ROLE = "role", _("Staff of a role")


class EventResult(models.TextChoices):
    GRANTED = "granted", _("Door opened")
    REFUSED = "refused", _("Door kept shut")


class Reason(models.TextChoices):
    """Why a door opened or stayed shut; one value per check of ``domain.decide.access_decide``."""

    RULE = "rule", _("Admitted by a rule")
    VISITOR = "visitor", _("Visitor pass")
    DOOR_INACTIVE = "door_inactive", _("Door out of service")
    UNKNOWN = "unknown", _("Unknown card or code")
    REVOKED = "revoked", _("Revoked")
    NOT_YET_VALID = "not_yet_valid", _("Not yet valid")
    EXPIRED = "expired", _("Expired")
    MOVED_OUT = "moved_out", _("Moved out")
    STAFF_INACTIVE = "staff_inactive", _("Staff account disabled")
    NO_RULE = "no_rule", _("No rule admits this person at this door")
    OUTSIDE_HOURS = "outside_hours", _("Outside the rule's hours")
    USED_UP = "used_up", _("All uses taken")
    BINDING_ENDED = "binding_ended", _("The owner no longer acts for the household")
    WRONG_DOOR = "wrong_door", _("Not valid at this door")


RESULT_COLOURS = {EventResult.GRANTED: "green", EventResult.REFUSED: "red"}
