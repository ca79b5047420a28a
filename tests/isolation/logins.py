"""A login lock of the foreign community's staff member (Staff → Login locks)."""

from datetime import timedelta

from django.utils import timezone

from wuye.core.models import LoginThrottle


def build(community, staff_user):
    lock = LoginThrottle.objects.create(
        kind=LoginThrottle.Kind.ACCOUNT,
        key=staff_user.username,
        locked_until=timezone.now() + timedelta(hours=1),
    )
    return {"loginthrottle_pk": lock.pk}
