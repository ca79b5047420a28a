"""Reads of debit batches for the edges (the console's batch pages): lists, the preview, the lines
with their rooms, who may act on a batch. Mandate reads live in ``queries.py``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum

from wuye.core.enums import Permission
from wuye.core.models import Community, communities_for
from wuye.debit.domain.batches import LEFT_OUT_REASONS
from wuye.debit.models import DebitBatch, DebitLine, ResultFile
from wuye.estate.models import room_label
from wuye.households.models import HouseholdRoom
from wuye.payments.models import ChannelAccount


def batches_of_community(*, community: Community) -> QuerySet[DebitBatch]:
    """The batches that debit ``community`` (a batch of several communities is in each one's list)."""
    return DebitBatch.objects.filter(communities=community).prefetch_related("communities").order_by("-pk")


def build_communities(*, user, community: Community) -> QuerySet[Community]:
    """The communities a batch built from ``community`` may take: those of its company where the user
    manages debits."""
    return (
        communities_for(user, Permission.DEBIT_MANAGE).filter(company_id=community.company_id).order_by("pk")
    )


def batch_manageable(*, user, batch: DebitBatch) -> bool:
    """Whether the user manages debits in every community of the batch (sending, cancelling or
    settling a batch acts for all of them)."""
    wanted = set(batch.communities.values_list("pk", flat=True))
    allowed = set(
        communities_for(user, Permission.DEBIT_MANAGE).filter(pk__in=wanted).values_list("pk", flat=True)
    )
    return bool(wanted) and wanted == allowed


@dataclass(frozen=True)
class CommunityShare:
    name: str
    lines: int
    total_fen: int


def batch_by_community(*, batch: DebitBatch) -> list[CommunityShare]:
    """Lines and fen per community of the batch, in community order."""
    rows = (
        DebitLine.objects.filter(batch=batch)
        .values("community_id", "community__name")
        .annotate(lines=Count("pk"), total=Sum("amount_fen"))
        .order_by("community_id")
    )
    return [CommunityShare(row["community__name"], row["lines"], row["total"] or 0) for row in rows]


@dataclass(frozen=True)
class LeftOut:
    reason: str
    label: str
    households: int
    lines: int
    amount_fen: int


def batch_left_out(*, batch: DebitBatch) -> list[LeftOut]:
    """What the build left out and why (``batch.left_out``), with the reasons' labels."""
    return [
        LeftOut(
            reason=entry["reason"],
            label=str(LEFT_OUT_REASONS.get(entry["reason"], entry["reason"])),
            households=entry.get("households", 0),
            lines=entry.get("lines", 0),
            amount_fen=entry.get("amount_fen", 0),
        )
        for entry in batch.left_out or []
    ]


def batch_lines(*, batch: DebitBatch, state: str = "") -> QuerySet[DebitLine]:
    """The batch's lines in line order, optionally of one state, with the household and the mandate
    as a page shows them (the card's last four digits; the encrypted numbers are not even read)."""
    lines = DebitLine.objects.filter(batch=batch)
    if state:
        lines = lines.filter(state=state)
    return (
        lines.select_related("household", "mandate")
        .defer("mandate__card_number", "mandate__holder_id_number")
        .order_by("line_no")
    )


def household_rooms_labels(household_ids) -> dict[int, str]:
    """{household pk: its rooms as everywhere named (1栋-1单元-101、…)}, in one query."""
    labels: dict[int, list[str]] = {}
    rows = (
        HouseholdRoom.objects.filter(household_id__in=list(household_ids))
        .values_list("household_id", "room__building__name", "room__unit__name", "room__number")
        .order_by("room_id")
    )
    for household_id, building, unit, number in rows:
        labels.setdefault(household_id, []).append(room_label(building, unit, number))
    return {pk: "、".join(names) for pk, names in labels.items()}


def batch_result_files(*, batch: DebitBatch) -> QuerySet[ResultFile]:
    return ResultFile.objects.filter(batch=batch).select_related("imported_by").order_by("-pk")


def result_file_seen(*, batch: DebitBatch, sha256: str) -> ResultFile | None:
    """The file of the batch imported before with this digest, if any."""
    return ResultFile.objects.filter(batch=batch, sha256=sha256).first()


def batch_on_simulator(*, batch: DebitBatch, simulator_url: str) -> bool:
    """Whether a community of the batch runs against the local simulator (its payment channels point
    at ``simulator_url``, as the demo's do): then its bank is the simulated one too."""
    base = (simulator_url or "").rstrip("/")
    if not base:
        return False
    return ChannelAccount.objects.filter(
        community__in=batch.communities.values("pk"), gateway_url__startswith=base
    ).exists()
