"""``wuye backup create PATH`` and ``wuye backup restore PATH [--yes]``: the database and the uploaded
files in one archive, and back (``wuye.core.domain.backup``)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wuye.core.domain.backup import BackupError, backup_create, backup_open, backup_restore


class Command(BaseCommand):
    help = (
        "Backups: 'create PATH' writes the database and the uploaded files to one archive; 'restore PATH' "
        "checks an archive whole, then replaces the database and the uploaded files with it."
    )

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        create = subcommands.add_parser("create", help="write a backup archive (a .tar) to PATH")
        create.add_argument("path", type=Path, metavar="PATH")
        restore = subcommands.add_parser(
            "restore", help="replace the database and the uploaded files with the archive at PATH"
        )
        restore.add_argument("path", type=Path, metavar="PATH")
        restore.add_argument(
            "--yes",
            action="store_true",
            help="do not ask: the database and the uploaded files are overwritten",
        )

    def handle(self, *args, subcommand: str, path: Path, yes: bool = False, **options):
        try:
            if subcommand == "create":
                manifest = backup_create(path=path)
                self.stdout.write(
                    _(
                        "Backup written to %(path)s: %(vendor)s database, %(files)s uploaded file(s), %(bytes)s bytes."
                    )
                    % {
                        "path": path,
                        "vendor": manifest.vendor,
                        "files": len(manifest.media_files),
                        "bytes": manifest.total_bytes,
                    }
                )
                return
            with backup_open(path=path) as backup:
                manifest = backup.manifest
                self.stdout.write(
                    _(
                        "%(path)s is a whole backup: made %(created_at)s by Wuye %(version)s, %(vendor)s "
                        "database, %(files)s uploaded file(s)."
                    )
                    % {
                        "path": path,
                        "created_at": manifest.created_at,
                        "version": manifest.wuye_version,
                        "vendor": manifest.vendor,
                        "files": len(manifest.media_files),
                    }
                )
                if not yes and not self._confirmed():
                    raise CommandError(_("Not restored: nothing was changed."))
                summary = backup_restore(backup=backup)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _(
                "Restored the database and %(files)s uploaded file(s) from %(path)s (made %(created_at)s). "
                "Run `wuye migrate` if this Wuye is newer than the backup."
            )
            % {"files": summary.media_files, "path": path, "created_at": summary.created_at}
        )

    def _confirmed(self) -> bool:
        if not sys.stdin.isatty():
            raise CommandError(
                _(
                    "Restoring overwrites the database and the uploaded files: pass --yes to confirm. "
                    "Nothing was changed."
                )
            )
        answer = input(_("This overwrites the database and every uploaded file. Type 'yes' to restore: "))
        return answer.strip().lower() == "yes"
