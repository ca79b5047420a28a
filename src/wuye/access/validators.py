"""Limits of visitor passes and credentials."""

import datetime

PASS_MAX_USES = 10
PASS_MAX_DAYS = 7
PASS_MAX_WINDOW = datetime.timedelta(days=PASS_MAX_DAYS)
# A window may start a moment ago (the owner filled in "now" and took a minute to send the form).
PASS_START_GRACE = datetime.timedelta(minutes=5)
