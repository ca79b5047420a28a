"""The category tree of a community, with each category's SLA and team, and the desk's settings."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import diff, log_action, register_actions, register_field_labels, snapshot
from wuye.core.models import Community
from wuye.service.domain.errors import ServiceError
from wuye.service.models import ServiceCategory, ServiceSettings, Team

register_actions(
    {
        "service.category.created": gettext_lazy("Service category created"),
        "service.category.changed": gettext_lazy("Service category changed"),
        "service.settings.changed": gettext_lazy("Service settings changed"),
    }
)
register_field_labels(
    {
        "response_minutes": gettext_lazy("response deadline (minutes)"),
        "completion_hours": gettext_lazy("completion deadline (hours)"),
        "team": gettext_lazy("team"),
        "parent": gettext_lazy("parent category"),
        "is_active": gettext_lazy("in use"),
        "position": gettext_lazy("position"),
        "auto_close_days": gettext_lazy("close unrated requests after (days)"),
        "auto_assign": gettext_lazy("assign new requests automatically"),
    }
)

CATEGORY_FIELDS = ("name", "parent", "response_minutes", "completion_hours", "team", "position", "is_active")
SETTINGS_FIELDS = ("auto_close_days", "auto_assign")


def _check(community: Community, values: dict, category: ServiceCategory | None = None) -> None:
    name = (values.get("name") or "").strip()
    if not name:
        raise ServiceError(_("Give the category a name."))
    values["name"] = name
    parent: ServiceCategory | None = values.get("parent")
    if parent is not None:
        # Two levels are enough for a property office (水电 → 漏水) and keep the tree free of cycles.
        if parent.community_id != community.pk or parent.parent_id is not None:
            raise ServiceError(_("A category can only sit under a top-level category of this community."))
        if category is not None and (parent.pk == category.pk or category.children.exists()):
            raise ServiceError(_("A category with sub-categories stays at the top level."))
    team: Team | None = values.get("team")
    if team is not None and team.community_id != community.pk:
        raise ServiceError(_("The team is in another community."))
    for field in ("response_minutes", "completion_hours"):
        if field in values and int(values[field]) < 1:
            raise ServiceError(_("Deadlines are at least 1."))
    siblings = ServiceCategory.objects.filter(community=community, parent=parent, name=name)
    if category is not None:
        siblings = siblings.exclude(pk=category.pk)
    if siblings.exists():
        raise ServiceError(_("There is already a category called %(name)s here.") % {"name": name})


@transaction.atomic
def category_create(*, community: Community, actor, **values) -> ServiceCategory:
    """A category: name, parent (a top-level category or None), response_minutes, completion_hours, team."""
    unknown = set(values) - set(CATEGORY_FIELDS)
    if unknown:
        raise ValueError(unknown)
    _check(community, values)
    category = ServiceCategory.objects.create(community=community, **values)
    log_action(
        "service.category.created", actor=actor, obj=category, changes=snapshot(category, CATEGORY_FIELDS)
    )
    return category


@transaction.atomic
def category_update(*, category: ServiceCategory, actor, **values) -> ServiceCategory:
    """Change a category. Requests already submitted keep the deadlines they were given."""
    unknown = set(values) - set(CATEGORY_FIELDS)
    if unknown:
        raise ValueError(unknown)
    merged = {**snapshot_values(category), **values}
    _check(category.community, merged, category)
    before = snapshot(category, CATEGORY_FIELDS)
    for key, value in merged.items():
        setattr(category, key, value)
    changes = diff(before, snapshot(category, CATEGORY_FIELDS))
    if changes:
        category.save()
        log_action("service.category.changed", actor=actor, obj=category, changes=changes)
    return category


def snapshot_values(category: ServiceCategory) -> dict:
    return {field: getattr(category, field) for field in CATEGORY_FIELDS}


@transaction.atomic
def service_settings_update(*, community: Community, actor, **values) -> ServiceSettings:
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(unknown)
    if "auto_close_days" in values and int(values["auto_close_days"]) < 1:
        raise ServiceError(_("Requests close automatically after at least one day."))
    current, _created = ServiceSettings.objects.get_or_create(community=community)
    before = snapshot(current, SETTINGS_FIELDS)
    for key, value in values.items():
        setattr(current, key, value)
    changes = diff(before, snapshot(current, SETTINGS_FIELDS))
    if changes:
        current.save()
        log_action("service.settings.changed", actor=actor, obj=current, changes=changes)
    return current
