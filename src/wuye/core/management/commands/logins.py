"""``wuye logins list`` and ``wuye logins unlock (--username U | --address A)``: login locks from the
command line, for when no administrator can log in to lift one in the console (their own account, or
the office's address, is the one locked)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wuye.core.domain.logins import ACCOUNT, ADDRESS, address_key, login_unlock
from wuye.core.domain.queries import login_locks


class Command(BaseCommand):
    help = "Login locks after failed passwords: 'list' those in force, 'unlock' one (audited)."

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        subcommands.add_parser("list", help="the locks in force")
        unlock = subcommands.add_parser("unlock", help="lift the lock on a username or an address")
        which = unlock.add_mutually_exclusive_group(required=True)
        which.add_argument("--username")
        which.add_argument("--address", help="an IPv4 address, or any address of an IPv6 /64")

    def handle(self, *args, subcommand: str, **options):
        locks = login_locks(now=timezone.now())
        if subcommand == "list":
            for lock in locks:
                self.stdout.write(
                    f"{lock.kind} {lock.key}: locked until {timezone.localtime(lock.locked_until):%Y-%m-%d %H:%M}, "
                    f"{lock.refused} refused, lock {lock.lockouts} in a row"
                )
            return
        if options.get("username"):
            kind, key = ACCOUNT, options["username"]
        else:
            kind, key = ADDRESS, address_key(options["address"])
            if not key:
                raise CommandError(f"not an address: {options['address']!r}")
        lock = locks.filter(kind=kind, key=key).first()
        if lock is None:
            raise CommandError(f"no lock in force on {kind} {key}")
        login_unlock(throttle=lock, actor=None)
        self.stdout.write(f"lifted the lock on {kind} {key}")
