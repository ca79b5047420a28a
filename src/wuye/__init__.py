"""Wuye (物业): smart property management."""

# The Celery app is made when Django starts (Celery's Django recipe), so the jobs that web processes
# hand out go to the configured broker.
from wuye.celery import app as celery_app

__all__ = ["celery_app"]
