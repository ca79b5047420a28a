"""``wuye ledger check [--community ID]``: prove that the ledger matches bills, receipts and allocations."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from wuye.core.models import Community
from wuye.payments.domain.checks import CHECKS, ledger_check


class Command(BaseCommand):
    help = (
        "Ledger tools. 'check' compares the ledger with the documents and exits non-zero on any difference."
    )

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        check = subcommands.add_parser(
            "check", help=f"verify, per community: {', '.join(CHECKS)}; print every difference"
        )
        check.add_argument("--community", type=int, help="only this community (its id)")

    def handle(self, *args, subcommand: str, community: int | None = None, **options):
        communities = Community.objects.order_by("pk")
        if community is not None:
            communities = communities.filter(pk=community)
            if not communities.exists():
                raise CommandError(f"no community {community}")
        total = 0
        for each in communities:
            differences = ledger_check(community=each)
            total += len(differences)
            status = "OK" if not differences else f"{len(differences)} difference(s)"
            self.stdout.write(f"community {each.pk} {each.name}: {status}")
            for difference in differences:
                self.stdout.write(f"  {difference}")
        if total:
            raise CommandError(f"ledger check failed: {total} difference(s)")
        self.stdout.write(f"ledger check passed: {', '.join(CHECKS)}")
