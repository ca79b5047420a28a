"""Card referrals (开卡预约): an owner without a card of the partner bank books a visit to one of its
branches; the bank's staff mark the visit opened or not opened; the owner may cancel it before.

States are data (``REFERRAL_TRANSITIONS``) and ``referral_transition`` is the one way a referral's state
changes. Every change is audited on the household's timeline. The name and phone are what the owner
gave for this booking, to be called about it: the bank sees them on the referral list and nowhere else.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.debit.enums import REFERRAL_TRANSITIONS, ReferralState
from wuye.debit.models import BankBranch, CardReferral
from wuye.households.models import Household
from wuye.households.validators import MOBILE, normalise_phone

# How far ahead a visit can be booked.
BOOKING_HORIZON = datetime.timedelta(days=60)

register_actions(
    {
        "debit.referral.booked": gettext_lazy("Card opening booked at the bank"),
        "debit.referral.changed": gettext_lazy("Card opening appointment changed"),
    }
)
register_field_labels(
    {
        "referral_state": (gettext_lazy("appointment"), ReferralState),
        "branch": gettext_lazy("branch"),
        "visit_at": gettext_lazy("visit time"),
    }
)


class ReferralError(Exception):
    """A refused referral operation; the message is translated and nothing was written."""


@transaction.atomic
def referral_book(
    *,
    household: Household,
    branch: BankBranch,
    name: str,
    phone: str,
    visit_at: datetime.datetime,
    actor=None,
    now: datetime.datetime | None = None,
) -> CardReferral:
    """Book a card opening for ``household`` at ``branch``.

    Steps: lock the household (one booked visit at a time); check the branch belongs to the bank of the
    household's company and is open, the name, the phone and the time; write; log."""
    now = now or timezone.now()
    locked = Household.objects.select_for_update().select_related("community").get(pk=household.pk)
    if branch.company_id != locked.community.company_id or not branch.is_active:
        raise ReferralError(_("Choose one of the bank's branches."))
    name = (name or "").strip()
    if not name:
        raise ReferralError(_("Enter the name the bank may call you by."))
    phone = normalise_phone(phone)
    if not MOBILE.match(phone):
        raise ReferralError(_("Enter an 11-digit mobile number."))
    if visit_at <= now:
        raise ReferralError(_("Choose a time in the future."))
    if visit_at > now + BOOKING_HORIZON:
        raise ReferralError(
            _("Book at most %(days)s days ahead.") % {"days": BOOKING_HORIZON.days},
        )
    if CardReferral.objects.filter(household=locked, state=ReferralState.BOOKED).exists():
        raise ReferralError(_("There is a booked visit already; cancel it before booking another."))
    referral = CardReferral.objects.create(
        community_id=locked.community_id,
        household=locked,
        branch=branch,
        name=name[:40],
        phone=phone,
        visit_at=visit_at,
    )
    log_action(
        "debit.referral.booked",
        actor=actor,
        obj=referral,
        household_id=locked.pk,
        changes={
            "branch": branch.name,
            "visit_at": timezone.localtime(visit_at).strftime("%Y-%m-%d %H:%M"),
            "referral_state": referral.state,
        },
    )
    return referral


@transaction.atomic
def referral_transition(*, referral: CardReferral, to_state: str, note: str = "", actor=None) -> CardReferral:
    """The one way a referral's state changes.

    Steps: lock the referral; check the move against ``REFERRAL_TRANSITIONS`` (a move to the state it is
    in is a no-op); write who handled it and when; log on the household's timeline."""
    locked = CardReferral.objects.select_for_update().get(pk=referral.pk)
    if locked.state == to_state:
        return locked
    if to_state not in REFERRAL_TRANSITIONS[locked.state]:
        raise ReferralError(
            _("An appointment that is %(state)s cannot become %(to)s.")
            % {"state": locked.get_state_display(), "to": ReferralState(to_state).label}
        )
    before = locked.state
    locked.state = to_state
    locked.note = (note or "").strip()[:200]
    locked.handled_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.handled_at = timezone.now()
    locked.save(update_fields=["state", "note", "handled_by", "handled_at"])
    log_action(
        "debit.referral.changed",
        actor=actor,
        obj=locked,
        household_id=locked.household_id,
        changes={"referral_state": [before, to_state], **({"note": locked.note} if locked.note else {})},
    )
    return locked
