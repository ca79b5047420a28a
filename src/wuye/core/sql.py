"""Plain SQL for the hot paths, on SQLite and PostgreSQL alike.

The ORM spends about 0.3 ms of Python building each query; a payment notification makes about twenty.
Where a path runs hundreds of times a second (the payment inbox and ``payment_apply``), its statements
are written here instead: fixed SQL text, values converted by the model's own fields both ways (so
JSON, encrypted and date fields read and write exactly as through the ORM), and model instances
built without a query. Everything else uses the ORM.

Statements go through ``connection.cursor()``, so ``execute_wrapper`` (the crash tests) sees them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


def _cursor():
    """A cursor of the default connection. On PostgreSQL its statements are prepared once per
    connection and then only bound and run (the ORM's cursors send each statement as text, to be
    parsed and planned every time); it is wrapped like the ORM's (``execute_wrapper``, query log)."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_prepared_cursor_class()(connection.connection))


@cache
def _prepared_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparedCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparedCursor


def rows(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    with _cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def row(sql: str, params: Sequence[Any] = ()) -> tuple | None:
    with _cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    """Run a write; the number of rows it touched."""
    with _cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def for_update(of: str = "") -> str:
    """`` FOR UPDATE [OF table]`` where the database locks rows (SQLite locks the whole database at
    BEGIN IMMEDIATE instead)."""
    if not connection.features.has_select_for_update:
        return ""
    if of and connection.features.has_select_for_update_of:
        return f" FOR UPDATE OF {of}"
    return " FOR UPDATE"


@cache
def _fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    return tuple(model._meta.concrete_fields)


def columns(model: type[models.Model], alias: str = "") -> str:
    """The select list of all the model's columns, in the order ``instances`` expects."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + field.column for field in _fields(model))


def _converters(model: type[models.Model]) -> list[tuple[int, list]]:
    found = []
    for index, field in enumerate(_fields(model)):
        expression = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        if functions:
            found.append((index, expression, functions))
    return found


_CONVERTERS: dict[tuple[str, type[models.Model]], list] = {}


def instances(model: type[M], sql: str, params: Sequence[Any] = ()) -> list[M]:
    """Model instances from ``sql``, whose select list starts with ``columns(model)`` (more columns
    after them come back as the instance's ``extra`` tuple)."""
    key = (connection.vendor, model)
    converters = _CONVERTERS.get(key)
    if converters is None:
        converters = _CONVERTERS[key] = _converters(model)
    width = len(_fields(model))
    names = [field.attname for field in _fields(model)]
    found = []
    for values in rows(sql, params):
        values = list(values)
        for index, expression, functions in converters:
            value = values[index]
            for function in functions:
                value = function(value, expression, connection)
            values[index] = value
        instance = model.from_db(connection.alias, names, values[:width])
        instance.extra = tuple(values[width:])
        found.append(instance)
    return found


def instance(model: type[M], sql: str, params: Sequence[Any] = ()) -> M | None:
    found = instances(model, sql, params)
    return found[0] if found else None


def _prepared(instance: models.Model, fields: Iterable[models.Field], add: bool) -> list[Any]:
    return [field.get_db_prep_save(field.pre_save(instance, add), connection) for field in fields]


def insert(objects: Sequence[M]) -> Sequence[M]:
    """INSERT the (new, unsaved) instances of one model in one statement and set their pks.
    Defaults and ``auto_now`` fields are filled as ``save()`` fills them; no signals are sent."""
    if not objects:
        return objects
    model = type(objects[0])
    fields = [field for field in _fields(model) if not field.primary_key]
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params: list[Any] = []
    for obj in objects:
        params.extend(_prepared(obj, fields, add=True))
    pk = model._meta.pk.column
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(field.column for field in fields)}) "
        f"VALUES {', '.join([placeholders] * len(objects))} RETURNING {pk}"
    )
    with _cursor() as cursor:
        cursor.execute(sql, params)
        pks = sorted(found[0] for found in cursor.fetchall())  # RETURNING's order is not promised
    for obj, value in zip(objects, pks, strict=True):
        obj.pk = value
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects


def update(instance: models.Model, fields: Sequence[str]) -> int:
    """``instance.save(update_fields=fields)`` in one plain UPDATE (``auto_now`` fields are set when
    named). The number of rows written."""
    meta = instance._meta
    chosen = [meta.get_field(name) for name in fields]
    sql = (
        f"UPDATE {meta.db_table} SET {', '.join(f'{field.column} = %s' for field in chosen)} "
        f"WHERE {meta.pk.column} = %s"
    )
    return execute(sql, [*_prepared(instance, chosen, add=False), instance.pk])
