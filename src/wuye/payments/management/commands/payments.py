"""``wuye payments sweep``: query every online payment and refund still open after a few minutes."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Payment jobs. 'sweep' settles attempts and refunds whose notification never came."

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        sweep = subcommands.add_parser("sweep", help="query open attempts and refunds and settle them")
        sweep.add_argument("--minutes", type=int, default=3, help="only those older than this (default 3)")
        sweep.add_argument(
            "--every", type=int, default=0, help="repeat every this many seconds (0: once; run it from cron)"
        )

    def handle(self, *args, subcommand: str, minutes: int, every: int, **options):
        from wuye.payments.domain.online import attempts_sweep

        while True:
            result = attempts_sweep(older_than_minutes=minutes)
            self.stdout.write(
                f"queried {result.queried}, succeeded {result.succeeded}, closed {result.closed}"
            )
            if every <= 0:
                return
            time.sleep(every)
