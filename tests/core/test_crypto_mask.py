import pytest
from django.db import connection

from tests.factories import PersonFactory
from wuye.core.crypto import UndecryptableValue, decrypt, decrypt_many, encrypt, keys, mask_name
from wuye.households.models import Person


@pytest.mark.parametrize(
    ("name", "masked"), [("王小明", "王**"), ("王明", "王*"), ("王", "*"), ("", "*"), (" 李四 ", "李*")]
)
def test_mask_name_keeps_the_first_character(name, masked):
    assert mask_name(name) == masked


KEY_A = "field-key-a-0123456789abcdef0123456789"
KEY_B = "field-key-b-0123456789abcdef0123456789"


def stored_id_number(person) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number FROM {Person._meta.db_table} WHERE id = %s", [person.pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_a_value_no_key_opens_raises_and_is_never_read_as_empty(db, settings):
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = KEY_A, []
    person = PersonFactory(id_number="110105199001011234")
    stored = stored_id_number(person)
    settings.FIELD_KEY = KEY_B  # the key changed and the old one was not kept

    with pytest.raises(UndecryptableValue, match=r"households\.Person\.id_number.*WUYE_FIELD_KEY"):
        Person.objects.get(pk=person.pk)
    with pytest.raises(UndecryptableValue):
        list(Person.objects.values_list("id_number", flat=True))
    assert stored_id_number(person) == stored  # nothing was written over the ciphertext

    settings.FIELD_KEYS_OLD = [KEY_A]
    assert Person.objects.get(pk=person.pk).id_number == "110105199001011234"


def test_values_are_written_with_the_current_key_and_read_with_any(db, settings):
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = KEY_A, []
    token_a = encrypt("A")
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = KEY_B, [KEY_A]
    token_b = encrypt("B")

    assert (decrypt(token_a), decrypt(token_b)) == ("A", "B")
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = KEY_B, []
    assert decrypt(token_b) == "B"
    with pytest.raises(UndecryptableValue):
        decrypt(token_a)


def test_many_values_open_as_one_by_one_old_keys_and_fernet_included(settings):
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = KEY_A, []
    old = encrypt("6222020200000000017")
    fernet = keys().encrypt(b"6222020200000000028").decode()
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = KEY_B, [KEY_A]
    tokens = [encrypt("6222020200000000001"), None, "", old, fernet, encrypt("王小明")]

    assert decrypt_many(tokens) == [
        "6222020200000000001",
        None,
        "",
        "6222020200000000017",
        "6222020200000000028",
        "王小明",
    ]
    settings.FIELD_KEYS_OLD = []
    with pytest.raises(UndecryptableValue, match=r"debit\.Mandate\.card_number"):
        decrypt_many(tokens, field="debit.Mandate.card_number")
