"""Plain SQL for the hot paths, on SQLite and PostgreSQL alike.

The ORM spends about 0.3 ms of Python building each query (several with many joins); a payment
notification makes about twenty. Where a path runs hundreds of times a second (the payment inbox and
``payment_apply``; the owner portal's frame, home, pay and receipt pages), its statements are written
with these helpers instead: fixed SQL text, values converted by the model's own fields both ways (so
JSON, encrypted and date fields read and write exactly as through the ORM), and model instances (one
per model of a joined row with ``joined``) built without a query. Everything else uses the ORM.

Statements go through the connection's cursor wrapper, so ``execute_wrapper`` (the crash tests) sees them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, TypeVar

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections, models

M = TypeVar("M", bound=models.Model)


def _db():
    # The connection wrapper itself, looked up once per statement: ``django.db.connection`` is a proxy
    # that finds it again (in a context-local store) on every attribute read.
    return connections[DEFAULT_DB_ALIAS]


def _cursor(db):
    """A cursor of ``db``, wrapped like the ORM's (``execute_wrapper``, query log, health check). On
    PostgreSQL with prepared statements on (``prepare_threshold``: settings) the wrapped cursor binds
    values on the server, which lets psycopg prepare a statement once a connection has run it a few
    times: these fixed statements are then only bound and run, not parsed and planned every time. The
    ORM's own cursors bind on the client (Django's default), whose statements have no limit of 65,535
    values."""
    cursor = db.cursor()
    if db.vendor == "postgresql" and db.settings_dict["OPTIONS"].get("prepare_threshold") is not None:
        cursor.cursor = psycopg.Cursor(db.connection)
    return cursor


def rows(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    with _cursor(_db()) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def row(sql: str, params: Sequence[Any] = ()) -> tuple | None:
    with _cursor(_db()) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    """Run a write; the number of rows it touched."""
    with _cursor(_db()) as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def for_update(of: str = "") -> str:
    """`` FOR UPDATE [OF table]`` where the database locks rows (SQLite locks the whole database at
    BEGIN IMMEDIATE instead)."""
    features = _db().features
    if not features.has_select_for_update:
        return ""
    if of and features.has_select_for_update_of:
        return f" FOR UPDATE OF {of}"
    return " FOR UPDATE"


@cache
def _fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    return tuple(model._meta.concrete_fields)


@cache
def columns(model: type[models.Model], alias: str = "") -> str:
    """The select list of all the model's columns, in the order ``instances`` expects."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + field.column for field in _fields(model))


@cache
def _reading(vendor: str, model: type[models.Model]) -> tuple[list[str], list[tuple[int, Any, list]]]:
    """The model's attribute names, and per column that needs it the converters the ORM applies."""
    db = _db()
    converters = []
    for index, field in enumerate(_fields(model)):
        expression = field.get_col(model._meta.db_table)
        functions = db.ops.get_db_converters(expression) + expression.get_db_converters(db)
        if functions:
            converters.append((index, expression, functions))
    return [field.attname for field in _fields(model)], converters


def _made(db, model: type[M], names: list[str], converters: list, values: Sequence[Any]) -> M:
    """One instance from its columns' raw values, converted as the ORM converts them."""
    values = list(values)
    for index, expression, functions in converters:
        value = values[index]
        for function in functions:
            value = function(value, expression, db)
        values[index] = value
    return model.from_db(db.alias, names, values)


def instances(model: type[M], sql: str, params: Sequence[Any] = ()) -> list[M]:
    """Model instances from ``sql``, whose select list starts with ``columns(model)`` (more columns
    after them come back as the instance's ``extra`` tuple)."""
    db = _db()
    names, converters = _reading(db.vendor, model)
    width = len(names)
    with _cursor(db) as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    made = []
    for values in found:
        instance = _made(db, model, names, converters, values[:width])
        instance.extra = tuple(values[width:])
        made.append(instance)
    return made


def joined(groups: Sequence[type[models.Model]], sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Rows of a join whose select list is ``columns(group, alias)`` for each model of ``groups`` in
    turn, then any further columns: per row, one instance per group (None where an outer join found no
    row: its primary key is NULL), then the further values."""
    db = _db()
    readers = [(model, *_reading(db.vendor, model)) for model in groups]
    with _cursor(db) as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    made = []
    for values in found:
        start = 0
        row_made: list[Any] = []
        for model, names, converters in readers:
            part = values[start : start + len(names)]
            start += len(names)
            if part[names.index(model._meta.pk.attname)] is None:
                row_made.append(None)
            else:
                row_made.append(_made(db, model, names, converters, part))
        made.append((*row_made, *values[start:]))
    return made


def instance(model: type[M], sql: str, params: Sequence[Any] = ()) -> M | None:
    found = instances(model, sql, params)
    return found[0] if found else None


def _prepared(db, instance: models.Model, fields: Iterable[models.Field], add: bool) -> list[Any]:
    return [field.get_db_prep_save(field.pre_save(instance, add), db) for field in fields]


@cache
def _insert_sql(model: type[models.Model], count: int) -> tuple[list[models.Field], str]:
    fields = [field for field in _fields(model) if not field.primary_key]
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return fields, (
        f"INSERT INTO {model._meta.db_table} ({', '.join(field.column for field in fields)}) "
        f"VALUES {', '.join([placeholders] * count)} RETURNING {model._meta.pk.column}"
    )


def insert(objects: Sequence[M]) -> Sequence[M]:
    """INSERT the (new, unsaved) instances of one model in one statement and set their pks.
    Defaults and ``auto_now`` fields are filled as ``save()`` fills them; no signals are sent."""
    if not objects:
        return objects
    db = _db()
    fields, sql = _insert_sql(type(objects[0]), len(objects))
    params: list[Any] = []
    for obj in objects:
        params.extend(_prepared(db, obj, fields, add=True))
    with _cursor(db) as cursor:
        cursor.execute(sql, params)
        pks = sorted(found[0] for found in cursor.fetchall())  # RETURNING's order is not promised
    for obj, value in zip(objects, pks, strict=True):
        obj.pk = value
        obj._state.adding = False
        obj._state.db = db.alias
    return objects


@cache
def _update_sql(model: type[models.Model], fields: tuple[str, ...]) -> tuple[list[models.Field], str]:
    meta = model._meta
    chosen = [meta.get_field(name) for name in fields]
    return chosen, (
        f"UPDATE {meta.db_table} SET {', '.join(f'{field.column} = %s' for field in chosen)} "
        f"WHERE {meta.pk.column} = %s"
    )


def update(instance: models.Model, fields: Sequence[str]) -> int:
    """``instance.save(update_fields=fields)`` in one plain UPDATE (``auto_now`` fields are set when
    named). The number of rows written."""
    db = _db()
    chosen, sql = _update_sql(type(instance), tuple(fields))
    with _cursor(db) as cursor:
        cursor.execute(sql, [*_prepared(db, instance, chosen, add=False), instance.pk])
        return cursor.rowcount


def chunks(values: Sequence, size: int = 5000):
    """``values`` a slice of ``size`` at a time: set-based writers name their rows by key in
    statements of bounded length."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def int_array(values: Iterable[int]) -> str:
    """A PostgreSQL array literal of whole numbers or None (``'{1,NULL,3}'``), to pass as one
    parameter cast to ``bigint[]``: far cheaper to make than psycopg's dump of a Python list."""
    return "{" + ",".join("NULL" if value is None else str(int(value)) for value in values) + "}"


def update_many(table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> None:
    """UPDATE ``table`` SET column = value WHERE id = row[0], for many rows in few statements.
    ``columns`` are (name, PostgreSQL type) of row[1:]. On PostgreSQL one UPDATE … FROM unnest(arrays)
    per 20,000 rows: a column with one value in every row goes as that one value, whole-number columns
    as ``int_array`` literals; on SQLite one executemany."""
    if not rows:
        return
    db = _db()
    names = [name for name, _type in columns]
    if db.vendor == "postgresql":
        for part in chunks(rows, 20000):
            arrays, array_names, sets, params = [], [], [], []
            values_by_column = list(zip(*part, strict=True))
            for (name, kind), values in zip(columns, values_by_column[1:], strict=True):
                first = values[0]
                if all(value == first and type(value) is type(first) for value in values):
                    sets.append(f"{name} = %s::{kind}")
                    params.append(first)
                    continue
                array_names.append(name)
                sets.append(f"{name} = v.{name}")
                arrays.append((kind, values))
            unnest = ", ".join(f"%s::{kind}[]" for kind in ["bigint", *(kind for kind, _v in arrays)])
            execute(
                f"UPDATE {table} t SET {', '.join(sets)} FROM unnest({unnest})"
                f" AS v(id{''.join(', ' + name for name in array_names)}) WHERE t.id = v.id",
                [
                    *params,
                    int_array(values_by_column[0]),
                    *(
                        int_array(values) if kind in ("bigint", "integer") else list(values)
                        for kind, values in arrays
                    ),
                ],
            )
        return
    adapt = db.ops.adapt_datetimefield_value
    with db.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {', '.join(f'{name} = %s' for name in names)} WHERE id = %s",
            [
                (*(adapt(v) if isinstance(v, datetime.datetime) else v for v in values[1:]), values[0])
                for values in rows
            ],
        )


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys of ``model``'s table, for a set-based writer that inserts rows with
    their keys (so rows that point at each other can be written without reading keys back). Inside the
    writer's transaction: on PostgreSQL from the table's sequence; on SQLite, whose one writer holds the
    database's write lock from BEGIN IMMEDIATE, after the largest key used so far."""
    if count <= 0:
        return []
    db = _db()
    table, pk = model._meta.db_table, model._meta.pk.column
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return sorted(found[0] for found in cursor.fetchall())
        cursor.execute(
            f"SELECT MAX(n) FROM (SELECT MAX({pk}) AS n FROM {table}"
            " UNION ALL SELECT seq FROM sqlite_sequence WHERE name = %s)",
            [table],
        )
        start = (cursor.fetchone()[0] or 0) + 1
        cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [start + count - 1, table])
        return list(range(start, start + count))


def copy_instances(objects: Sequence[M]) -> Sequence[M]:
    """Write many new, unsaved instances of one model at once (``copy_rows``: COPY on PostgreSQL) and
    set their pks, taken first with ``reserve_ids``. Every column is converted by its model field as
    ``save()`` converts it, defaults and ``auto_now`` included; no signals are sent. For set-based
    writers of tens of thousands of rows, where ``bulk_create`` builds one parameter per value."""
    if not objects:
        return objects
    db = _db()
    model = type(objects[0])
    fields = _fields(model)
    for instance, pk in zip(objects, reserve_ids(model, len(objects)), strict=True):
        instance.pk = pk
    prep = [(field.pre_save, field.get_db_prep_save) for field in fields]
    copy_rows(
        model._meta.db_table,
        [field.column for field in fields],
        ([save(pre(instance, True), db) for pre, save in prep] for instance in objects),
    )
    for instance in objects:
        instance._state.adding = False
        instance._state.db = db.alias
    return objects


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write many rows of plain values (already in the database's form) into ``table``: ``COPY`` on
    PostgreSQL, ``executemany`` of one INSERT on SQLite. For set-based writers only; values are not
    converted by model fields, so callers pass ints, strings, dates and JSON text."""
    db = _db()
    names = ", ".join(columns)
    if db.vendor == "postgresql":
        db.ensure_connection()
        with db.connection.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for values in rows:
                copy.write_row(values)
        return
    placeholders = ", ".join(["%s"] * len(columns))
    adapt_datetime, adapt_date = db.ops.adapt_datetimefield_value, db.ops.adapt_datefield_value

    def adapted(values):
        return [
            adapt_datetime(value)
            if isinstance(value, datetime.datetime)
            else adapt_date(value)
            if isinstance(value, datetime.date)
            else value
            for value in values
        ]

    with db.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({placeholders})", [adapted(values) for values in rows]
        )
