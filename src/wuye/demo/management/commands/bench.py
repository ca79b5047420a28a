"""`wuye bench billing|callbacks|debit|recon|http …`: see wuye.demo.bench_billing, bench_callbacks,
bench_debit, bench_recon, bench_http (benchmarks and their data builders live with the demo)."""

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

        debit = sub.add_parser("debit", help="a bank batch debit cycle: files out, results in, settled")
        debit.add_argument("--lines", type=int, required=True)
        debit.add_argument("--out", default=None, help="leave the files written here (pain.008 included)")
        debit.add_argument(
            "--database-url", default=None, help="run against this database (e.g. postgres://…)"
        )

        recon = sub.add_parser("recon", help="reconcile one day of channel bills with injected differences")
        recon.add_argument("--payments", type=int, required=True)
        recon.add_argument("--inject", type=int, default=10, help="differences injected per class")
        recon.add_argument(
            "--database-url", default=None, help="run against this database (e.g. postgres://…)"
        )

        callbacks = sub.add_parser(
            "callbacks", help="signed payment notifications through the notify endpoint"
        )
        callbacks.add_argument("--notifications", type=int, required=True)
        callbacks.add_argument("--duplicates", type=int, default=0)
        callbacks.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
        callbacks.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 2,
            help="gunicorn worker processes (default: one per core; the database shares the cores)",
        )
        callbacks.add_argument("--seed", type=int, default=1)
        callbacks.add_argument(
            "--database-url", default=None, help="run against this database (e.g. postgres://…)"
        )

        http = sub.add_parser("http", help="the owner portal under load on the production server (locust)")
        http.add_argument("--households", type=int, required=True)
        http.add_argument("--seconds", type=int, default=60, help="how long the owner mix runs")
        http.add_argument(
            "--users", type=int, default=None, help="simulated owners at once (default: 2 per worker)"
        )
        http.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 2,
            help="gunicorn worker processes (default: one per core, as the README's production unit)",
        )
        http.add_argument("--seed", type=int, default=1)
        http.add_argument(
            "--database-url", default=None, help="run against this database (e.g. postgres://…)"
        )

    def handle(self, *args, which, **options):
        url = options.get("database_url")
        if url and os.environ.get("DATABASE_URL") != url:
            # Settings are read once at start-up: run again with the database URL in the environment.
            os.environ["DATABASE_URL"] = url
            os.execv(sys.executable, [sys.executable, "-m", "wuye", *sys.argv[1:]])  # noqa: S606
        if which == "http":
            from wuye.demo import bench_http

            if options["households"] < 1 or options["seconds"] < 1 or options["workers"] < 1:
                raise CommandError("--households, --seconds and --workers must be at least 1")
            result = bench_http.bench_http(
                households=options["households"],
                seconds=options["seconds"],
                users=options["users"] or 2 * options["workers"],
                workers=options["workers"],
                seed=options["seed"],
                log=lambda line: self.stderr.write(line),
            )
            bench_http.print_result(result, write=self.stdout.write)
            return
        if which == "debit":
            from pathlib import Path

            from wuye.demo import bench_debit as debit_bench

            if options["lines"] < 1:
                raise CommandError("--lines must be at least 1")
            result = debit_bench.bench_debit(
                lines=options["lines"],
                out=Path(options["out"]) if options["out"] else None,
                log=lambda line: self.stderr.write(line),
            )
            debit_bench.print_result(result, write=self.stdout.write)
            return
        if which == "recon":
            from wuye.demo import bench_recon as recon_bench

            if options["inject"] < 2 or options["payments"] < 20 * options["inject"]:
                raise CommandError("--inject must be at least 2 and --payments at least 20 × --inject")
            result = recon_bench.bench_recon(
                payments=options["payments"],
                inject=options["inject"],
                log=lambda line: self.stderr.write(line),
            )
            recon_bench.print_result(result, write=self.stdout.write)
            return
        if which == "callbacks":
            from wuye.demo import bench_callbacks as payments_bench

            if options["notifications"] < 1 or options["duplicates"] < 0:
                raise CommandError("--notifications must be at least 1 and --duplicates at least 0")
            result = payments_bench.bench_callbacks(
                notifications=options["notifications"],
                duplicates=options["duplicates"],
                clients=options["clients"],
                workers=options["workers"],
                seed=options["seed"],
                log=lambda line: self.stderr.write(line),
            )
            payments_bench.print_result(result, write=self.stdout.write)
            return
        if which == "billing":
            from wuye.billing.domain.runs import DEFAULT_CHUNK_ROOMS
            from wuye.demo import bench_billing as bench

            if options["households"] < 1 or options["fee_items"] < 1:
                raise CommandError("--households and --fee-items must be at least 1")
            result = bench.bench_billing(
                households=options["households"],
                fee_items=options["fee_items"],
                chunk_rooms=options["chunk_rooms"] or DEFAULT_CHUNK_ROOMS,
                log=lambda line: self.stderr.write(line),
            )
            bench.print_result(result, write=self.stdout.write)
