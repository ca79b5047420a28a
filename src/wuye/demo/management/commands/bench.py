"""`wuye bench billing --households N [--fee-items K] [--database-url URL]`: see wuye.billing.bench."""

import os
import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Benchmarks. Prints progress, then one JSON object as the last line."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="which", required=True)
        billing = sub.add_parser("billing", help="a billing run over a synthetic community")
        billing.add_argument("--households", type=int, required=True)
        billing.add_argument("--fee-items", type=int, default=4)
        billing.add_argument("--chunk-rooms", type=int, default=None)
        billing.add_argument(
            "--database-url", default=None, help="run against this database (e.g. postgres://…)"
        )

    def handle(self, *args, which, **options):
        url = options.get("database_url")
        if url and os.environ.get("DATABASE_URL") != url:
            # Settings are read once at start-up: run again with the database URL in the environment.
            os.environ["DATABASE_URL"] = url
            os.execv(sys.executable, [sys.executable, "-m", "wuye", *sys.argv[1:]])  # noqa: S606
        if which == "billing":
            from wuye.billing import bench
            from wuye.billing.domain.runs import DEFAULT_CHUNK_ROOMS

            if options["households"] < 1 or options["fee_items"] < 1:
                raise CommandError("--households and --fee-items must be at least 1")
            result = bench.bench_billing(
                households=options["households"],
                fee_items=options["fee_items"],
                chunk_rooms=options["chunk_rooms"] or DEFAULT_CHUNK_ROOMS,
                log=lambda line: self.stderr.write(line),
            )
            bench.print_result(result, write=self.stdout.write)
