"""Backup and restore (``wuye backup``): the same households, bills, ledger and uploaded files back, and
every damaged, truncated or foreign archive refused with nothing changed.

A restore replaces the database: these tests commit (``transaction=True``). On SQLite the test database
lives in memory; the backup API copies it like a file, and one test runs the commands in a process of
their own on a file database in WAL mode, as production does.
"""

import datetime
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Sum

from tests.factories import HouseholdFactory, HouseholdRoomFactory, RoomFactory, UnitFactory
from wuye.billing.domain import runs
from wuye.billing.models import Bill, BillLine, FeeAssignment, FeeItem
from wuye.core.domain.backup import (
    MANIFEST,
    BackupError,
    backup_create,
    backup_open,
    backup_restore,
    postgresql_environment,
)
from wuye.core.models import AuditLog
from wuye.households.models import Document, Household
from wuye.ledger.models import LedgerTransaction, Posting

pytestmark = pytest.mark.django_db(transaction=True)

NOV = datetime.date(2026, 11, 1)


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "data" / "media"
    root.mkdir(parents=True)
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def books(community, admin_user, media):
    """Three occupied rooms billed for November by a real run (bills and ledger), and a document."""
    unit = UnitFactory(building__community=community)
    fee = FeeItem.objects.create(
        community=community,
        name="物业费",
        category="property",
        method="built_area",
        price=Decimal("2.5"),
        valid_from=datetime.date(2020, 1, 1),
    )
    for index in range(3):
        room = RoomFactory(unit=unit, built_area=Decimal(f"{80 + index}.35"))
        HouseholdRoomFactory(household=HouseholdFactory(community=community), room=room)
        FeeAssignment.objects.create(
            community=community, fee_item=fee, room=room, starts_on=datetime.date(2020, 1, 1)
        )
    run = runs.run_preview(community=community, period=NOV, actor=admin_user)
    runs.run_issue(run=run, actor=admin_user)
    household = Household.objects.order_by("pk").first()
    return Document.objects.create(
        community=community,
        household=household,
        kind="deed",
        title="房产证",
        file=ContentFile(b"%PDF-1.4 the deed\n", name="x"),
        content_type="application/pdf",
        size=18,
    )


def state():
    """What must come back exactly: counts, sums in fen, and whole rows."""
    return {
        "households": list(Household.objects.order_by("pk").values_list("pk", "community_id", "name")),
        "bills": list(Bill.objects.order_by("pk").values_list("pk", "household_id", "period", "total_fen")),
        "lines": BillLine.objects.count(),
        "lines_fen": BillLine.objects.aggregate(total=Sum("amount_fen"))["total"],
        "transactions": LedgerTransaction.objects.count(),
        "postings": list(
            Posting.objects.order_by("pk").values_list("pk", "transaction_id", "account", "amount_fen")
        ),
        "receivable_fen": Posting.objects.filter(account="receivable").aggregate(total=Sum("amount_fen"))[
            "total"
        ],
        "documents": list(Document.objects.order_by("pk").values_list("pk", "file", "size")),
    }


def files_under(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def wipe() -> None:
    """Empty every table (the ledger too: on SQLite its DELETE guard is lifted the way the test
    suite's own flush lifts it; PostgreSQL's flush truncates, which the guard does not see)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO ledger_unlock VALUES ('test wipe')")
    call_command("flush", "--no-input", verbosity=0)


def test_restore_gives_back_households_bills_ledger_and_uploads(books, media, tmp_path):
    before = state()
    uploads = files_under(media)
    assert len(before["households"]) == 3 and len(before["bills"]) == 3 and before["transactions"] == 1
    assert (
        before["lines_fen"] == before["receivable_fen"] == 20088 + 20338 + 20588
    )  # 2.50 yuan × 80.35, 81.35, 82.35 m²
    assert list(uploads.values()) == [b"%PDF-1.4 the deed\n"]
    archive = tmp_path / "wuye.tar"

    manifest = backup_create(path=archive)

    assert manifest.vendor == connection.vendor
    assert manifest.migrations["billing"] and manifest.migrations["ledger"]
    assert [f.name for f in manifest.media_files] == [f"media/{name}" for name in uploads]
    assert archive.stat().st_mode & 0o777 == 0o600
    # The data goes: the tables emptied, the document's file deleted, a file and a table added.
    Path(books.file.path).unlink()
    (media / "later.txt").write_bytes(b"uploaded after the backup")
    wipe()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE backup_test_later (id integer)")
    assert Household.objects.count() == Bill.objects.count() == Posting.objects.count() == 0

    out = io.StringIO()
    call_command("backup", "restore", str(archive), "--yes", stdout=out)

    assert state() == before
    assert files_under(media) == uploads
    assert "backup_test_later" not in connection.introspection.table_names()
    assert AuditLog.objects.filter(action="core.backup.restored").count() == 1
    assert not [p for p in media.parent.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_restore_keeps_the_ledger_append_only(books, tmp_path):
    archive = tmp_path / "wuye.tar"
    backup_create(path=archive)

    with backup_open(path=archive) as backup:
        backup_restore(backup=backup)

    with pytest.raises(Exception, match="append-only"):
        Posting.objects.filter(pk=Posting.objects.first().pk).update(amount_fen=1)


# Refusals: each leaves the database and the uploaded files as they are after the backup was made.


def members(archive: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(archive) as tar:
        return [(info, tar.extractfile(info).read()) for info in tar.getmembers()]


def write(archive: Path, entries: list[tuple[str, bytes]]) -> None:
    archive.unlink(missing_ok=True)
    with tarfile.open(archive, "w:") as tar:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))


def rewrite_manifest(archive: Path, change) -> None:
    entries = [(info.name, content) for info, content in members(archive)]
    manifest = json.loads(dict(entries)[MANIFEST])
    change(manifest)
    write(archive, [(n, json.dumps(manifest).encode() if n == MANIFEST else c) for n, c in entries])


def flip_database_byte(archive: Path) -> None:
    with tarfile.open(archive) as tar:
        offset = tar.getmember(next(n for n in tar.getnames() if n.startswith("database/"))).offset_data
    with archive.open("r+b") as handle:
        handle.seek(offset + 200)
        byte = handle.read(1)
        handle.seek(offset + 200)
        handle.write(bytes([byte[0] ^ 0xFF]))


def drop_manifest(archive: Path) -> None:
    write(archive, [(info.name, content) for info, content in members(archive) if info.name != MANIFEST])


def foreign(archive: Path) -> None:
    write(archive, [("README", b"holiday photos"), ("photos/1.jpg", b"\xff\xd8\xff")])


def not_a_tar(archive: Path) -> None:
    archive.write_bytes(b"PK\x03\x04 a zip, or anything else")


def truncate(archive: Path) -> None:
    with archive.open("r+b") as handle:
        handle.truncate(archive.stat().st_size // 2)


def extra_member(archive: Path) -> None:
    entries = [(info.name, content) for info, content in members(archive)]
    write(archive, [*entries, ("media/../../escape.txt", b"outside")])


def changed_upload(archive: Path) -> None:
    entries = [(info.name, content) for info, content in members(archive)]
    write(archive, [(n, b"%PDF-1.4 forged\n" if n.startswith("media/") else c) for n, c in entries])


def newer_migration(archive: Path) -> None:
    rewrite_manifest(archive, lambda manifest: manifest["migrations"].update(billing="9999_from_the_future"))


def unknown_app(archive: Path) -> None:
    rewrite_manifest(archive, lambda manifest: manifest["migrations"].update(hotel="0001_initial"))


def newer_format(archive: Path) -> None:
    rewrite_manifest(archive, lambda manifest: manifest.update(format_version=2))


def other_vendor(archive: Path) -> None:
    """The same archive claiming the other database, its database member renamed to match."""
    other = {
        "sqlite": ("postgresql", "database/wuye.pgdump"),
        "postgresql": ("sqlite", "database/wuye.sqlite3"),
    }
    vendor, member = other[connection.vendor]
    entries = [(info.name, content) for info, content in members(archive)]
    manifest = json.loads(dict(entries)[MANIFEST])
    manifest["database_vendor"] = vendor
    for item in manifest["files"]:
        if item["name"].startswith("database/"):
            item["name"] = member
    write(
        archive,
        [
            (
                member if n.startswith("database/") else n,
                json.dumps(manifest).encode() if n == MANIFEST else c,
            )
            for n, c in entries
        ],
    )


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (flip_database_byte, "damaged"),
        (drop_manifest, "not-a-backup"),
        (foreign, "not-a-backup"),
        (not_a_tar, "not-a-backup"),
        (truncate, "damaged"),
        (extra_member, "damaged"),
        (changed_upload, "damaged"),
        (newer_migration, "newer"),
        (unknown_app, "newer"),
        (newer_format, "format-version"),
        (other_vendor, "vendor"),
    ],
)
def test_a_damaged_or_foreign_archive_is_refused_and_nothing_changes(books, media, tmp_path, damage, reason):
    archive = tmp_path / "wuye.tar"
    backup_create(path=archive)
    # After the backup: one household more, one file more; a restore would undo both.
    HouseholdFactory(community=books.community)
    (media / "later.txt").write_bytes(b"uploaded after the backup")
    damage(archive)
    after, uploads = state(), files_under(media)

    with pytest.raises(BackupError) as refusal, backup_open(path=archive) as backup:
        backup_restore(backup=backup)

    assert refusal.value.reason == reason
    assert str(archive) in str(refusal.value)
    assert state() == after
    assert files_under(media) == uploads
    assert not [p for p in media.parent.iterdir() if p.name.startswith(".")]
    assert not AuditLog.objects.filter(action="core.backup.restored").exists()


def test_the_command_refuses_in_chinese_and_changes_nothing(books, media, tmp_path):
    archive = tmp_path / "wuye.tar"
    backup_create(path=archive)
    HouseholdFactory(community=books.community)
    flip_database_byte(archive)
    after = state()

    with pytest.raises(CommandError, match="已损坏或不完整"):
        call_command("backup", "restore", str(archive), "--yes")

    assert state() == after


def test_restore_without_yes_asks_and_changes_nothing(books, tmp_path, monkeypatch):
    archive = tmp_path / "wuye.tar"
    backup_create(path=archive)
    HouseholdFactory(community=books.community)
    after = state()
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal: no one to ask

    with pytest.raises(CommandError, match="--yes"):
        call_command("backup", "restore", str(archive))

    assert state() == after


def test_create_never_overwrites_a_file(books, tmp_path):
    archive = tmp_path / "wuye.tar"
    archive.write_bytes(b"yesterday's backup")

    with pytest.raises(BackupError) as refusal:
        backup_create(path=archive)

    assert refusal.value.reason == "exists"
    assert archive.read_bytes() == b"yesterday's backup"
    assert not (tmp_path / "wuye.tar.partial").exists()


def test_postgresql_password_goes_by_environment_only(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "inherited")
    monkeypatch.setenv("PGSERVICE", "someone-elses")
    environment = postgresql_environment(
        settings_dict={
            "NAME": "wuye",
            "USER": "wuye",
            "PASSWORD": "s3cret",
            "HOST": "db.internal",
            "PORT": 5433,
            "OPTIONS": {"sslmode": "require"},
        }
    )

    assert {key: value for key, value in environment.items() if key.startswith("PG")} == {
        "PGDATABASE": "wuye",
        "PGUSER": "wuye",
        "PGPASSWORD": "s3cret",
        "PGHOST": "db.internal",
        "PGPORT": "5433",
        "PGSSLMODE": "require",
    }


def test_postgresql_backup_is_a_custom_format_dump(books, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL path: run under WUYE_TEST_DATABASE=postgresql")
    archive = tmp_path / "wuye.tar"

    backup_create(path=archive)

    database = {info.name: content for info, content in members(archive)}["database/wuye.pgdump"]
    assert database.startswith(b"PGDMP")  # pg_dump's custom format


def test_sqlite_file_database_round_trip_in_its_own_process(books, tmp_path):
    """The commands as an operator runs them, on a file database in WAL mode (the test database is in
    memory); a connection left open on the file sees the restored data."""
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite path: run under WUYE_TEST_DATABASE=sqlite")
    data = tmp_path / "site"
    (data / "media" / "households").mkdir(parents=True)
    (data / "media" / "households" / "deed.pdf").write_bytes(b"%PDF-1.4 on disk\n")
    database = data / "wuye.sqlite3"
    copy = sqlite3.connect(database)
    connection.connection.backup(copy)  # the migrated test database, with the books, as a file
    copy.execute("PRAGMA journal_mode=WAL")
    copy.close()
    environment = {
        **os.environ,
        "WUYE_DATA_DIR": str(data),
        "DATABASE_URL": "",
        "WUYE_DEBUG": "",
        "WUYE_SECRET_KEY": "test-only",
        "WUYE_FIELD_KEY": "test-only-field-key-0123456789abcdef",
    }

    def wuye(*arguments):
        return subprocess.run(  # noqa: S603
            [sys.executable, "-m", "wuye", *arguments], env=environment, capture_output=True, text=True
        )

    archive = tmp_path / "wuye.tar"
    created = wuye("backup", "create", str(archive))
    assert created.returncode == 0, created.stderr
    reader = sqlite3.connect(database)
    reader.execute("INSERT INTO ledger_unlock VALUES ('test')")
    reader.execute("DELETE FROM ledger_posting")
    reader.execute("DELETE FROM ledger_unlock")
    reader.commit()
    (data / "media" / "households" / "deed.pdf").unlink()

    restored = wuye("backup", "restore", str(archive), "--yes")

    assert restored.returncode == 0, restored.stderr
    assert reader.execute("SELECT count(*), sum(amount_fen) FROM ledger_posting").fetchone() == (
        Posting.objects.count(),
        0,
    )
    assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert reader.execute(
        "SELECT count(*) FROM core_auditlog WHERE action = 'core.backup.restored'"
    ).fetchone() == (1,)
    reader.close()
    assert (data / "media" / "households" / "deed.pdf").read_bytes() == b"%PDF-1.4 on disk\n"
