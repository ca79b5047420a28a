"""Writing the household archive. Every change is logged with its household (the timeline)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import diff, log_action, log_bulk, register_actions, register_field_labels, snapshot
from wuye.core.models import AuditLog, Community
from wuye.core.uploads import DOCUMENTS, UploadRefusedError, upload_check
from wuye.estate.models import Room
from wuye.households.domain.tagrules import tags_refresh
from wuye.households.enums import PersonKind, TagColour
from wuye.households.models import (
    Document,
    EmergencyContact,
    Household,
    HouseholdRoom,
    HouseholdTag,
    Person,
    Tag,
    TagGroup,
    Vehicle,
)
from wuye.households.signals import people_left

register_actions(
    {
        "households.household.created": gettext_lazy("Household created"),
        "households.household.changed": gettext_lazy("Household changed"),
        "households.room.bound": gettext_lazy("Room bound"),
        "households.room.unbound": gettext_lazy("Room unbound"),
        "households.person.added": gettext_lazy("Person added"),
        "households.person.changed": gettext_lazy("Person changed"),
        "households.person.removed": gettext_lazy("Person removed"),
        "households.vehicle.added": gettext_lazy("Vehicle added"),
        "households.vehicle.removed": gettext_lazy("Vehicle removed"),
        "households.contact.added": gettext_lazy("Emergency contact added"),
        "households.contact.removed": gettext_lazy("Emergency contact removed"),
        "households.document.added": gettext_lazy("Document uploaded"),
        "households.document.removed": gettext_lazy("Document removed"),
        "households.tag.created": gettext_lazy("Tag created"),
        "households.tag.changed": gettext_lazy("Tag changed"),
        "households.tag.deleted": gettext_lazy("Tag deleted"),
        "households.taggroup.created": gettext_lazy("Tag group created"),
    }
)

register_field_labels(
    {
        "name": gettext_lazy("name"),
        "notes": gettext_lazy("notes"),
        "room": gettext_lazy("room"),
        "kind": (gettext_lazy("kind"), PersonKind),
        "phone": gettext_lazy("phone"),
        "relation": gettext_lazy("relation"),
        "moved_in_on": gettext_lazy("moved in"),
        "moved_out_on": gettext_lazy("moved out"),
        "id_number": gettext_lazy("ID number"),
        "plate": gettext_lazy("plate"),
        "model": gettext_lazy("model"),
        "title": gettext_lazy("title"),
        "size": gettext_lazy("size (bytes)"),
        "tag": gettext_lazy("tag"),
        "colour": (gettext_lazy("colour"), TagColour),
        "group": gettext_lazy("group"),
        "description": gettext_lazy("description"),
        "households": gettext_lazy("households"),
    }
)

HOUSEHOLD_FIELDS = ("name", "notes")
PERSON_FIELDS = ("kind", "name", "phone", "relation", "moved_in_on", "moved_out_on")


class ArchiveError(Exception):
    """A refused archive change; the message is translated and shown to the user."""


def _person_changes(person: Person) -> dict:
    data = snapshot(person, PERSON_FIELDS)
    data["id_number"] = person.id_number_masked
    return data


@transaction.atomic
def household_create(
    *, community: Community, name: str, rooms: list[Room] = (), notes: str = "", actor
) -> Household:
    household = Household.objects.create(community=community, name=name.strip(), notes=notes)
    log_action(
        "households.household.created",
        actor=actor,
        obj=household,
        household_id=household.pk,
        changes=snapshot(household, HOUSEHOLD_FIELDS),
    )
    for room in rooms:
        household_bind_room(household=household, room=room, actor=actor, refresh=False)
    tags_refresh(community=community)
    return household


@transaction.atomic
def household_update(*, household: Household, actor, **values) -> Household:
    before = snapshot(household, HOUSEHOLD_FIELDS)
    for key, value in values.items():
        if key not in HOUSEHOLD_FIELDS:
            raise ValueError(key)
        setattr(household, key, value)
    changes = diff(before, snapshot(household, HOUSEHOLD_FIELDS))
    if changes:
        household.save()
        log_action(
            "households.household.changed",
            actor=actor,
            obj=household,
            household_id=household.pk,
            changes=changes,
        )
    return household


@transaction.atomic
def household_bind_room(*, household: Household, room: Room, actor, refresh: bool = True) -> HouseholdRoom:
    if room.community_id != household.community_id:
        raise ArchiveError(_("The room is in another community."))
    holder = HouseholdRoom.objects.filter(room=room).select_related("household").first()
    if holder is not None:
        if holder.household_id == household.pk:
            return holder
        raise ArchiveError(
            _("Room %(room)s already belongs to household %(household)s.")
            % {"room": room, "household": holder.household}
        )
    link = HouseholdRoom.objects.create(community_id=household.community_id, household=household, room=room)
    log_action(
        "households.room.bound",
        actor=actor,
        obj=household,
        household_id=household.pk,
        changes={"room": str(room)},
    )
    if refresh:
        tags_refresh(community=household.community)
    return link


@transaction.atomic
def household_unbind_room(*, household: Household, room: Room, actor) -> None:
    deleted, _rows = HouseholdRoom.objects.filter(household=household, room=room).delete()
    if deleted:
        log_action(
            "households.room.unbound",
            actor=actor,
            obj=household,
            household_id=household.pk,
            changes={"room": str(room)},
        )
        tags_refresh(community=household.community)


@transaction.atomic
def person_add(*, household: Household, actor, id_number: str = "", **values) -> Person:
    person = Person(
        community_id=household.community_id, household=household, id_number=id_number.upper(), **values
    )
    person.full_clean(exclude=["community", "household"])
    person.save()
    log_action(
        "households.person.added",
        actor=actor,
        obj=person,
        household_id=household.pk,
        changes=_person_changes(person),
    )
    return person


@transaction.atomic
def person_update(*, person: Person, actor, **values) -> Person:
    before = _person_changes(person)
    for key, value in values.items():
        if key not in (*PERSON_FIELDS, "id_number"):
            raise ValueError(key)
        setattr(person, key, value.upper() if key == "id_number" else value)
    person.full_clean(exclude=["community", "household"])
    changes = diff(before, _person_changes(person))
    if changes:
        person.save()
        log_action(
            "households.person.changed",
            actor=actor,
            obj=person,
            household_id=person.household_id,
            changes=changes,
        )
        if before["moved_out_on"] is None and person.moved_out_on is not None:
            people_left.send(
                sender=Person, community_id=person.community_id, person_pks=[person.pk], actor=actor
            )
    return person


@transaction.atomic
def person_remove(*, person: Person, actor) -> None:
    people_left.send(sender=Person, community_id=person.community_id, person_pks=[person.pk], actor=actor)
    log_action(
        "households.person.removed",
        actor=actor,
        obj=person,
        household_id=person.household_id,
        changes=_person_changes(person),
    )
    person.delete()


@transaction.atomic
def vehicle_add(*, household: Household, plate: str, model: str = "", actor) -> Vehicle:
    plate = plate.strip().upper()
    try:
        with transaction.atomic():
            vehicle = Vehicle.objects.create(
                community_id=household.community_id, household=household, plate=plate, model=model
            )
    except IntegrityError:
        raise ArchiveError(
            _("Plate %(plate)s is already registered in this community.") % {"plate": plate}
        ) from None
    log_action(
        "households.vehicle.added",
        actor=actor,
        obj=vehicle,
        household_id=household.pk,
        changes={"plate": plate, "model": model},
    )
    return vehicle


@transaction.atomic
def vehicle_remove(*, vehicle: Vehicle, actor) -> None:
    log_action(
        "households.vehicle.removed",
        actor=actor,
        obj=vehicle,
        household_id=vehicle.household_id,
        changes={"plate": vehicle.plate},
    )
    vehicle.delete()


@transaction.atomic
def contact_add(
    *, household: Household, name: str, phone: str, relation: str = "", actor
) -> EmergencyContact:
    contact = EmergencyContact.objects.create(
        community_id=household.community_id, household=household, name=name, phone=phone, relation=relation
    )
    log_action(
        "households.contact.added",
        actor=actor,
        obj=contact,
        household_id=household.pk,
        changes={"name": name, "phone": phone, "relation": relation},
    )
    return contact


@transaction.atomic
def contact_remove(*, contact: EmergencyContact, actor) -> None:
    log_action(
        "households.contact.removed",
        actor=actor,
        obj=contact,
        household_id=contact.household_id,
        changes={"name": contact.name},
    )
    contact.delete()


def document_add(*, household: Household, kind: str, title: str, upload, actor) -> Document:
    """Store an uploaded document once its content proves its type (``wuye.core.uploads``).

    A PDF is kept as it is, an image is decoded and written again (before the transaction opens:
    SQLite takes its write lock at BEGIN); the client's file name is only the default title (shown
    escaped), never the stored name. A refusal stores nothing.
    """
    try:
        checked = upload_check(upload, accept=DOCUMENTS, max_bytes=settings.UPLOAD_MAX_BYTES)
    except UploadRefusedError as error:
        raise ValidationError(str(error)) from None
    with transaction.atomic():
        document = Document.objects.create(
            community_id=household.community_id,
            household=household,
            kind=kind,
            title=(title or checked.original_name)[:100],
            file=checked.as_file(),
            content_type=checked.content_type,
            size=checked.size,
            uploaded_by=actor,
        )
        log_action(
            "households.document.added",
            actor=actor,
            obj=document,
            household_id=household.pk,
            changes={"title": document.title, "kind": kind, "size": checked.size},
        )
    return document


@transaction.atomic
def document_remove(*, document: Document, actor) -> None:
    """Delete a document and, once that is committed, its file. A document another record keeps as
    its evidence (a debit mandate's signed form) is refused, and its file stays."""
    log_action(
        "households.document.removed",
        actor=actor,
        obj=document,
        household_id=document.household_id,
        changes={"title": document.title},
    )
    stored = document.file
    try:
        document.delete()
    except ProtectedError:
        raise ValidationError(
            _(
                "This document is the evidence of another record (such as a debit mandate) and cannot be deleted."
            )
        ) from None
    transaction.on_commit(lambda: stored.delete(save=False))


def _tag_links_log(tag: Tag, household_pks: list[int], action: str, actor) -> None:
    log_bulk(
        [
            AuditLog(
                community_id=tag.community_id,
                actor=actor,
                action=action,
                object_type="households.tag",
                object_pk=tag.pk,
                object_repr=tag.name,
                household_id=pk,
                changes={"tag": tag.name},
            )
            for pk in household_pks
        ]
    )


@transaction.atomic
def tags_apply(*, tag: Tag, households, actor) -> int:
    """Put a manual tag on every household of a queryset (a filter's results) at once. Returns how many."""
    if tag.is_system:
        raise ArchiveError(_("System tags are set by their rule and cannot be applied by hand."))
    pks = list(
        households.filter(community_id=tag.community_id)
        .exclude(pk__in=HouseholdTag.objects.filter(tag=tag).values("household_id"))
        .values_list("pk", flat=True)
    )
    HouseholdTag.objects.bulk_create(
        [
            HouseholdTag(community_id=tag.community_id, household_id=pk, tag=tag, created_by=actor)
            for pk in pks
        ],
        batch_size=1000,
    )
    _tag_links_log(tag, pks, "households.tag.applied", actor)
    return len(pks)


@transaction.atomic
def tags_remove(*, tag: Tag, households, actor) -> int:
    if tag.is_system:
        raise ArchiveError(_("System tags are set by their rule and cannot be removed by hand."))
    links = HouseholdTag.objects.filter(tag=tag, household__in=households.values("pk"))
    pks = list(links.values_list("household_id", flat=True))
    links.delete()
    _tag_links_log(tag, pks, "households.tag.removed", actor)
    return len(pks)


TAG_FIELDS = ("name", "colour", "group", "description")


@transaction.atomic
def tag_create(
    *,
    community: Community,
    name: str,
    colour: str,
    group: TagGroup | None = None,
    description: str = "",
    actor,
) -> Tag:
    name = name.strip()
    if Tag.objects.filter(community=community, name=name).exists():
        raise ArchiveError(_("Tag %(name)s already exists.") % {"name": name})
    tag = Tag.objects.create(
        community=community, name=name, colour=colour, group=group, description=description
    )
    log_action("households.tag.created", actor=actor, obj=tag, changes=snapshot(tag, TAG_FIELDS))
    return tag


@transaction.atomic
def tag_update(*, tag: Tag, actor, **values) -> Tag:
    before = snapshot(tag, TAG_FIELDS)
    for key, value in values.items():
        if key not in TAG_FIELDS:
            raise ValueError(key)
        setattr(tag, key, value)
    if Tag.objects.filter(community_id=tag.community_id, name=tag.name).exclude(pk=tag.pk).exists():
        raise ArchiveError(_("Tag %(name)s already exists.") % {"name": tag.name})
    changes = diff(before, snapshot(tag, TAG_FIELDS))
    if changes:
        tag.save()
        log_action("households.tag.changed", actor=actor, obj=tag, changes=changes)
    return tag


@transaction.atomic
def tag_delete(*, tag: Tag, actor) -> None:
    if tag.is_system:
        raise ArchiveError(_("System tags cannot be deleted."))
    pks = list(tag.household_links.values_list("household_id", flat=True))
    _tag_links_log(tag, pks, "households.tag.removed", actor)
    log_action(
        "households.tag.deleted", actor=actor, obj=tag, changes={"name": tag.name, "households": len(pks)}
    )
    tag.delete()


@transaction.atomic
def taggroup_create(*, community: Community, name: str, position: int = 0, actor) -> TagGroup:
    group, created = TagGroup.objects.get_or_create(
        community=community, name=name.strip(), defaults={"position": position}
    )
    if created:
        log_action("households.taggroup.created", actor=actor, obj=group, changes={"name": group.name})
    return group
