"""Backup and restore: one tar archive holding the database, the uploaded files and a manifest.

``wuye backup create PATH`` and ``wuye backup restore PATH`` call these functions.

The archive (an uncompressed tar, written under a temporary name and renamed when whole):

- ``database/wuye.sqlite3`` — SQLite: a copy made with SQLite's online backup API
  (``sqlite3.Connection.backup``) from the live database: a consistent snapshot while the site runs;
- ``database/wuye.pgdump`` — PostgreSQL: ``pg_dump --format=custom`` (one snapshot of its own);
- ``media/…`` — every file under MEDIA_ROOT (uploaded documents and photos), copied after the database;
- ``manifest.json`` — last: the format and its version, Wuye's version, the database vendor, when it
  was made, the latest applied migration of each app, and every other member's size and SHA-256.

Restoring checks the whole archive before it touches anything (``backup_open``): the manifest is ours,
every member is listed and matches its size and checksum, nothing else is in it, the database vendor is
the configured one, and no app's migration is unknown to this code (a backup from a newer Wuye). Only
then ``backup_restore`` replaces the database, then the uploaded files, and logs
``core.backup.restored``. A refusal raises ``BackupError`` with a translated message, having changed
nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions

register_actions({"core.backup.restored": gettext_lazy("Database and uploaded files restored from a backup")})

FORMAT = "wuye-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DATABASE_MEMBERS = {"sqlite": "database/wuye.sqlite3", "postgresql": "database/wuye.pgdump"}
CHUNK = 1024 * 1024
# The manifest of a backup with a million files is a few hundred MB; anything larger is not ours.
MANIFEST_MAX_BYTES = 512 * 1024 * 1024


class BackupError(Exception):
    """A backup that cannot be made, or an archive refused; the message is translated. ``reason`` names
    the refusal for callers and tests (``not-a-backup``, ``damaged``, ``vendor``, ``newer``, …)."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class BackupFile:
    name: str  # the member's name in the archive, e.g. "media/households/3f….jpg"
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    wuye_version: str
    vendor: str
    created_at: str  # ISO 8601, UTC
    migrations: dict[str, str]  # app label → latest applied migration
    files: tuple[BackupFile, ...]

    @property
    def database_member(self) -> str:
        return DATABASE_MEMBERS[self.vendor]

    @property
    def media_files(self) -> list[BackupFile]:
        return [file for file in self.files if file.name.startswith(MEDIA + "/")]

    @property
    def total_bytes(self) -> int:
        return sum(file.size for file in self.files)

    def as_json(self) -> dict:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "wuye_version": self.wuye_version,
            "database_vendor": self.vendor,
            "created_at": self.created_at,
            "migrations": self.migrations,
            "files": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in self.files],
        }


@dataclass(frozen=True)
class VerifiedBackup:
    """An archive that passed every check, its members unpacked into ``staging`` (next to MEDIA_ROOT,
    on the same file system, so the uploaded files are swapped in by renaming)."""

    path: Path
    manifest: Manifest
    staging: Path

    @property
    def database_file(self) -> Path:
        return self.staging / self.manifest.database_member

    @property
    def media_folder(self) -> Path:
        return self.staging / MEDIA


def wuye_version() -> str:
    try:
        return importlib.metadata.version("wuye")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _migration_state(connection) -> dict[str, str]:
    """The latest applied migration of each app (by the order they were applied)."""
    latest: dict[str, str] = {}
    recorder = MigrationRecorder(connection)
    for app, name in recorder.migration_qs.order_by("id").values_list("app", "name"):
        latest[app] = name
    return latest


def _digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


# PostgreSQL: the client programs get the connection from Django's settings through the environment,
# the password in PGPASSWORD: never on a command line, where every user of the machine could read it.
_PG_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


def postgresql_environment(*, settings_dict: dict) -> dict[str, str]:
    """The environment for pg_dump, pg_restore and psql: this process's, without any PG* variable of
    its own, plus the connection of ``settings_dict`` (Django's DATABASES entry)."""
    params = settings_dict
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if params.get(key):
            environment[variable] = str(params[key])
    for option, variable in _PG_OPTIONS.items():
        if params.get("OPTIONS", {}).get(option):
            environment[variable] = str(params["OPTIONS"][option])
    return environment


def _run(command: list[str], *, environment: dict[str, str], what: str, **kwargs) -> None:
    try:
        result = subprocess.run(command, env=environment, capture_output=True, check=False, **kwargs)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(
            _("%(program)s is not installed (PostgreSQL's client programs are needed).")
            % {"program": command[0]},
            reason="program",
        ) from None
    if result.returncode:
        detail = result.stderr.decode(errors="replace").strip()[-2000:]
        raise BackupError(
            _("%(what)s failed: %(detail)s") % {"what": what, "detail": detail}, reason="database"
        )


# Creating -----------------------------------------------------------------------------------------


def _database_copy(connection, *, target: Path) -> None:
    """A consistent copy of the live database into ``target``."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            # One step (pages=-1): the copy is one snapshot, taken under a read lock; writers in WAL
            # mode carry on meanwhile.
            connection.connection.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        finally:
            copy.close()
    elif connection.vendor == "postgresql":
        _run(
            ["pg_dump", "--format=custom", "--no-password", f"--file={target}"],
            environment=postgresql_environment(settings_dict=connection.settings_dict),
            what="pg_dump",
        )
    else:
        raise BackupError(
            _("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": connection.vendor},
            reason="vendor",
        )


def _media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(member name, path) of every regular file under MEDIA_ROOT, in a stable order; links are skipped."""
    if not root.is_dir():
        return
    for folder, subfolders, names in os.walk(root):
        subfolders.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            yield f"{MEDIA}/{path.relative_to(root).as_posix()}", path


def backup_create(*, path: Path, using: str = DEFAULT_DB_ALIAS) -> Manifest:
    """Write the backup archive to ``path`` (refused if something is there already).

    Steps: copy the database consistently (SQLite's backup API, or pg_dump), add it, add every
    uploaded file, add the manifest; the archive is written as ``<path>.partial`` (readable by its
    owner only: it holds every household's data) and renamed to ``path`` once complete and on disk.
    Nothing in the database changes.
    """
    connection = connections[using]
    path = Path(path)
    if connection.in_atomic_block:
        raise BackupError(_("A backup cannot be made inside a transaction."), reason="transaction")
    if path.exists():
        raise BackupError(
            _("%(path)s exists already; a backup never overwrites a file.") % {"path": path},
            reason="exists",
        )
    if not path.parent.is_dir():
        raise BackupError(
            _("The folder %(folder)s does not exist.") % {"folder": path.parent}, reason="folder"
        )
    vendor = connection.vendor
    if vendor not in DATABASE_MEMBERS:
        raise BackupError(
            _("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": vendor}, reason="vendor"
        )
    created_at = timezone.now().astimezone(datetime.UTC).isoformat(timespec="seconds")
    migrations = _migration_state(connection)
    partial = path.with_name(path.name + ".partial")
    files: list[BackupFile] = []
    with tempfile.TemporaryDirectory(prefix="wuye-backup-") as scratch:
        database = Path(scratch) / "database"
        _database_copy(connection, target=database)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as output, tarfile.open(fileobj=output, mode="w:") as archive:
                size, sha256 = _digest(database)
                _add(archive, DATABASE_MEMBERS[vendor], size=size, source=database.open("rb"))
                files.append(BackupFile(DATABASE_MEMBERS[vendor], size, sha256))
                for name, source in _media_files(_media_root()):
                    try:
                        content = source.read_bytes()
                    except FileNotFoundError:  # deleted while we walked
                        continue
                    _add(archive, name, size=len(content), source=io.BytesIO(content))
                    files.append(BackupFile(name, len(content), hashlib.sha256(content).hexdigest()))
                manifest = Manifest(
                    wuye_version=wuye_version(),
                    vendor=vendor,
                    created_at=created_at,
                    migrations=migrations,
                    files=tuple(files),
                )
                encoded = json.dumps(manifest.as_json(), ensure_ascii=False, indent=1).encode()
                _add(archive, MANIFEST, size=len(encoded), source=io.BytesIO(encoded))
                archive.close()
                output.flush()
                os.fsync(output.fileno())
            partial.rename(path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return manifest


def _add(archive: tarfile.TarFile, name: str, *, size: int, source) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(timezone.now().timestamp())
    with source:
        archive.addfile(info, source)


# Checking -----------------------------------------------------------------------------------------


def _refused(message: str, *, reason: str) -> BackupError:
    return BackupError(message, reason=reason)


def _not_ours(path: Path) -> BackupError:
    return _refused(
        _("%(path)s is not a Wuye backup (no manifest of ours); nothing was changed.") % {"path": path},
        reason="not-a-backup",
    )


def _damaged(path: Path, detail: str) -> BackupError:
    return _refused(
        _("%(path)s is damaged or incomplete (%(detail)s); nothing was changed.")
        % {"path": path, "detail": detail},
        reason="damaged",
    )


def _safe_member_name(name: str) -> bool:
    """A relative path inside the archive's folders, with no way out of the staging folder."""
    parts = PurePosixPath(name).parts
    return (
        bool(parts)
        and not name.startswith("/")
        and "\\" not in name
        and all(part not in {"", ".", ".."} for part in parts)
        and (name == MANIFEST or name in DATABASE_MEMBERS.values() or (parts[0] == MEDIA and len(parts) > 1))
    )


def _manifest_parse(raw: bytes, path: Path) -> Manifest:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _not_ours(path) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _not_ours(path)
    if data.get("format_version") != FORMAT_VERSION:
        raise _refused(
            _("%(path)s is a Wuye backup of format version %(found)s; this Wuye reads version %(version)s.")
            % {"path": path, "found": data.get("format_version"), "version": FORMAT_VERSION},
            reason="format-version",
        )
    try:
        files = tuple(
            BackupFile(str(item["name"]), int(item["size"]), str(item["sha256"])) for item in data["files"]
        )
        manifest = Manifest(
            wuye_version=str(data["wuye_version"]),
            vendor=str(data["database_vendor"]),
            created_at=str(data["created_at"]),
            migrations={str(app): str(name) for app, name in dict(data["migrations"]).items()},
            files=files,
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _damaged(path, _("the manifest is incomplete")) from None
    if manifest.vendor not in DATABASE_MEMBERS or manifest.database_member not in {f.name for f in files}:
        raise _damaged(path, _("the manifest names no database"))
    return manifest


def _manifest_read(archive: tarfile.TarFile, path: Path) -> Manifest:
    try:
        member = archive.getmember(MANIFEST)
    except KeyError:
        raise _not_ours(path) from None
    if not member.isfile() or member.size > MANIFEST_MAX_BYTES:
        raise _not_ours(path)
    handle = archive.extractfile(member)
    return _manifest_parse(handle.read() if handle else b"", path)


def _migrations_check(manifest: Manifest, path: Path, connection) -> None:
    """Refuse a backup any of whose apps has a migration this code does not have (a newer Wuye), or
    an app this code does not have at all: the restored database would not match the code."""
    known = MigrationLoader(connection, ignore_no_migrations=True, load=True).disk_migrations
    unknown = sorted(f"{app}.{name}" for app, name in manifest.migrations.items() if (app, name) not in known)
    if unknown:
        raise _refused(
            _(
                "%(path)s was made by a newer Wuye (%(version)s): this code does not have the migrations "
                "%(migrations)s. Install that version (or a later one) first; nothing was changed."
            )
            % {"path": path, "version": manifest.wuye_version, "migrations": ", ".join(unknown)},
            reason="newer",
        )


def _extract(archive: tarfile.TarFile, member: tarfile.TarInfo, expected: BackupFile, staging: Path, path):
    """Unpack one member into ``staging``, checking its size and SHA-256 as it is written."""
    target = staging / PurePosixPath(member.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    source = archive.extractfile(member)
    if source is None:
        raise _damaged(path, member.name)
    with source, target.open("wb") as output:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            output.write(chunk)
    if size != expected.size or digest.hexdigest() != expected.sha256:
        raise _damaged(path, _("%(name)s does not match its checksum") % {"name": member.name})


def _database_check(manifest: Manifest, staged: Path, path: Path, connection) -> None:
    """The unpacked database opens: SQLite's integrity check, or pg_restore reading the dump's table of
    contents."""
    if manifest.vendor == "sqlite":
        try:
            check = sqlite3.connect(f"file:{staged}?mode=ro", uri=True)
            try:
                verdict = check.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                check.close()
        except sqlite3.DatabaseError as error:
            raise _damaged(path, str(error)) from None
        if verdict != "ok":
            raise _damaged(path, verdict)
    else:
        try:
            _run(
                ["pg_restore", "--list", str(staged)],
                environment=postgresql_environment(settings_dict=connection.settings_dict),
                what="pg_restore --list",
            )
        except BackupError as error:
            if error.reason == "program":
                raise
            raise _damaged(path, str(error)) from None


def _archive_open(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, mode="r:")
    except FileNotFoundError:
        raise _refused(_("%(path)s does not exist.") % {"path": path}, reason="missing") from None
    except (tarfile.TarError, OSError, EOFError):
        raise _not_ours(path) from None


def _archive_unpack(path: Path, staging: Path, connection) -> Manifest:
    """Every check that reads the archive; the members are unpacked into ``staging`` as they pass."""
    with _archive_open(path) as archive:
        try:
            members = archive.getmembers()
            manifest = _manifest_read(archive, path)
            if manifest.vendor != connection.vendor:
                raise _refused(
                    _(
                        "%(path)s is a backup of a %(found)s database; this Wuye uses %(vendor)s. "
                        "Nothing was changed."
                    )
                    % {"path": path, "found": manifest.vendor, "vendor": connection.vendor},
                    reason="vendor",
                )
            _migrations_check(manifest, path, connection)
            expected = {file.name: file for file in manifest.files}
            seen: set[str] = set()
            for member in members:
                if member.name == MANIFEST:
                    continue
                if member.name not in expected or not _safe_member_name(member.name):
                    raise _damaged(path, _("%(name)s is not in the manifest") % {"name": member.name})
                if not member.isfile() or member.name in seen:
                    raise _damaged(path, member.name)
                seen.add(member.name)
                _extract(archive, member, expected[member.name], staging, path)
            missing = sorted(set(expected) - seen)
            if missing:
                raise _damaged(
                    path,
                    _("%(count)s file(s) missing, e.g. %(name)s")
                    % {"count": len(missing), "name": missing[0]},
                )
        except (tarfile.TarError, EOFError, OSError) as error:
            raise _damaged(path, str(error) or type(error).__name__) from None
    return manifest


@contextlib.contextmanager
def backup_open(*, path: Path, using: str = DEFAULT_DB_ALIAS) -> Iterator[VerifiedBackup]:
    """Check the archive at ``path`` whole and unpack it into a staging folder (removed on leaving).

    Checks, in order: a tar archive that reads to its end; our manifest and its format version; only
    members the manifest lists, under safe names, each a regular file whose size and SHA-256 match;
    every listed member present; the database vendor is the configured one; every app's latest
    migration is known to this code; the database file itself opens. Raises ``BackupError``; nothing
    outside the staging folder is touched.
    """
    path = Path(path)
    connection = connections[using]
    media_root = _media_root()
    media_root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".wuye-restore-", dir=media_root.parent))
    try:
        manifest = _archive_unpack(path, staging, connection)
        verified = VerifiedBackup(path=path, manifest=manifest, staging=staging)
        (staging / MEDIA).mkdir(exist_ok=True)
        _database_check(manifest, verified.database_file, path, connection)
        yield verified
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# Restoring ----------------------------------------------------------------------------------------

# Run first in the same transaction as the restored dump: every table, view, sequence and function in
# the connection's schema goes, so objects the backup does not have (e.g. tables of a later migration)
# do not survive to break the next `wuye migrate`. Needs only ownership of the objects, not of the schema.
_PG_EMPTY_SCHEMA = """
DO $$
DECLARE statement text;
BEGIN
  FOR statement IN SELECT format('DROP VIEW IF EXISTS %I.%I CASCADE', schemaname, viewname)
                   FROM pg_views WHERE schemaname = current_schema() LOOP EXECUTE statement; END LOOP;
  FOR statement IN SELECT format('DROP MATERIALIZED VIEW IF EXISTS %I.%I CASCADE', schemaname, matviewname)
                   FROM pg_matviews WHERE schemaname = current_schema() LOOP EXECUTE statement; END LOOP;
  FOR statement IN SELECT format('DROP TABLE IF EXISTS %I.%I CASCADE', schemaname, tablename)
                   FROM pg_tables WHERE schemaname = current_schema() LOOP EXECUTE statement; END LOOP;
  FOR statement IN SELECT format('DROP SEQUENCE IF EXISTS %I.%I CASCADE', schemaname, sequencename)
                   FROM pg_sequences WHERE schemaname = current_schema() LOOP EXECUTE statement; END LOOP;
  FOR statement IN SELECT format('DROP FUNCTION IF EXISTS %I.%I(%s) CASCADE', n.nspname, p.proname,
                                 pg_get_function_identity_arguments(p.oid))
                   FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = current_schema() AND p.prokind = 'f' LOOP EXECUTE statement; END LOOP;
END $$;
"""


def _postgresql_restore(dump: Path, connection) -> None:
    """Replace the PostgreSQL database with the dump, in ONE transaction.

    Why not ``pg_restore --clean --if-exists --dbname …``: it drops only the objects the dump has, so a
    table the current database has and the backup lacks (a later migration's) would survive and break
    the next ``wuye migrate``; and with ``--single-transaction`` it cannot run our statement that
    empties the schema first in the same transaction. So pg_restore only turns the dump into SQL
    (``--no-owner --no-privileges``: the objects belong to the configured user, whoever made the
    backup) and psql runs "empty the schema" and that SQL as one transaction, stopping at the first
    error (``--single-transaction``, ``ON_ERROR_STOP``): the database is either the backup's, or left
    exactly as it was. The web processes and workers should be stopped meanwhile (README): the
    transaction waits for their locks.
    """
    environment = postgresql_environment(settings_dict=connection.settings_dict)
    prelude = dump.with_name("empty-schema.sql")
    prelude.write_text(_PG_EMPTY_SCHEMA, encoding="utf-8")
    # A file, not a pipe: psql commits at the end of its input, so a pg_restore that stopped half-way
    # must be caught before psql runs anything.
    script = dump.with_name("restore.sql")
    _run(
        ["pg_restore", "--no-owner", "--no-privileges", f"--file={script}", str(dump)],
        environment=environment,
        what="pg_restore",
    )
    _run(
        [
            "psql",
            "--no-psqlrc",
            "--quiet",
            "--no-password",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            f"--file={prelude}",
            f"--file={script}",
        ],
        environment=environment,
        what="psql",
    )


def _sqlite_restore(staged: Path, connection) -> None:
    """Copy the backup's database into the configured one with SQLite's backup API, after closing
    Django's connection (any transaction of ours ends; a fresh connection writes). The backup API
    writes the live file in one write transaction, so other processes' connections see the old database
    or the new one, never a mix, and no -wal file is left describing the old one (as replacing the file
    by renaming would)."""
    connection.close()
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{staged}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def _media_replace(staged: Path) -> None:
    """Swap the staged uploads in for MEDIA_ROOT by renaming (same file system); the old ones are
    deleted only once the new ones are in place, and put back if the swap fails."""
    root = _media_root()
    previous = None
    if root.exists():
        previous = root.with_name(f".{root.name}-replaced-{os.getpid()}")
        shutil.rmtree(previous, ignore_errors=True)
        root.rename(previous)
    try:
        staged.rename(root)
    except BaseException:
        if previous is not None:
            previous.rename(root)
        raise
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)


@dataclass(frozen=True)
class RestoreSummary:
    vendor: str
    created_at: str
    wuye_version: str
    media_files: int
    total_bytes: int


def backup_restore(*, backup: VerifiedBackup, actor=None, using: str = DEFAULT_DB_ALIAS) -> RestoreSummary:
    """Replace the database and the uploaded files with a checked backup (``backup_open``).

    Steps: replace the database (SQLite's backup API, or one PostgreSQL transaction: see
    ``_postgresql_restore``); if that fails, nothing has changed and the error is raised. Then swap the
    uploaded files in, and log ``core.backup.restored`` in the restored database's audit log.
    """
    connection = connections[using]
    if connection.in_atomic_block:
        raise BackupError(_("A backup cannot be restored inside a transaction."), reason="transaction")
    manifest = backup.manifest
    if manifest.vendor == "sqlite":
        _sqlite_restore(backup.database_file, connection)
    else:
        connection.close()  # no transaction or prepared statement of ours survives the new schema
        _postgresql_restore(backup.database_file, connection)
    _caches_clear()
    _media_replace(backup.media_folder)
    summary = RestoreSummary(
        vendor=manifest.vendor,
        created_at=manifest.created_at,
        wuye_version=manifest.wuye_version,
        media_files=len(manifest.media_files),
        total_bytes=manifest.total_bytes,
    )
    log_action(
        "core.backup.restored",
        actor=actor,
        changes={
            "archive": str(backup.path),
            "created_at": manifest.created_at,
            "wuye_version": manifest.wuye_version,
            "media_files": summary.media_files,
        },
    )
    return summary


def _caches_clear() -> None:
    """Rows cached in this process (content types, permissions' lookups) may differ in the restored
    database."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
