"""Listeners on other apps' documented extension points."""

from django.dispatch import receiver

from wuye.core.models import Community
from wuye.estate.signals import room_changed
from wuye.households.domain.tagrules import tags_refresh


@receiver(room_changed)
def refresh_rule_tags_on_room_change(sender, community_id: int, room_pks, **kwargs) -> None:
    tags_refresh(community=Community.objects.get(pk=community_id))
