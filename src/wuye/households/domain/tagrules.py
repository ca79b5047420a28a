"""Rule-based (system) tags: a mechanism any app can plug a rule into.

A rule names the households of a community that should carry its tag, as a queryset of household
pks. ``tags_refresh`` makes the tag links equal to that set in two set-based statements (insert the
missing, delete the extra) and logs each change on the household's timeline. Billing will register
欠费 and debit 已签代扣 the same way as 空置 and 租户 below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wuye.core.audit import log_bulk, register_actions
from wuye.core.models import AuditLog, Community
from wuye.estate.enums import RoomState
from wuye.households.enums import PersonKind, TagColour, TagKind
from wuye.households.models import Household, HouseholdRoom, HouseholdTag, Person, Tag

register_actions(
    {
        "households.tag.applied": _("Tag added"),
        "households.tag.removed": _("Tag removed"),
        "households.tag.rule_applied": _("Tag added by rule"),
        "households.tag.rule_removed": _("Tag removed by rule"),
    }
)


@dataclass(frozen=True)
class TagRule:
    key: str
    name: Promise
    colour: str
    description: Promise
    households: Callable[[Community], models.QuerySet]


RULES: dict[str, TagRule] = {}


def register_tag_rule(rule: TagRule) -> None:
    RULES[rule.key] = rule


def _vacant_households(community: Community) -> models.QuerySet:
    """Households with at least one room, all of whose rooms are vacant.

    Written with EXISTS / NOT EXISTS: a NOT IN over a join is planned as a scan per row on
    PostgreSQL and never finishes on a community of thousands.
    """
    links = HouseholdRoom.objects.filter(household=models.OuterRef("pk"))
    return (
        Household.objects.filter(community=community)
        .filter(models.Exists(links))
        .exclude(models.Exists(links.exclude(room__state=RoomState.VACANT)))
        .values("pk")
    )


register_tag_rule(
    TagRule(
        key="vacant",
        name=_("Vacant"),
        colour=TagColour.GREY,
        description=_("Every room of the household is vacant"),
        households=_vacant_households,
    )
)


def _tenant_households(community: Community) -> models.QuerySet:
    """Households with a tenant living in them today: a person of kind tenant who has moved in (or whose
    day is not recorded) and not out. A lease (``wuye.rental``) adds its tenant so and moves them out
    when it closes; tenants entered by hand or imported with the archive count the same."""
    today = timezone.localdate()
    tenants = Person.objects.filter(household=models.OuterRef("pk"), kind=PersonKind.TENANT).filter(
        models.Q(moved_in_on__isnull=True) | models.Q(moved_in_on__lte=today),
        models.Q(moved_out_on__isnull=True) | models.Q(moved_out_on__gt=today),
    )
    return Household.objects.filter(community=community).filter(models.Exists(tenants)).values("pk")


register_tag_rule(
    TagRule(
        key="tenant",
        name=_("Tenant"),
        colour=TagColour.BLUE,
        description=_("A tenant lives in the household's rooms"),
        households=_tenant_households,
    )
)


def tag_for_rule(*, community: Community, rule: TagRule) -> Tag:
    """The community's tag of ``rule``: created on first use; a manual tag of the same name (a community
    that tagged by hand what a rule now decides) becomes the rule's, keeping its group and colour."""
    tag = Tag.objects.filter(community=community, rule=rule.key).first()
    if tag is None:
        with translation.override(settings.LANGUAGE_CODE):
            name = str(rule.name)
        adopted = Tag.objects.filter(community=community, name=name, rule="").update(
            kind=TagKind.SYSTEM, rule=rule.key
        )
        if adopted:
            return Tag.objects.get(community=community, rule=rule.key)
        with translation.override(settings.LANGUAGE_CODE):
            tag = Tag.objects.create(
                community=community,
                name=str(rule.name),
                colour=rule.colour,
                kind=TagKind.SYSTEM,
                rule=rule.key,
                description=str(rule.description),
            )
    return tag


def tags_refresh(
    *,
    community: Community,
    keys: list[str] | None = None,
    household_ids: list[int] | None = None,
    removal_only: bool = False,
) -> dict[str, tuple[int, int]]:
    """Bring every system tag of ``community`` in line with its rule. Returns {key: (added, removed)}.

    With ``household_ids``, only those households are looked at (a payment refreshes its household's
    欠费 tag without reading the whole community). ``removal_only``: the caller's change can only take
    households out of the rule (a payment out of arrears), so households not carrying the tag are
    skipped without evaluating the rule; when none carries it (most payments), that one read is all,
    without a transaction."""
    keys = keys or list(RULES)
    if removal_only and household_ids is not None:
        carrying = HouseholdTag.objects.filter(
            tag__community=community, tag__rule__in=keys, household_id__in=household_ids
        )
        if not carrying.exists():
            return dict.fromkeys(keys, (0, 0))
    with transaction.atomic():
        if household_ids is None:
            _fresh_statistics()
        return _rules_apply(
            community=community, keys=keys, household_ids=household_ids, removal_only=removal_only
        )


# The archive tables the rules read over a whole community.
RULE_TABLES = ("households_household", "households_householdroom", "households_householdtag", "estate_room")


def _fresh_statistics() -> None:
    """PostgreSQL: analyse the tables the rules read before a whole-community refresh. Refreshes follow
    bulk loads (an import, the demo); statistics taken while the tables were near empty (autovacuum, or
    another transaction's ANALYZE: its row counts outlive a rollback) plan the vacant rule's NOT EXISTS
    as a scan of every room per link, which never finishes on thousands of rooms. An ANALYZE inside the
    transaction sees its own new rows; sampling takes well under a second."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(RULE_TABLES)}")


def carries_rule_tag_sql(household_column: str) -> str:
    """SQL that is true when the household whose id is in ``household_column`` carries the system tag
    of the rule passed as the statement's next parameter: for a statement that reads the household
    anyway (a payment's household lock), so that a payment of an untagged household asks nothing more."""
    return (
        "EXISTS (SELECT 1 FROM households_householdtag ht JOIN households_tag t ON t.id = ht.tag_id"
        f" WHERE ht.household_id = {household_column} AND t.rule = %s)"
    )


def _rules_apply(*, community, keys, household_ids, removal_only) -> dict[str, tuple[int, int]]:
    result = {}
    for key in keys:
        rule = RULES[key]
        if removal_only and household_ids is not None:
            carriers = HouseholdTag.objects.filter(
                tag__community=community, tag__rule=key, household_id__in=household_ids
            ).values_list("household_id", flat=True)
            household_ids = list(carriers)
            if not household_ids:
                result[key] = (0, 0)
                continue
        tag = tag_for_rule(community=community, rule=rule)
        households = rule.households(community)
        carrying_links = HouseholdTag.objects.filter(tag=tag)
        if household_ids is not None:
            # A rule's queryset has one column (its household pks): filter on that column.
            column = households.query.values_select[0] if households.query.values_select else "pk"
            households = households.filter(**{f"{column}__in": household_ids})
            carrying_links = carrying_links.filter(household_id__in=household_ids)
        # Both sets are read into memory once (one int per household of the community) and compared
        # in Python: whatever SQL a rule is, this stays two plain queries, never a NOT IN over a join.
        wanted = {next(iter(row.values())) if isinstance(row, dict) else row for row in households}
        carrying = set(carrying_links.values_list("household_id", flat=True))
        removed_pks = sorted(carrying - wanted)
        added_pks = sorted(wanted - carrying)
        for start in range(0, len(removed_pks), 500):
            HouseholdTag.objects.filter(tag=tag, household_id__in=removed_pks[start : start + 500]).delete()
        HouseholdTag.objects.bulk_create(
            [HouseholdTag(community=community, household_id=pk, tag=tag) for pk in added_pks], batch_size=1000
        )
        log_bulk(
            [
                AuditLog(
                    community=community,
                    action=action,
                    object_type="households.tag",
                    object_pk=tag.pk,
                    object_repr=tag.name,
                    household_id=pk,
                    changes={"tag": tag.name},
                )
                for action, pks in (
                    ("households.tag.rule_applied", added_pks),
                    ("households.tag.rule_removed", removed_pks),
                )
                for pk in pks
            ]
        )
        result[key] = (len(added_pks), len(removed_pks))
    return result
