"""Debit mandates (代扣协议): signing, the one state transition, and the 已签代扣 tag that follows it.

A mandate is signed three ways: online by the owner in the portal (card, name, ID number, phone and a
one-time code: ``mandate_sign_online``), at the counter with the paper form (``mandate_sign_counter``,
the scanned form kept as a household document), or confirmed in bulk from the bank's confirmation
file (``mandates_confirm``). Either way it waits for the bank (pending_bank) until the bank's
agreement number arrives, and only an active mandate is debited.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from wuye.billing.models import FeeItem
from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.models import Community
from wuye.debit.enums import MANDATE_LIVE_STATES, MANDATE_TRANSITIONS, MandateState, SignedVia
from wuye.debit.models import DebitSettings, Mandate
from wuye.households.domain.tagrules import TagRule, register_tag_rule, tags_refresh
from wuye.households.enums import TagColour
from wuye.households.models import Document, Household

MANDATE_RULE = "debit_mandate"

register_actions(
    {
        "debit.mandate.created": gettext_lazy("Debit mandate signed"),
        "debit.mandate.changed": gettext_lazy("Debit mandate changed"),
    }
)
register_field_labels(
    {
        "mandate_state": (gettext_lazy("mandate state"), MandateState),
        "card": gettext_lazy("card"),
        "signed_via": (gettext_lazy("signed"), SignedVia),
    }
)


class MandateError(Exception):
    """A refused mandate operation; the message is translated and nothing was written."""


def _households_with_active_mandate(community: Community):
    return Mandate.objects.filter(community=community, state=MandateState.ACTIVE).values("household_id")


register_tag_rule(
    TagRule(
        key=MANDATE_RULE,
        name=pgettext_lazy("system tag", "Direct debit signed"),
        colour=TagColour.GREEN,
        description=pgettext_lazy("system tag", "Has an active bank direct debit mandate"),
        households=_households_with_active_mandate,
    )
)


def _tag_refresh_on_commit(mandate: Mandate) -> None:
    community, household_ids = Community(pk=mandate.community_id), [mandate.household_id]
    transaction.on_commit(
        lambda: tags_refresh(community=community, keys=[MANDATE_RULE], household_ids=household_ids)
    )


CARD_RE = re.compile(r"^\d{12,19}$")


def card_clean(card_number: str) -> str:
    """A bank card number as digits only (spaces and dashes as people type them are dropped)."""
    digits = re.sub(r"[\s-]", "", card_number or "")
    if not CARD_RE.match(digits):
        raise MandateError(_("A bank card number has 12 to 19 digits."))
    return digits


@dataclass(frozen=True)
class MandateTerms:
    """What the owner agrees to: the card, which fee items, the limits and the dates."""

    bank_name: str
    holder_name: str
    card_number: str
    fee_items: tuple[FeeItem, ...]
    effective_on: datetime.date
    expires_on: datetime.date | None = None
    limit_per_debit_fen: int | None = None
    limit_per_month_fen: int | None = None
    holder_id_number: str = ""
    phone: str = ""


def _create(*, household: Household, terms: MandateTerms, actor, **evidence) -> Mandate:
    holder = (terms.holder_name or "").strip()
    if not holder:
        raise MandateError(_("Enter the account holder's name."))
    card = card_clean(terms.card_number)
    if not terms.fee_items:
        raise MandateError(_("Choose at least one fee item to be debited."))
    if any(item.community_id != household.community_id for item in terms.fee_items):
        raise MandateError(_("A fee item of another community cannot be debited."))
    if terms.expires_on and terms.expires_on < terms.effective_on:
        raise MandateError(_("The mandate cannot expire before it takes effect."))
    for limit in (terms.limit_per_debit_fen, terms.limit_per_month_fen):
        if limit is not None and limit <= 0:
            raise MandateError(_("A limit must be more than zero."))
    if Mandate.objects.filter(household=household, state__in=MANDATE_LIVE_STATES).exists():
        raise MandateError(
            _("This household already has a mandate; revoke it before signing one for another card.")
        )
    mandate = Mandate.objects.create(
        community_id=household.community_id,
        household=household,
        bank_name=(terms.bank_name or DebitSettings.of(household.community_id).bank_name)[:60],
        holder_name=holder[:40],
        card_number=card,
        card_last4=card[-4:],
        holder_id_number=(terms.holder_id_number or "").strip().upper(),
        phone=(terms.phone or "").strip()[:20],
        effective_on=terms.effective_on,
        expires_on=terms.expires_on,
        limit_per_debit_fen=terms.limit_per_debit_fen,
        limit_per_month_fen=terms.limit_per_month_fen,
        state=MandateState.PENDING_BANK,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **evidence,
    )
    mandate.fee_items.set(terms.fee_items)
    log_action(
        "debit.mandate.created",
        actor=actor,
        obj=mandate,
        household_id=household.pk,
        changes={
            "card": mandate.card_display,
            "signed_via": mandate.signed_via,
            "mandate_state": mandate.state,
        },
    )
    return mandate


@transaction.atomic
def mandate_sign_online(
    *, household: Household, terms: MandateTerms, code_checked: bool, client_address: str = "", actor=None
) -> Mandate:
    """The owner signs in the portal. The caller checked the one-time code sent to the owner's phone
    (``code_checked``); the time, address and check are the consent's evidence."""
    if not code_checked:
        raise MandateError(_("Confirm with the one-time code sent to your phone."))
    return _create(
        household=household,
        terms=terms,
        actor=actor,
        signed_via=SignedVia.PORTAL,
        consent_code_checked=True,
        consent_address=(client_address or "")[:45],
    )


@transaction.atomic
def mandate_sign_counter(*, household: Household, terms: MandateTerms, form: Document, actor) -> Mandate:
    """Staff enter a mandate from the paper form the owner signed; the scanned form is its evidence."""
    if form.household_id != household.pk:
        raise MandateError(_("The signed form must be a document of this household."))
    return _create(
        household=household, terms=terms, actor=actor, signed_via=SignedVia.COUNTER, consent_document=form
    )


def _lock(pk: int) -> Mandate:
    return Mandate.objects.select_for_update().get(pk=pk)


@transaction.atomic
def mandate_transition(
    *, mandate: Mandate, to_state: str, reason: str = "", agreement_no: str = "", actor=None
) -> Mandate:
    """The one way a mandate's state changes.

    Steps: lock the mandate; check the move against ``MANDATE_TRANSITIONS`` (a move to the state it is
    in is a no-op); becoming active needs the bank's agreement number; write; log on the household's
    timeline; refresh the 已签代扣 tag after commit."""
    locked = _lock(mandate.pk)
    if locked.state == to_state:
        return locked
    if to_state not in MANDATE_TRANSITIONS[locked.state]:
        raise MandateError(
            _("A mandate that is %(state)s cannot become %(to)s.")
            % {"state": locked.get_state_display(), "to": MandateState(to_state).label}
        )
    agreement_no = (agreement_no or "").strip()
    if to_state == MandateState.ACTIVE:
        if agreement_no:
            if (
                Mandate.objects.filter(community_id=locked.community_id, agreement_no=agreement_no)
                .exclude(pk=locked.pk)
                .exists()
            ):
                raise MandateError(_("Another mandate has this agreement number."))
            locked.agreement_no = agreement_no[:40]
        if not locked.agreement_no:
            raise MandateError(_("Enter the bank's agreement number to activate the mandate."))
    if (
        to_state in (MandateState.REVOKED, MandateState.REJECTED, MandateState.SUSPENDED)
        and not reason.strip()
    ):
        raise MandateError(_("Give a reason."))
    before = locked.state
    locked.state, locked.state_reason = to_state, reason.strip()[:200]
    locked.save(update_fields=["state", "state_reason", "agreement_no", "updated_at"])
    log_action(
        "debit.mandate.changed",
        actor=actor,
        obj=locked,
        household_id=locked.household_id,
        changes={"mandate_state": [before, to_state], **({"reason": locked.state_reason} if reason else {})},
    )
    _tag_refresh_on_commit(locked)
    return locked


@dataclass(frozen=True)
class Confirmation:
    """A line of the bank's confirmation file: our mandate number, and the bank's answer."""

    mandate_number: str
    agreement_no: str = ""
    rejected_reason: str = ""  # non-empty: the bank refused the mandate


def mandates_confirm(
    *, community: Community, confirmations: Iterable[Confirmation], actor=None
) -> dict[str, int]:
    """Apply the bank's confirmation file: each mandate awaiting the bank becomes active with its
    agreement number, or rejected with the bank's reason. Lines for unknown mandates or mandates no
    longer waiting are counted as skipped; re-importing the same file changes nothing."""
    counts = {"activated": 0, "rejected": 0, "skipped": 0}
    for confirmation in confirmations:
        mandate = Mandate.objects.filter(community=community, number=confirmation.mandate_number).first()
        if mandate is None or mandate.state != MandateState.PENDING_BANK:
            counts["skipped"] += 1
            continue
        if confirmation.rejected_reason:
            mandate_transition(
                mandate=mandate,
                to_state=MandateState.REJECTED,
                reason=confirmation.rejected_reason,
                actor=actor,
            )
            counts["rejected"] += 1
        else:
            mandate_transition(
                mandate=mandate,
                to_state=MandateState.ACTIVE,
                agreement_no=confirmation.agreement_no,
                actor=actor,
            )
            counts["activated"] += 1
    return counts


def mandates_expire(*, today: datetime.date | None = None) -> int:
    """Mandates past their expiry date become expired (run daily with the other periodic commands)."""
    today = today or timezone.localdate()
    expired = 0
    for mandate in Mandate.objects.filter(
        state__in=(MandateState.ACTIVE, MandateState.SUSPENDED), expires_on__lt=today
    ).order_by("pk"):
        mandate_transition(mandate=mandate, to_state=MandateState.EXPIRED)
        expired += 1
    return expired
