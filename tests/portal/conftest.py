import struct
import zlib

import pytest

from tests.owners.factories import HouseholdBindingFactory
from wuye.portal.auth import SESSION_ACCOUNT


def png_bytes(size=(8, 8), colour=(200, 30, 30)) -> bytes:
    """A real, small PNG image (RGB, one colour), written by hand so that tests need no imaging library."""
    width, height = size

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + bytes(colour) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def owner(household):
    """The binding of 王小明's account (13912345678) to the ``household`` fixture."""
    return HouseholdBindingFactory(person=household.people.get())


def log_in(client, account):
    session = client.session
    session[SESSION_ACCOUNT] = account.pk
    session.save()
    return client


@pytest.fixture
def owner_client(client, owner):
    return log_in(client, owner.account)
