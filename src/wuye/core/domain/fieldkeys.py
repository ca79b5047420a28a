"""Field keys: rewrite every encrypted value under the current key (``wuye fieldkeys``).

Rotation: set the new key as ``WUYE_FIELD_KEY`` and put the former one in ``WUYE_FIELD_KEYS_OLD``
(everything stays readable), run ``wuye fieldkeys rotate``, then drop the former key once
``wuye fieldkeys check`` says every value is under the current key.

Each model is walked in batches of rows by primary key, one transaction per batch: the batch's rows
are locked (``SELECT … FOR UPDATE``; SQLite's IMMEDIATE transactions hold the write lock), their
ciphertexts read as stored, and the values not yet under the current key written back in one
``UPDATE`` (``bulk_update``). A value already under the current key is left alone, so a second run
writes nothing; a value that no key opens is left alone and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions
from wuye.core.crypto import EncryptedTextField, UndecryptableValue, decrypt_state

register_actions(
    {"core.fieldkeys.rotated": gettext_lazy("Encrypted values rewritten under the current field key")}
)


@dataclass
class FieldCount:
    field: str  # "households.Person.id_number"
    current: int = 0  # values already under the current key
    rewritten: int = 0  # values that were under an old key, now under the current one
    old: int = 0  # values still under an old key (check; or in a row with an unreadable value)
    unreadable: int = 0  # values that no key opens, left as they are


def encrypted_fields() -> dict[type[models.Model], list[EncryptedTextField]]:
    """Every concrete model with encrypted columns, and those columns."""
    found: dict[type[models.Model], list[EncryptedTextField]] = {}
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found[model] = fields
    return found


def field_keys_rotate(*, batch_size: int = 1000, write: bool = True) -> list[FieldCount]:
    """Rewrite every encrypted value that is not under the current key; ``write=False`` only counts.

    Steps per batch: lock the rows, read the stored ciphertexts, decrypt those the current key does
    not open with the old keys, write them back encrypted under the current key, log the total.
    """
    counts: list[FieldCount] = []
    rewritten_total = 0
    for model, fields in encrypted_fields().items():
        model_counts = [FieldCount(f"{model._meta.label}.{field.name}") for field in fields]
        counts.extend(model_counts)
        filled = models.Q()
        for field in fields:
            filled |= ~models.Q(**{field.attname: ""}) & models.Q(**{f"{field.attname}__isnull": False})
        last_pk = None
        while True:
            with transaction.atomic():
                rows = model._base_manager.filter(filled).order_by("pk")
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                if write:
                    rows = rows.select_for_update()
                # Cast to plain text: the ciphertext as stored, not the field's decrypted value.
                batch = list(
                    rows.values_list(
                        "pk", *(Cast(field.attname, output_field=models.TextField()) for field in fields)
                    )[:batch_size]
                )
                if not batch:
                    break
                last_pk = batch[-1][0]
                changed = _batch_rewrite(model, fields, batch, model_counts, write=write)
                if changed:
                    model._base_manager.bulk_update(changed, [field.name for field in fields])
                    rewritten_total += len(changed)
    if write and rewritten_total:
        log_action(
            "core.fieldkeys.rotated",
            actor=None,
            changes={count.field: count.rewritten for count in counts if count.rewritten},
        )
    return counts


def _batch_rewrite(
    model, fields, batch, model_counts: list[FieldCount], *, write: bool
) -> list[models.Model]:
    """The instances to write back (plain values, encrypted again on save), counting every value.

    A row with a value that no key opens is not written at all, and its other values count as they
    are (current or not)."""
    changed = []
    for pk, *stored in batch:
        plain: dict[str, str | None] = {}
        states: list[tuple[FieldCount, str]] = []
        for field, value, count in zip(fields, stored, model_counts, strict=True):
            plain[field.attname] = value
            if value in (None, ""):
                continue
            try:
                plain[field.attname], current = decrypt_state(value)
            except UndecryptableValue:
                states.append((count, "unreadable"))
            else:
                states.append((count, "current" if current else "old"))
        rewrite = write and all(state != "unreadable" for _count, state in states)
        for count, state in states:
            name = "rewritten" if state == "old" and rewrite else state
            setattr(count, name, getattr(count, name) + 1)
        if rewrite and any(state == "old" for _count, state in states):
            changed.append(model(pk=pk, **plain))
    return changed
