from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from wuye.core.models import Community
from wuye.notices.tasks import notices_publish


class Command(BaseCommand):
    help = "Publish scheduled notices whose time has come and notify their households (once). Safe to repeat."

    def add_arguments(self, parser):
        parser.add_argument("--community", type=int, help="only this community (its id)")
        parser.add_argument("--now", help="act as if it were this time (ISO 8601, with offset); for tests")

    def handle(self, *args, community=None, now=None, **options):
        communities = Community.objects.order_by("pk")
        if community is not None:
            communities = communities.filter(pk=community)
            if not communities.exists():
                raise CommandError(f"no community {community}")
        moment = None
        if now:
            moment = parse_datetime(now)
            if moment is None or moment.tzinfo is None:
                raise CommandError(
                    "--now needs an ISO 8601 time with its offset, e.g. 2026-05-01T09:00+08:00"
                )
        for each in communities:
            published = notices_publish(community_id=each.pk, now=moment)
            self.stdout.write(f"{each.name}: published {len(published)}")
