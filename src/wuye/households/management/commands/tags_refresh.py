from django.core.management.base import BaseCommand, CommandError

from wuye.core.models import Community
from wuye.households.domain.tagrules import RULES, tags_refresh


class Command(BaseCommand):
    help = "Recompute the rule-based (system) tags of every community, or of one."

    def add_arguments(self, parser):
        parser.add_argument("--community", type=int, help="only this community (its id)")
        parser.add_argument("--rule", action="append", choices=sorted(RULES), help="only these rules")

    def handle(self, *args, community=None, rule=None, **options):
        communities = Community.objects.all()
        if community is not None:
            communities = communities.filter(pk=community)
            if not communities.exists():
                raise CommandError(f"no community {community}")
        for each in communities:
            for key, (added, removed) in tags_refresh(community=each, keys=rule).items():
                self.stdout.write(f"{each.name} · {key}: +{added} −{removed}")
