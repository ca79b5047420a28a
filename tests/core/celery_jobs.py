"""Jobs for the Celery worker tests (the workers import this module by the job's name)."""

from wuye.core import jobs
from wuye.core.models import Community


@jobs.job
def needs_a_community_named(*, name: str) -> None:
    """Fails until a community called ``name`` exists: a job that fails on bad data until someone
    puts the data right."""
    if not Community.objects.filter(name=name).exists():
        raise LookupError(f"no community is called {name}")
