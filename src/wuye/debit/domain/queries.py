"""Reads of the debit app for the console, the portal and the partner dashboard."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _

from wuye.billing.models import FeeItem
from wuye.core import sql
from wuye.core.models import AuditLog, Community
from wuye.debit.domain.mandates import Confirmation
from wuye.debit.enums import MANDATE_LIVE_STATES, MandateState, ReferralState
from wuye.debit.models import BankBranch, CardReferral, DebitSettings, Mandate
from wuye.estate.domain.queries import room_by_label
from wuye.households.models import Household

# The portal home asks both on every visit: fixed statements (wuye.core.sql), not ORM queries.


def debit_offered(*, community_id: int) -> bool:
    """Whether the community collects by bank debit: it has a partner bank set up."""
    return (
        sql.row(
            f"SELECT 1 FROM {DebitSettings._meta.db_table} WHERE community_id = %s AND bank_name <> '' LIMIT 1",  # noqa: S608
            [community_id],
        )
        is not None
    )


def live_mandate(*, household: Household) -> Mandate | None:
    """The household's mandate that is not over yet (draft, awaiting the bank, active or suspended),
    its fee items prefetched; the newest if ever there were several (Mandate's ordering)."""
    states = tuple(MANDATE_LIVE_STATES)
    mandate = sql.instance(
        Mandate,
        f"SELECT {sql.columns(Mandate)} FROM {Mandate._meta.db_table} "  # noqa: S608
        f"WHERE household_id = %s AND state IN ({', '.join(['%s'] * len(states))}) ORDER BY id DESC LIMIT 1",
        [household.pk, *states],
    )
    if mandate is not None:
        prefetch_related_objects([mandate], "fee_items")
    return mandate


def mandates_of_household(*, household: Household) -> QuerySet[Mandate]:
    return Mandate.objects.filter(household=household).prefetch_related("fee_items").order_by("-pk")


def mandate_fee_items(*, community: Community) -> QuerySet[FeeItem]:
    """The fee items a mandate may cover: the community's active ones."""
    return FeeItem.objects.filter(community=community, is_active=True).order_by("pk")


def mandates_for_list(*, community: Community, state: str = "", text: str = "") -> QuerySet[Mandate]:
    """The console's mandate list: by state, and by mandate number, agreement number, household name
    or room ("1栋-1单元-101", or a room number)."""
    mandates = Mandate.objects.filter(community=community)
    if state:
        mandates = mandates.filter(state=state)
    text = (text or "").strip()
    if text:
        matches = (
            Q(number__iexact=text)
            | Q(agreement_no=text)
            | Q(household__name__icontains=text)
            | Q(household__room_links__room__number=text)
        )
        room = room_by_label(community=community, label=text)
        if room is not None:
            matches |= Q(household__room_links__room=room)
        mandates = mandates.filter(matches).distinct()
    return mandates.select_related("household").prefetch_related(
        "household__room_links__room__building", "household__room_links__room__unit"
    )


def mandate_state_counts(*, community: Community) -> dict[str, int]:
    """{state: number of the community's mandates in it}, for the list's state tabs."""
    rows = Mandate.objects.filter(community=community).values("state").annotate(n=Count("pk")).order_by()
    return {row["state"]: row["n"] for row in rows}


def mandate_history(*, mandate: Mandate) -> QuerySet[AuditLog]:
    """The mandate's audit entries, newest first: signing and every change of state."""
    return (
        AuditLog.objects.filter(
            community_id=mandate.community_id, object_type="debit.mandate", object_pk=mandate.pk
        )
        .select_related("actor")
        .order_by("-created_at", "-pk")
    )


def branches_for(*, community: Community) -> QuerySet[BankBranch]:
    """The partner bank's open branches for the community's company."""
    return BankBranch.objects.filter(company_id=community.company_id, is_active=True).order_by("name")


def referrals_of_household(*, household: Household) -> QuerySet[CardReferral]:
    return CardReferral.objects.filter(household=household).select_related("branch").order_by("-created_at")


def referrals_for_bank(*, communities: QuerySet[Community], state: str = "") -> QuerySet[CardReferral]:
    """The bank's worklist of appointments in these communities, soonest visit first. Only the
    referral's own columns (what the owner gave for the booking) are meant to be shown."""
    referrals = CardReferral.objects.filter(community__in=communities)
    if state:
        referrals = referrals.filter(state=state)
    return referrals.select_related("branch", "community").order_by("visit_at", "pk")


@dataclass(frozen=True)
class ReferralCounts:
    """One community's card referrals by state (the partner dashboard's figures)."""

    community_id: int
    booked: int = 0
    opened: int = 0
    not_opened: int = 0
    cancelled: int = 0

    @property
    def total(self) -> int:
        """Referrals made, cancelled ones excluded."""
        return self.booked + self.opened + self.not_opened


def referral_counts(communities: Iterable[Community]) -> dict[int, ReferralCounts]:
    """{community pk: ReferralCounts} for every community given (zeros where there is none), in one
    grouped query."""
    pks = [community.pk for community in communities]
    found: dict[int, dict[str, int]] = {pk: {} for pk in pks}
    rows = (
        CardReferral.objects.filter(community_id__in=pks)
        .values("community_id", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        found[row["community_id"]][row["state"]] = row["n"]
    return {
        pk: ReferralCounts(
            community_id=pk,
            booked=states.get(ReferralState.BOOKED, 0),
            opened=states.get(ReferralState.OPENED, 0),
            not_opened=states.get(ReferralState.NOT_OPENED, 0),
            cancelled=states.get(ReferralState.CANCELLED, 0),
        )
        for pk, states in found.items()
    }


@dataclass
class ConfirmationPreview:
    """What applying a bank confirmation file would do, before anything is written."""

    activated: int = 0
    rejected: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def confirmations_preview(
    *, community: Community, rows: Iterable[tuple[int, Confirmation]]
) -> ConfirmationPreview:
    """Count what ``mandates_confirm`` would do with these (row number, confirmation) pairs, the same
    way it decides: a mandate awaiting the bank becomes active or rejected; anything else is skipped.
    An agreement number another mandate of the community holds is an error of its row."""
    rows = list(rows)
    numbers = [confirmation.mandate_number for _row, confirmation in rows]
    states = dict(
        Mandate.objects.filter(community=community, number__in=numbers).values_list("number", "state")
    )
    taken = dict(
        Mandate.objects.filter(
            community=community,
            agreement_no__in=[c.agreement_no for _row, c in rows if c.agreement_no],
        ).values_list("agreement_no", "number")
    )
    preview = ConfirmationPreview()
    for row, confirmation in rows:
        if states.get(confirmation.mandate_number) != MandateState.PENDING_BANK:
            preview.skipped += 1
        elif confirmation.rejected_reason:
            preview.rejected += 1
        elif taken.get(confirmation.agreement_no, confirmation.mandate_number) != confirmation.mandate_number:
            preview.errors.append(
                _("Row %(row)s: agreement number %(agreement)s belongs to mandate %(number)s already.")
                % {
                    "row": row,
                    "agreement": confirmation.agreement_no,
                    "number": taken[confirmation.agreement_no],
                }
            )
        else:
            preview.activated += 1
    return preview
