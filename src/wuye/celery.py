"""The Celery app, when ``WUYE_BROKER_URL`` is set (Redis): the jobs ``wuye.core.jobs`` records run on
worker processes, on as many machines as needed, and beat ticks the periodic commands.

Its tasks live with the jobs (``wuye.core.jobs``: ``wuye.job`` runs one job record, ``wuye.tick`` one
periodic entry or the sweep). A worker, and beat (one; a second started by mistake does no harm)::

    celery -A wuye.celery worker --loglevel INFO
    celery -A wuye.celery beat --loglevel INFO
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wuye.settings")

app = Celery("wuye")
app.config_from_object("django.conf:settings", namespace="CELERY")
