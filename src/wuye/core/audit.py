"""Writing the audit log. ``log_action`` is the one way to record a change."""

from __future__ import annotations

import datetime
import decimal
import json
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext

from wuye.core import sql
from wuye.core.models import AuditLog
from wuye.core.money import fen_to_yuan

_ACTION_LABELS: dict[str, Any] = {}


def register_actions(labels: dict[str, Any]) -> None:
    """Apps declare the human label of each of their action keys (shown in the timeline)."""
    _ACTION_LABELS.update(labels)


def action_label(action: str):
    return _ACTION_LABELS.get(action, action)


_FIELD_LABELS: dict[str, tuple[Any, Any]] = {}


def register_field_labels(labels: dict[str, Any]) -> None:
    """Apps name the fields they log: {"state": (label, ChoicesEnum)} or {"name": label}.

    A field named ``*_fen`` holds money in fen (the project's one naming rule for amounts): it is shown
    in yuan ("135.29"), so its label names yuan ("total (yuan)"), never fen.
    """
    for field, value in labels.items():
        _FIELD_LABELS[field] = value if isinstance(value, tuple) else (value, None)


def field_display(field: str, value: Any) -> tuple[Any, Any]:
    """The label of a logged field and its value as people read it: choice labels, not codes; amounts
    of ``*_fen`` fields in yuan; yes or no, not True or False."""
    label, choices = _FIELD_LABELS.get(field, (field, None))
    if isinstance(value, bool):
        value = gettext("yes") if value else gettext("no")
    elif choices is not None and value in choices.values:
        value = choices(value).label
    elif field.endswith("_fen") and isinstance(value, int):
        value = fen_to_yuan(value)
    return label, value


# Values that are plain already (exact types: a choices member is a str too, but is written by value).
_PLAIN_TYPES = frozenset({str, int, bool, float, type(None)})


def _plain(value: Any) -> Any:
    if type(value) in _PLAIN_TYPES:  # the common case, first: set-based writers log 100,000 rows
        return value
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime | decimal.Decimal):
        return str(value)
    if hasattr(value, "label") and hasattr(value, "value"):
        return str(value.value)
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(getattr(instance, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields that changed."""
    return {key: [before.get(key), after.get(key)] for key in after if before.get(key) != after.get(key)}


def log_action(
    action: str,
    *,
    actor,
    obj: models.Model | None = None,
    community_id: int | None = None,
    household_id: int | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditLog:
    if community_id is None and obj is not None:
        community_id = getattr(obj, "community_id", None)
    entry = AuditLog(
        community_id=community_id,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_pk=obj.pk if obj is not None else None,
        object_repr=str(obj)[:200] if obj is not None else "",
        household_id=household_id,
        changes={
            key: [_plain(v) for v in value] if isinstance(value, list) else _plain(value)
            for key, value in (changes or {}).items()
        },
    )
    sql.insert([entry])  # every payment logs twice: one plain INSERT (wuye.core.sql)
    return entry


class AuditEntry(NamedTuple):
    """One row of ``log_bulk``, lighter than an unsaved ``AuditLog`` (which it also takes): a bank's
    result file logs 200,000 of them."""

    community_id: int | None
    action: str
    object_type: str
    object_pk: int | None
    object_repr: str
    household_id: int | None
    changes: dict
    actor_id: int | None = None


def log_bulk(entries: list[AuditLog] | list[AuditEntry]) -> None:
    """For set-based actions (a tag applied to a filter's results, a bank's result file): one row per
    object, all written at once (``sql.copy_rows``), changes made plain as ``log_action`` makes them."""
    if not entries:
        return
    now = timezone.now()
    sql.copy_rows(
        AuditLog._meta.db_table,
        (
            "community_id",
            "actor_id",
            "action",
            "object_type",
            "object_pk",
            "object_repr",
            "household_id",
            "changes",
            "created_at",
        ),
        (
            (
                entry.community_id,
                entry.actor_id,
                entry.action,
                entry.object_type,
                entry.object_pk,
                entry.object_repr,
                entry.household_id,
                json.dumps(
                    {
                        key: [_plain(v) for v in value] if isinstance(value, list) else _plain(value)
                        for key, value in (entry.changes or {}).items()
                    }
                ),
                now,
            )
            for entry in entries
        ),
    )
