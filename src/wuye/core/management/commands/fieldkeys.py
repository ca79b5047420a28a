"""``wuye fieldkeys rotate|check``: rewrite encrypted values under the current field key."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Field keys (WUYE_FIELD_KEY, WUYE_FIELD_KEYS_OLD). 'rotate' rewrites every encrypted value under "
        "the current key (safe to run again); 'check' counts, writes nothing, and fails while any value "
        "is not under the current key."
    )

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        rotate = subcommands.add_parser("rotate", help="rewrite every value under the current key")
        rotate.add_argument(
            "--batch-size", type=int, default=1000, help="rows per transaction (default 1000)"
        )
        subcommands.add_parser("check", help="count the values per key; write nothing")

    def handle(self, *args, subcommand: str, batch_size: int = 1000, **options):
        from wuye.core.domain.fieldkeys import field_keys_rotate

        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        write = subcommand == "rotate"
        counts = field_keys_rotate(batch_size=batch_size, write=write)
        for count in counts:
            self.stdout.write(
                f"{count.field}: rewritten {count.rewritten}, already current {count.current}, "
                f"still under an old key {count.old}, unreadable {count.unreadable}"
            )
        unreadable = sum(count.unreadable for count in counts)
        old = sum(count.old for count in counts)
        if unreadable:
            raise CommandError(
                f"{unreadable} value(s) cannot be decrypted with WUYE_FIELD_KEY nor any key in "
                "WUYE_FIELD_KEYS_OLD and were left as they are: add the key they were written with to "
                "WUYE_FIELD_KEYS_OLD and run 'wuye fieldkeys rotate' again."
            )
        if old:
            raise CommandError(
                f"{old} value(s) are still under an old key: run 'wuye fieldkeys rotate' before dropping "
                "any key from WUYE_FIELD_KEYS_OLD."
            )
        self.stdout.write("Every encrypted value is under the current key (WUYE_FIELD_KEY).")
