"""``wuye gate DEVICE PLATE``: a simulated gate (paysim's) sends a car's plate to Wuye and shows what it
was told (open, pay with the pay page's address, refuse), for the demo and by hand."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from wuye.paysim.gates import GateSim


class Command(BaseCommand):
    help = "Simulate a car at a gate: send its plate, print what the gate was told."

    def add_arguments(self, parser):
        parser.add_argument("device", help="the gate's device id (the console's 停车 → 道闸 lists them)")
        parser.add_argument("plate")
        parser.add_argument("--url", default=getattr(settings, "PUBLIC_URL", "http://127.0.0.1:8000"))

    def handle(self, *args, device, plate, url, **options):
        answer = GateSim(base_url=url, device_id=device).car(plate)
        self.stdout.write(
            f"{answer.get('action')} {answer.get('reason', '')} {answer.get('pay_url', '')}".strip()
        )
