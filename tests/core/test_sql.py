"""wuye.core.sql writes and reads rows exactly as the ORM does (defaults, JSON, dates, decimals,
encrypted fields), on SQLite and PostgreSQL; on PostgreSQL its statements are prepared and logged."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import on_postgres
from tests.factories import HouseholdFactory, PersonFactory
from wuye.core import sql
from wuye.core.models import AuditLog
from wuye.households.models import Person
from wuye.payments.models import ChannelEvent

pytestmark = pytest.mark.django_db


def _orm_row(model, pk):
    return {
        field.attname: getattr(model.objects.get(pk=pk), field.attname)
        for field in model._meta.concrete_fields
    }


def test_insert_fills_defaults_and_reads_back_as_the_orm_does(community):
    entries = [
        AuditLog(community=community, action="x.one", changes={"amount_yuan": "1.00", "list": [1, "二"]}),
        AuditLog(community=community, action="x.two", household_id=7),
        AuditLog(community=community, action="x.three", changes={"state": ["open", "paid"]}),
    ]

    sql.insert(entries)

    # Each instance got its own row's pk (one statement, three rows), and created_at was filled.
    assert [AuditLog.objects.get(pk=entry.pk).action for entry in entries] == ["x.one", "x.two", "x.three"]
    assert all(isinstance(entry.created_at, datetime.datetime) for entry in entries)
    read = sql.instances(
        AuditLog,
        f"SELECT {sql.columns(AuditLog)} FROM core_auditlog WHERE action LIKE %s ORDER BY id",  # noqa: S608
        ["x.%"],
    )
    assert [entry.pk for entry in read] == [entry.pk for entry in entries]
    for entry in read:
        assert {f.attname: getattr(entry, f.attname) for f in AuditLog._meta.concrete_fields} == _orm_row(
            AuditLog, entry.pk
        )
    assert read[0].changes == {"amount_yuan": "1.00", "list": [1, "二"]}
    assert read[1].changes == {}


def test_instances_convert_dates_decimals_and_encrypted_text(community):
    person = PersonFactory(
        household=HouseholdFactory(community=community),
        id_number="110101199003071234",
        moved_in_on=datetime.date(2020, 5, 1),
    )

    (read,) = sql.instances(
        Person,
        f"SELECT {sql.columns(Person)}, 2.50 FROM households_person WHERE id = %s",  # noqa: S608
        [person.pk],
    )

    assert read.id_number == "110101199003071234"  # decrypted, as the ORM reads it
    assert read.moved_in_on == datetime.date(2020, 5, 1)
    assert Decimal(str(read.extra[0])) == Decimal("2.50")  # columns after the model's come back as extra
    stored = sql.row("SELECT id_number FROM households_person WHERE id = %s", [person.pk])[0]
    assert "110101199003071234" not in stored  # and stored encrypted


def test_update_writes_the_named_fields_only(community):
    event = ChannelEvent(community=community, method="wechat", headers={"a": "1"}, body="{}")
    sql.insert([event])
    event.outcome, event.reason, event.body = "rejected", "signature", "changed in memory only"

    assert sql.update(event, ["outcome", "reason"]) == 1

    stored = ChannelEvent.objects.get(pk=event.pk)
    assert (stored.outcome, stored.reason, stored.body, stored.headers) == (
        "rejected",
        "signature",
        "{}",
        {"a": "1"},
    )


def test_on_postgresql_a_repeated_statement_is_prepared_and_logged(community):
    if not on_postgres():
        pytest.skip("prepared statements are PostgreSQL's; SQLite runs the same statements unprepared")
    statement = "SELECT id FROM core_auditlog WHERE action = %s"
    prepared = "SELECT count(*) FROM pg_prepared_statements WHERE statement = %s"
    as_prepared = "SELECT id FROM core_auditlog WHERE action = $1"

    with CaptureQueriesContext(connection) as queries:
        sql.rows(statement, ["nothing.here"])
    first = sql.row(prepared, [as_prepared])
    for _ in range(connection.settings_dict["OPTIONS"]["prepare_threshold"]):
        sql.rows(statement, ["nothing.there"])

    assert [query["sql"] for query in queries.captured_queries] == [as_prepared]  # bound on the server
    assert first == (0,)  # a statement run once is not prepared: it may never come again
    assert sql.row(prepared, [as_prepared]) == (1,)


def test_the_orm_binds_more_than_65535_values_in_one_statement(community):
    """Bound on the server, a statement carries at most 65,535 values; the ORM writes one per element
    of an IN list, and a debit batch over 70,000 mandates failed so. The ORM binds on the client."""
    HouseholdFactory(community=community)
    many = list(range(-70_000, 0))

    assert Person.objects.filter(household_id__in=many).count() == 0
    assert AuditLog.objects.filter(pk__in=many).exists() is False
