"""``wuye notifications_send``: deliver the due messages of the outbox (the jobs runner for now)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from wuye.notifications.domain.outbox import outbox_deliver_due


class Command(BaseCommand):
    help = "Deliver due messages of the notifications outbox; --every N keeps doing it every N seconds."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="most messages per pass")
        parser.add_argument("--every", type=float, default=0, help="repeat every this many seconds")

    def handle(self, *args, limit: int, every: float, **options):
        while True:
            report = outbox_deliver_due(limit=limit)
            self.stdout.write(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")
            if not every:
                return
            time.sleep(every)
