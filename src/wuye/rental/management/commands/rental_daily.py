import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wuye.rental.domain.billing import rent_bills_issue_due
from wuye.rental.domain.reminders import leases_remind


class Command(BaseCommand):
    help = (
        "Bill the rent that falls due (each lease's bills a few days before their months start) and remind"
        " the tenants of leases ending within a month. Safe to run repeatedly: nothing is billed or sent twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--community", type=int, help="only this community (its id)")
        parser.add_argument(
            "--today", help="act as if it were this day (YYYY-MM-DD); for tests and catching up"
        )

    def handle(self, *args, community=None, today=None, **options):
        if today:
            try:
                day = datetime.date.fromisoformat(today)
            except ValueError as error:
                raise CommandError("--today is a date: YYYY-MM-DD") from error
        else:
            day = timezone.localdate()
        communities = [community] if community is not None else None
        billed = rent_bills_issue_due(today=day, community_ids=communities)
        reminded = leases_remind(today=day, community_ids=communities)
        self.stdout.write(f"rent lines billed: {billed}; leases reminded: {reminded}")
