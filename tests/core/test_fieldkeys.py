"""``wuye fieldkeys``: a key rotation loses no value, a second run writes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.factories import HouseholdFactory, PersonFactory
from wuye.core.models import AuditLog
from wuye.households.models import Person

KEY_A = "field-key-a-0123456789abcdef0123456789"
KEY_B = "field-key-b-0123456789abcdef0123456789"
KEY_C = "field-key-c-0123456789abcdef0123456789"
NUMBERS = ["110105199001011234", "11010519491231002X", "320102198805050011", "440301200001010022", "9"]


def fieldkeys(*args) -> str:
    out = StringIO()
    call_command("fieldkeys", *args, stdout=out)
    return out.getvalue()


def stored() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, id_number FROM {Person._meta.db_table}")  # noqa: S608
        return dict(cursor.fetchall())


def plain() -> dict[int, str]:
    return dict(Person.objects.values_list("pk", "id_number"))


@pytest.fixture
def people(db, settings):
    """Five ID numbers and one person without, written under key A."""
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = KEY_A, []
    household = HouseholdFactory()
    written = [PersonFactory(household=household, id_number=number) for number in NUMBERS]
    written.append(PersonFactory(household=household, id_number=""))
    return {person.pk: person.id_number for person in written}


def test_rotation_from_key_a_to_key_b_loses_nothing(people, settings):
    under_a = stored()
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = KEY_B, [KEY_A]
    assert plain() == people

    output = fieldkeys("rotate", "--batch-size", "2")

    assert (
        "households.Person.id_number: rewritten 5, already current 0, still under an old key 0, unreadable 0"
        in output
    )
    under_b = stored()
    assert {pk for pk in under_b if under_b[pk] != under_a[pk]} == {pk for pk, n in people.items() if n}
    assert [value for value in under_b.values() if not value] == [""]
    assert AuditLog.objects.filter(action="core.fieldkeys.rotated").count() == 1
    assert AuditLog.objects.get(action="core.fieldkeys.rotated").changes == {"households.Person.id_number": 5}

    settings.FIELD_KEYS_OLD = []  # drop key A
    assert plain() == people
    assert "rewritten 0, already current 5, still under an old key 0, unreadable 0" in fieldkeys("check")


def test_a_second_rotation_writes_nothing(people, settings):
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = KEY_B, [KEY_A]
    fieldkeys("rotate")
    after_first = stored()

    output = fieldkeys("rotate")

    assert "rewritten 0, already current 5, still under an old key 0, unreadable 0" in output
    assert stored() == after_first
    assert AuditLog.objects.filter(action="core.fieldkeys.rotated").count() == 1
    assert plain() == people


def test_check_counts_values_under_an_old_key_and_writes_nothing(people, settings):
    before = stored()
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = KEY_B, [KEY_A]

    with pytest.raises(CommandError, match=r"5 value\(s\) are still under an old key"):
        fieldkeys("check")

    assert stored() == before
    assert not AuditLog.objects.filter(action="core.fieldkeys.rotated").exists()


def test_rotate_leaves_values_no_key_opens_and_fails(people, settings):
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = KEY_C, []
    lost = PersonFactory(id_number="510105197001010033")
    lost_stored = stored()[lost.pk]
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = KEY_B, [KEY_A]  # key C is not among them

    with pytest.raises(CommandError, match=r"1 value\(s\) cannot be decrypted"):
        fieldkeys("rotate")

    assert stored()[lost.pk] == lost_stored
    settings.FIELD_KEYS_OLD = [KEY_C]  # every other value is under B now
    assert {pk: number for pk, number in plain().items() if pk != lost.pk} == people
    assert plain()[lost.pk] == "510105197001010033"


def test_a_fernet_value_written_before_aes_gcm_is_read_and_rewritten(db, settings):
    from wuye.core import crypto

    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = KEY_A, []
    person = PersonFactory(household=HouseholdFactory())
    legacy = crypto.keys().encrypt(b"110105199001011234").decode()  # how values were written before
    with connection.cursor() as cursor:
        cursor.execute("UPDATE households_person SET id_number = %s WHERE id = %s", [legacy, person.pk])
    assert Person.objects.get(pk=person.pk).id_number == "110105199001011234"

    fieldkeys("rotate")

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM households_person WHERE id = %s", [person.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith(crypto.PREFIX)
    assert Person.objects.get(pk=person.pk).id_number == "110105199001011234"
