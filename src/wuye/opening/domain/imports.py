"""Opening balances (期初): preview, import and reverse a file of arrears, prepayments and deposits.

The path: ``wuye.opening.interfaces.excel`` reads the uploaded workbook with the Excel kit into
``OpeningRow`` objects (every cell problem with its row and column); ``opening_preview`` checks each
row against the community (``opening_rows_check``: the room by its label, the room's household, the
fee item by its name, the month, duplicates, bills that exist already) and keeps a previewed
``OpeningImport`` with the checked rows and the totals the office compares with its old system;
``opening_import`` checks the rows again as the database is now and writes them all or none;
``opening_reverse`` takes a whole import back until the first payment touches it.

What an import writes, in one database transaction:

- one ledger transaction (kind ``opening``, reference ``opening.import:<pk>``):
  an arrear       Dr receivable (household)   Cr opening balances (household, fee item)
  a prepayment    Dr opening balances (household)   Cr prepayment (household)
  a deposit       Dr opening balances (household)   Cr deposits held (household)
- the arrears as ordinary bills of their months (``billing.domain.bills.bills_create``: one bill
  per household and month, its lines of the fee item and amount given, naming that transaction), due
  on the fee item's due day of the month: they are paid by QR, at the counter or by bank debit, are
  in the arrears reports and the 欠费 tag like any bill;
- an ``OpeningBalance`` per row (the arrear's one points to its line).

Prepayments are not applied to the household's open bills at import (the balances stay as the old
system had them, so that the totals compare); the household's next bill or payment applies them, as
for any prepayment.

A reversal writes one transaction reversing every posting of the import (kind ``opening_reversal``:
the ledger is never edited) and voids the import's lines the way a voided billing run voids its
lines (``bills.lines_void``). It is refused, changing nothing, once a line of the import was paid,
adjusted or waived, is in a payment under way, or a household's prepayment was spent since.

Lock order: the import, the community (as billing runs and one-off charges: a month's bills are
created by one writer at a time), the households by pk (as every payment locks its household first),
then their lines by pk.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.billing.domain.bills import NewLine, bills_create, lines_void
from wuye.billing.domain.compute import month_start
from wuye.billing.models import Bill, BillLine, FeeItem
from wuye.billing.tagrules import arrears_tag_refresh_on_commit
from wuye.core.audit import AuditEntry, log_action, log_bulk, register_actions, register_field_labels
from wuye.core.excel import Problem, clean_text, register_messages
from wuye.core.models import Community
from wuye.core.money import fen_to_yuan
from wuye.estate.domain.queries import room_by_label
from wuye.estate.models import Room
from wuye.households.models import Household, HouseholdRoom
from wuye.ledger.domain.ledger import Entry, transaction_post, transactions_reverse
from wuye.ledger.enums import Account, TransactionKind
from wuye.ledger.models import Posting
from wuye.opening.enums import (
    DUE,
    FEE_ITEM,
    HEADERS,
    NOTE,
    PERIOD,
    ROOM,
    TRANSITIONS,
    BalanceKind,
    ImportState,
)
from wuye.opening.models import OpeningBalance, OpeningImport
from wuye.payments.enums import OrderState
from wuye.payments.models import Allocation, OrderLine

register_actions(
    {
        "opening.import.previewed": gettext_lazy("Opening balances previewed"),
        "opening.import.imported": gettext_lazy("Opening balances imported"),
        "opening.import.reversed": gettext_lazy("Opening balances import reversed"),
        "opening.balance.imported": gettext_lazy("Opening balance brought in"),
        "opening.balance.reversed": gettext_lazy("Opening balance taken back"),
    }
)
register_field_labels(
    {
        "file_name": gettext_lazy("file"),
        "rows": gettext_lazy("rows"),
        "arrears_yuan": gettext_lazy("arrears (yuan)"),
        "prepayment_yuan": gettext_lazy("prepayment (yuan)"),
        "deposit_yuan": gettext_lazy("deposit (yuan)"),
        "import_number": gettext_lazy("import"),
    }
)

# Problems of a row found against the community (the Excel kit words them; see core.excel).
register_messages(
    {
        "opening_unknown_room": gettext_lazy(
            "Room “%(room)s” does not exist in this community, or the label fits several rooms;"
            " write it as the system prints it, e.g. 1栋-1单元-101."
        ),
        "opening_no_household": gettext_lazy(
            "Room %(room)s has no household: add the household to the archive first."
        ),
        "opening_household_changed": gettext_lazy(
            "The household of room %(room)s changed since the preview: upload the file again."
        ),
        "opening_unknown_fee_item": gettext_lazy("Fee item “%(item)s” does not exist in this community."),
        "opening_due_before_month": gettext_lazy(
            "%(column)s %(day)s is before the month it is due for (%(month)s)."
        ),
        "opening_future_month": gettext_lazy(
            "%(column)s %(month)s is after this month: only past balances are imported."
        ),
        "opening_duplicate_arrear": gettext_lazy(
            "Room %(room)s, %(item)s, %(month)s appears more than once in the file (first on row %(first)s)."
        ),
        "opening_duplicate_prepayment": gettext_lazy(
            "Room %(room)s has a prepayment on row %(first)s already: add them up in one row."
        ),
        "opening_duplicate_deposit": gettext_lazy(
            "Room %(room)s has the same deposit on row %(first)s already: add them up in one row, or tell"
            " them apart in %(column)s."
        ),
        "opening_bill_exists": gettext_lazy(
            "The household of room %(room)s already has a bill for %(month)s in Wuye: bring in only months"
            " it was not billed for here."
        ),
        "opening_already_billed": gettext_lazy("Room %(room)s is billed for %(item)s in %(month)s already."),
    }
)

REFERENCE = "opening.import:{pk}"
LISTED = 5  # rooms named in a refusal


class OpeningError(Exception):
    """A refused opening-balance action; the message is translated. Nothing was written."""


class OpeningRefusedError(OpeningError):
    """Rows that cannot be imported, each with its row, column and reason. Nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__(_("The file has problems; nothing was written."))
        self.problems = problems


@dataclass(frozen=True)
class OpeningRow:
    """One row of a file, as read (cells checked, nothing looked up yet)."""

    row: int
    kind: str  # BalanceKind
    room: str  # the room's label as written
    amount_fen: int
    fee_item: str = ""  # arrears only: the fee item's name
    period: datetime.date | None = None  # arrears only: the month
    note: str = ""
    due_on: datetime.date | None = None  # arrears only: the day it was due (default: the item's due day)

    def as_json(self) -> dict:
        return {
            "row": self.row,
            "kind": self.kind,
            "room_label": self.room,
            "amount_fen": self.amount_fen,
            "fee_item_name": self.fee_item,
            "period": f"{self.period:%Y-%m}" if self.period else None,
            "note": self.note,
            "due_on_given": self.due_on.isoformat() if self.due_on else None,
        }

    @classmethod
    def from_json(cls, data: dict) -> OpeningRow:
        period = data.get("period")
        return cls(
            row=int(data["row"]),
            kind=data["kind"],
            room=data["room_label"],
            amount_fen=int(data["amount_fen"]),
            fee_item=data.get("fee_item_name") or "",
            period=datetime.date.fromisoformat(period + "-01") if period else None,
            note=data.get("note") or "",
            due_on=datetime.date.fromisoformat(data["due_on_given"]) if data.get("due_on_given") else None,
        )


def _name_key(text: str) -> str:
    return clean_text(text).casefold()


def _month(period: datetime.date | None) -> str:
    return f"{period:%Y-%m}" if period else ""


def opening_rows_check(*, community: Community, rows: list[OpeningRow]) -> tuple[list[dict], list[Problem]]:
    """Each row looked up in the community: ([checked row as JSON], [problems]); writes nothing.

    A checked row carries what the file said (``OpeningRow.as_json``) and what it was found to mean:
    room, building, household and fee item (pks and names) and, for an arrear, the bill's due date.
    """
    problems: list[Problem] = []
    rooms: dict[str, object] = {}
    for label in {row.room for row in rows}:
        rooms[label] = room_by_label(community=community, label=label)
    room_pks = [room.pk for room in rooms.values() if room is not None]
    households = dict(
        HouseholdRoom.objects.filter(community=community, room_id__in=room_pks).values_list(
            "room_id", "household_id"
        )
    )
    household_names = dict(
        Household.objects.filter(pk__in=set(households.values())).values_list("pk", "name")
    )
    items = {_name_key(item.name): item for item in FeeItem.objects.filter(community=community)}
    this_month = month_start(timezone.localdate())
    checked: list[dict] = []
    firsts: dict[tuple, int] = {}
    for row in rows:
        room = rooms.get(row.room)
        if room is None:
            problems.append(
                Problem(row.row, "opening_unknown_room", {"column": HEADERS[ROOM], "room": row.room})
            )
            continue
        household_pk = households.get(room.pk)
        if household_pk is None:
            problems.append(
                Problem(row.row, "opening_no_household", {"column": HEADERS[ROOM], "room": room.label})
            )
        item = None
        if row.kind == BalanceKind.ARREARS:
            item = items.get(_name_key(row.fee_item))
            if item is None:
                problems.append(
                    Problem(
                        row.row,
                        "opening_unknown_fee_item",
                        {"column": HEADERS[FEE_ITEM], "item": row.fee_item},
                    )
                )
            if row.period is not None and row.due_on is not None and row.due_on < row.period:
                problems.append(
                    Problem(
                        row.row,
                        "opening_due_before_month",
                        {"column": HEADERS[DUE], "day": row.due_on.isoformat(), "month": _month(row.period)},
                    )
                )
            if row.period is not None and row.period > this_month:
                problems.append(
                    Problem(
                        row.row,
                        "opening_future_month",
                        {"column": HEADERS[PERIOD], "month": _month(row.period)},
                    )
                )
        if row.kind == BalanceKind.ARREARS:
            key = (row.kind, room.pk, item.pk if item else row.fee_item, row.period)
            code, params = "opening_duplicate_arrear", {"item": row.fee_item, "month": _month(row.period)}
        elif row.kind == BalanceKind.PREPAYMENT:
            key, code, params = (row.kind, room.pk), "opening_duplicate_prepayment", {}
        else:
            key, code, params = (
                (row.kind, room.pk, row.note),
                "opening_duplicate_deposit",
                {"column": HEADERS[NOTE]},
            )
        first = firsts.setdefault(key, row.row)
        if first != row.row:
            problems.append(
                Problem(
                    row.row, code, {"column": HEADERS[ROOM], "room": room.label, "first": first, **params}
                )
            )
            continue
        if household_pk is None or (row.kind == BalanceKind.ARREARS and item is None):
            continue
        checked.append(
            {
                **row.as_json(),
                "room_id": room.pk,
                "room": room.label,
                "building_id": room.building_id,
                "building": room.building.name,
                "household_id": household_pk,
                "household": household_names.get(household_pk, ""),
                "fee_item_id": item.pk if item else None,
                "fee_item": item.name if item else "",
                "due_on": (row.due_on or row.period.replace(day=item.due_day)).isoformat() if item else None,
            }
        )
    problems += _billed_already(community=community, checked=checked)
    return checked, sorted(problems, key=lambda p: (p.row is not None, p.row or 0))


def _billed_already(*, community: Community, checked: list[dict]) -> list[Problem]:
    """Arrears of a month the household has a bill for, or the room is billed for that item, already."""
    arrears = [row for row in checked if row["kind"] == BalanceKind.ARREARS]
    if not arrears:
        return []
    periods = {datetime.date.fromisoformat(row["period"] + "-01") for row in arrears}
    bills = set(
        Bill.objects.filter(
            community_id=community.pk,
            household_id__in={row["household_id"] for row in arrears},
            period__in=periods,
        )
        .exclude(state="void")
        .values_list("household_id", "period")
    )
    lines = set(
        BillLine.objects.filter(
            community_id=community.pk,
            room_id__in={row["room_id"] for row in arrears},
            period__in=periods,
            is_void=False,
        ).values_list("room_id", "fee_item_id", "period")
    )
    problems = []
    for row in arrears:
        period = datetime.date.fromisoformat(row["period"] + "-01")
        params = {
            "column": HEADERS[PERIOD],
            "room": row["room"],
            "month": row["period"],
            "item": row["fee_item"],
        }
        if (row["room_id"], row["fee_item_id"], period) in lines:
            problems.append(Problem(row["row"], "opening_already_billed", params))
        elif (row["household_id"], period) in bills:
            problems.append(Problem(row["row"], "opening_bill_exists", params))
    return problems


def opening_totals(checked: list[dict]) -> dict:
    """What the preview shows, for the office to compare with its old system: totals per kind, per
    fee item (arrears), per building (each kind), the households and those with arrears and a prepayment."""
    kinds = {kind: {"rows": 0, "fen": 0} for kind in BalanceKind.values}
    items: dict[str, dict] = {}
    buildings: dict[str, dict] = {}
    households: dict[int, set] = defaultdict(set)
    for row in checked:
        kinds[row["kind"]]["rows"] += 1
        kinds[row["kind"]]["fen"] += row["amount_fen"]
        households[row["household_id"]].add(row["kind"])
        if row["kind"] == BalanceKind.ARREARS:
            item = items.setdefault(row["fee_item"], {"name": row["fee_item"], "rows": 0, "fen": 0})
            item["rows"] += 1
            item["fen"] += row["amount_fen"]
        building = buildings.setdefault(
            row["building"], {"name": row["building"], "rows": 0, **dict.fromkeys(BalanceKind.values, 0)}
        )
        building["rows"] += 1
        building[row["kind"]] += row["amount_fen"]
    return {
        "kinds": kinds,
        "fee_items": sorted(items.values(), key=lambda item: item["name"]),
        "buildings": sorted(buildings.values(), key=lambda building: building["name"]),
        "households": len(households),
        "arrears_and_prepayment": sum(
            1 for found in households.values() if {BalanceKind.ARREARS, BalanceKind.PREPAYMENT} <= found
        ),
        "months": sorted({row["period"] for row in checked if row["period"]}),
    }


REFUSED_TRANSITION = {
    ImportState.IMPORTED: gettext_lazy("Only a previewed import can be imported; this one is %(state)s."),
    ImportState.REVERSED: gettext_lazy("Only an imported import can be reversed; this one is %(state)s."),
}


def _check_transition(opening_import: OpeningImport, target: str) -> None:
    if target not in TRANSITIONS[opening_import.state]:
        raise OpeningError(REFUSED_TRANSITION[target] % {"state": opening_import.get_state_display()})


@transaction.atomic
def opening_preview(
    *, community: Community, file_name: str, sha256: str, rows: list[OpeningRow], actor
) -> OpeningImport:
    """Check the rows of a file and keep them as a previewed import; write nothing else.

    Steps: a file imported before (same SHA-256, not reversed) is refused, naming that import; one
    previewed before is checked again and returned (its preview brought up to date); check every row
    (``opening_rows_check``), refusing with every problem; keep the import with its checked rows and
    totals; log.
    """
    existing = (
        OpeningImport.objects.select_for_update()
        .filter(community=community, sha256=sha256)
        .exclude(state=ImportState.REVERSED)
        .first()
    )
    if existing is not None and existing.state == ImportState.IMPORTED:
        raise OpeningError(
            _("This file was imported already on %(date)s (import #%(pk)s); it is not imported twice.")
            % {"date": timezone.localtime(existing.imported_at).strftime("%Y-%m-%d %H:%M"), "pk": existing.pk}
        )
    checked, problems = opening_rows_check(community=community, rows=rows)
    if problems:
        raise OpeningRefusedError(problems)
    if not checked:
        raise OpeningError(_("The file has no rows to import."))
    totals = opening_totals(checked)
    values = {
        "rows": checked,
        "preview": totals,
        "row_count": len(checked),
        "arrears_fen": totals["kinds"][BalanceKind.ARREARS]["fen"],
        "prepayment_fen": totals["kinds"][BalanceKind.PREPAYMENT]["fen"],
        "deposit_fen": totals["kinds"][BalanceKind.DEPOSIT]["fen"],
    }
    if existing is not None:
        OpeningImport.objects.filter(pk=existing.pk).update(file_name=file_name[:200], **values)
        existing.refresh_from_db()
        return existing
    try:
        with transaction.atomic():
            record = OpeningImport.objects.create(
                community=community,
                file_name=file_name[:200],
                sha256=sha256,
                created_by=_user(actor),
                **values,
            )
    except IntegrityError:
        # The same file previewed by another request meanwhile: that preview stands.
        return OpeningImport.objects.get(community=community, sha256=sha256, state=ImportState.PREVIEWED)
    log_action(
        "opening.import.previewed",
        actor=actor,
        obj=record,
        changes={
            "file_name": record.file_name,
            "rows": record.row_count,
            "arrears_yuan": fen_to_yuan(record.arrears_fen),
            "prepayment_yuan": fen_to_yuan(record.prepayment_fen),
            "deposit_yuan": fen_to_yuan(record.deposit_fen),
        },
    )
    return record


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _entries(rows: list[dict]) -> list[Entry]:
    """The import's postings, summed per account, household and fee item (see the module docstring)."""
    sums: dict[tuple[str, int, int | None], int] = defaultdict(int)
    for row in rows:
        household, amount = row["household_id"], row["amount_fen"]
        if row["kind"] == BalanceKind.ARREARS:
            sums[(Account.RECEIVABLE, household, None)] += amount
            sums[(Account.OPENING, household, row["fee_item_id"])] -= amount
        else:
            credit = Account.PREPAYMENT if row["kind"] == BalanceKind.PREPAYMENT else Account.DEPOSITS
            sums[(Account.OPENING, household, None)] += amount
            sums[(credit, household, None)] -= amount
    return [
        Entry(account, amount, household_id=household, fee_item_id=item)
        for (account, household, item), amount in sorted(sums.items(), key=lambda entry: str(entry[0]))
    ]


def _per_household(rows, action: str, import_pk: int, community_id: int, actor) -> list[AuditEntry]:
    """One timeline entry per household: what the import brought in (or took back) for it."""
    amounts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[int, str] = {}
    for row in rows:
        amounts[row["household_id"]][row["kind"]] += row["amount_fen"]
        names[row["household_id"]] = row["household"]
    return [
        AuditEntry(
            community_id=community_id,
            action=action,
            object_type="opening.openingimport",
            object_pk=import_pk,
            object_repr=names[household][:200],
            household_id=household,
            changes={
                f"{kind}_yuan": fen_to_yuan(fen) for kind, fen in sorted(amounts[household].items()) if fen
            }
            | {"import_number": import_pk},
            actor_id=getattr(_user(actor), "pk", None),
        )
        for household in sorted(amounts)
    ]


@transaction.atomic
def opening_import(*, opening_import: OpeningImport, actor) -> OpeningImport:
    """Write a previewed import, all of it or nothing. Importing it again returns it unchanged.

    Steps: lock the import (an imported one is returned as it is); check the transition; lock the
    community; check every row again as the database is now (a room's household that changed since the
    preview is a problem too), refusing with every problem; post the ledger transaction; create the
    arrears' bills and lines; write an ``OpeningBalance`` per row; mark the import imported; log it, and
    on each household's timeline; after commit, bring the 欠费 tag of its households up to date.
    """
    locked = OpeningImport.objects.select_for_update().get(pk=opening_import.pk)
    if locked.state == ImportState.IMPORTED:
        return locked
    _check_transition(locked, ImportState.IMPORTED)
    Community.objects.select_for_update().filter(pk=locked.community_id).exists()
    stored = locked.rows
    checked, problems = opening_rows_check(
        community=locked.community, rows=[OpeningRow.from_json(row) for row in stored]
    )
    before = {row["row"]: row["household_id"] for row in stored}
    problems += [
        Problem(row["row"], "opening_household_changed", {"column": HEADERS[ROOM], "room": row["room"]})
        for row in checked
        if before.get(row["row"]) != row["household_id"]
    ]
    if problems:
        raise OpeningRefusedError(sorted(problems, key=lambda p: (p.row is not None, p.row or 0)))
    reference = REFERENCE.format(pk=locked.pk)
    record = transaction_post(
        community_id=locked.community_id,
        kind=TransactionKind.OPENING,
        entries=_entries(checked),
        memo=locked.file_name,
        reference=reference,
        key=reference,
        actor=actor,
        key_seen="raise",
    )
    arrears = [row for row in checked if row["kind"] == BalanceKind.ARREARS]
    lines = bills_create(
        community_id=locked.community_id,
        lines=[
            NewLine(
                household_id=row["household_id"],
                room_id=row["room_id"],
                fee_item_id=row["fee_item_id"],
                period=datetime.date.fromisoformat(row["period"] + "-01"),
                amount_fen=row["amount_fen"],
                due_on=datetime.date.fromisoformat(row["due_on"]),
            )
            for row in arrears
        ],
        record_id=record.pk,
    )
    line_of = {(line.room_id, line.fee_item_id, f"{line.period:%Y-%m}"): line.pk for line in lines}
    OpeningBalance.objects.bulk_create(
        [
            OpeningBalance(
                community_id=locked.community_id,
                opening_import=locked,
                row=row["row"],
                kind=row["kind"],
                household_id=row["household_id"],
                room_id=row["room_id"],
                fee_item_id=row["fee_item_id"],
                period=datetime.date.fromisoformat(row["period"] + "-01") if row["period"] else None,
                amount_fen=row["amount_fen"],
                note=row["note"][:200],
                line_id=line_of.get((row["room_id"], row["fee_item_id"], row["period"])),
            )
            for row in checked
        ]
    )
    locked.state, locked.transaction = ImportState.IMPORTED, record
    locked.imported_by, locked.imported_at = _user(actor), timezone.now()
    locked.save(update_fields=["state", "transaction", "imported_by", "imported_at"])
    log_action(
        "opening.import.imported",
        actor=actor,
        obj=locked,
        changes={
            "file_name": locked.file_name,
            "rows": len(checked),
            "arrears_yuan": fen_to_yuan(locked.arrears_fen),
            "prepayment_yuan": fen_to_yuan(locked.prepayment_fen),
            "deposit_yuan": fen_to_yuan(locked.deposit_fen),
        },
    )
    log_bulk(_per_household(checked, "opening.balance.imported", locked.pk, locked.community_id, actor))
    arrears_tag_refresh_on_commit(
        community_id=locked.community_id, household_ids=sorted({row["household_id"] for row in arrears})
    )
    return locked


def _rooms(pks) -> str:
    """A few rooms named in a refusal: '1栋-1单元-101、1栋-1单元-102 …'."""
    labels = [
        str(room)
        for room in Room.objects.filter(pk__in=sorted(pks)[:LISTED]).select_related("building", "unit")
    ]
    return "、".join(sorted(labels)) + (" …" if len(pks) > LISTED else "")


def opening_reversal_refusal(*, opening_import: OpeningImport) -> str | None:
    """Why the import can no longer be reversed (translated), or None. Read under the locks of
    ``opening_reverse`` to be sure; read without them, it says what the page may offer."""
    if opening_import.state != ImportState.IMPORTED:
        return None
    lines = BillLine.objects.filter(
        community_id=opening_import.community_id, transaction_id=opening_import.transaction_id
    )
    moved = (
        ~Q(paid_fen=0)
        | ~Q(waived_fen=0)
        | ~Q(adjusted_fen=0)
        | ~Q(late_fee_paid_fen=0)
        | Q(late_fee_waived_at__isnull=False)
        | Q(late_fee_waiver_requested_at__isnull=False)
    )
    touched = set(lines.filter(moved).values_list("room_id", flat=True))
    touched |= set(Allocation.objects.filter(line__in=lines).values_list("line__room_id", flat=True))
    if touched:
        return _(
            "Bills of this import have been paid, adjusted or waived (rooms %(rooms)s): an import can be"
            " reversed only until the first payment touches it."
        ) % {"rooms": _rooms(touched)}
    under_way = set(
        OrderLine.objects.filter(line__in=lines, order__state=OrderState.OPEN).values_list(
            "line__room_id", flat=True
        )
    )
    if under_way:
        return _(
            "A payment of bills of this import is under way (rooms %(rooms)s: a QR payment or a bank debit"
            " batch); reverse it once that payment is paid or closed, if it was not paid."
        ) % {"rooms": _rooms(under_way)}
    prepaid = OpeningBalance.objects.filter(opening_import=opening_import, kind=BalanceKind.PREPAYMENT)
    spent = set(
        Posting.objects.filter(
            community_id=opening_import.community_id,
            account=Account.PREPAYMENT,
            household_id__in=prepaid.values("household_id"),
            amount_fen__gt=0,  # a debit: the balance applied to bills or refunded
            transaction_id__gt=opening_import.transaction_id,
        ).values_list("household_id", flat=True)
    )
    if spent:
        rooms = set(prepaid.filter(household_id__in=spent).values_list("room_id", flat=True))
        return _(
            "Prepayments of this import have been used since (rooms %(rooms)s): an import can be reversed"
            " only until the first payment touches it."
        ) % {"rooms": _rooms(rooms)}
    return None


@transaction.atomic
def opening_reverse(*, opening_import: OpeningImport, reason: str, actor) -> OpeningImport:
    """Take a whole import back: one reversing ledger transaction, its bill lines void, audited.

    Steps: check the reason; lock the import and check the transition; lock the community and the
    import's households (by pk); refuse, changing nothing, if a line of the import was paid, adjusted
    or waived, is in a payment under way, or an imported prepayment was spent since
    (``opening_reversal_refusal``); post the reversal (kind ``opening_reversal``, every posting of the
    import negated); void the lines (``lines_void``: bills left without a line are void); mark the
    import reversed; log it, and on each household's timeline; after commit, refresh 欠费.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise OpeningError(_("Give a reason for reversing the import."))
    if len(reason) > 200:
        raise OpeningError(_("The reason is at most 200 characters."))
    locked = OpeningImport.objects.select_for_update().get(pk=opening_import.pk)
    _check_transition(locked, ImportState.REVERSED)
    Community.objects.select_for_update().filter(pk=locked.community_id).exists()
    households = sorted({row["household_id"] for row in locked.rows})
    list(Household.objects.select_for_update().filter(pk__in=households).order_by("pk").values_list("pk"))
    lines = BillLine.objects.filter(community_id=locked.community_id, transaction_id=locked.transaction_id)
    list(lines.select_for_update().order_by("pk").values_list("pk"))
    refusal = opening_reversal_refusal(opening_import=locked)
    if refusal is not None:
        raise OpeningError(refusal)
    reference = REFERENCE.format(pk=locked.pk)
    reversal = transactions_reverse(
        community_id=locked.community_id,
        reference=reference,
        kind=TransactionKind.OPENING,
        reversal_kind=TransactionKind.OPENING_REVERSAL,
        memo=reason,
        key=f"{reference}:reversal",
        actor=actor,
    )
    bills = lines_void(lines=lines.filter(is_void=False))
    locked.state, locked.reversal_transaction_id = ImportState.REVERSED, reversal
    locked.reversed_by, locked.reversed_at, locked.reverse_reason = _user(actor), timezone.now(), reason
    locked.save(
        update_fields=["state", "reversal_transaction", "reversed_by", "reversed_at", "reverse_reason"]
    )
    log_action(
        "opening.import.reversed",
        actor=actor,
        obj=locked,
        changes={
            "file_name": locked.file_name,
            "reason": reason,
            "rows": locked.row_count,
            "bills": len(bills),
        },
    )
    log_bulk(_per_household(locked.rows, "opening.balance.reversed", locked.pk, locked.community_id, actor))
    arrears_tag_refresh_on_commit(community_id=locked.community_id, household_ids=households)
    return locked
