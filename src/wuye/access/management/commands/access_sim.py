"""``wuye access_sim``: present a card, QR code, face id or visitor pass to a door, as its device would."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from wuye.access.enums import PRESENTED_KINDS
from wuye.access.models import Door
from wuye.access.sim import DoorSim


class Command(BaseCommand):
    help = "Present a card, QR code, face id or visitor pass token to a door through the device API."

    def add_arguments(self, parser):
        parser.add_argument("--community", type=int, required=True, help="the door's community (pk)")
        parser.add_argument("--door", required=True, help="the door's device id")
        parser.add_argument("--kind", choices=sorted(PRESENTED_KINDS), default="pass")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="where Wuye answers")
        parser.add_argument("--event-id", default=None, help="repeat an event id (a replay is refused)")
        parser.add_argument("value", help="card number, QR code, face id or visitor pass token")

    def handle(self, *args, community, door, kind, url, event_id, value, **options):
        found = Door.objects.filter(community_id=community, device_id=door).first()
        if found is None:
            raise CommandError(f"No door {door!r} in community {community}.")
        sim = DoorSim(found, base_url=url)
        if not sim.key:
            raise CommandError(f"The key of door {door!r} cannot be read ({found.key_ref}).")
        answer = sim.present(kind, value, event_id=event_id)
        self.stdout.write(f"{answer.status} {answer.body}")
        if not answer.granted:
            raise SystemExit(1)
