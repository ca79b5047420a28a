"""``wuye notifications_receipts``: record the SMS providers' delivery receipts (every five minutes
from the scheduler)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from wuye.notifications.sms import sms_receipts_pull


class Command(BaseCommand):
    help = "Pull the SMS providers' delivery receipts for sent messages and record them."

    def handle(self, *args, **options):
        report = sms_receipts_pull()
        self.stdout.write(f"delivered {report.delivered}, not delivered {report.undelivered}")
