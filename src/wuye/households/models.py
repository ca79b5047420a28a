"""The household archive (一户一档): households, people, vehicles, contacts, documents and tags."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wuye.core.crypto import EncryptedTextField, mask
from wuye.core.models import Community, TenantQuerySet
from wuye.core.uploads import stored_name
from wuye.estate.models import Room
from wuye.households.enums import DocumentKind, ImportState, PersonKind, TagColour, TagKind


class Household(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="households")
    name = models.CharField(_("household name"), max_length=60, help_text=_("usually the main owner's name"))
    rooms = models.ManyToManyField(Room, through="HouseholdRoom", related_name="households")
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class HouseholdRoom(models.Model):
    """A room belongs to at most one household at a time; a household may hold several rooms."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="room_links")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="household_links")
    since = models.DateField(_("since"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("room of a household")
        verbose_name_plural = _("rooms of households")
        constraints = [models.UniqueConstraint(fields=["room"], name="householdroom_one_household_per_room")]

    def __str__(self) -> str:
        return f"{self.household} · {self.room}"


class Person(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="people")
    kind = models.CharField(_("kind"), max_length=10, choices=PersonKind.choices, default=PersonKind.OWNER)
    name = models.CharField(_("name"), max_length=40)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    # Stored encrypted; shown masked. The last four digits are kept apart for identity checks.
    id_number = EncryptedTextField(_("ID number"), blank=True)
    relation = models.CharField(_("relation"), max_length=20, blank=True, help_text=_("e.g. spouse, son"))
    moved_in_on = models.DateField(_("moved in"), null=True, blank=True)
    moved_out_on = models.DateField(_("moved out"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["household", "kind", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(moved_out_on__isnull=True)
                | models.Q(moved_in_on__isnull=True)
                | models.Q(moved_out_on__gte=models.F("moved_in_on")),
                name="person_moves_in_before_out",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        return mask(self.id_number or "")

    @property
    def phone_masked(self) -> str:
        return mask(self.phone or "", keep_start=3, keep_end=4)


class Vehicle(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="vehicles")
    plate = models.CharField(_("plate"), max_length=12)
    model = models.CharField(_("model"), max_length=40, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        constraints = [models.UniqueConstraint(fields=["community", "plate"], name="vehicle_unique_plate")]

    def __str__(self) -> str:
        return self.plate


class EmergencyContact(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="emergency_contacts")
    name = models.CharField(_("name"), max_length=40)
    phone = models.CharField(_("phone"), max_length=20)
    relation = models.CharField(_("relation"), max_length=20, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("emergency contact")
        verbose_name_plural = _("emergency contacts")

    def __str__(self) -> str:
        return self.name


def document_path(instance: Document, filename: str) -> str:
    """A generated name with the extension of the checked type: the client's name is never used."""
    return stored_name(f"households/{instance.community_id}/{instance.household_id}", instance.content_type)


class Document(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=10, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=100)
    file = models.FileField(_("file"), upload_to=document_path)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.title


class TagGroup(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="tag_groups")
    name = models.CharField(_("name"), max_length=30)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("tag group")
        verbose_name_plural = _("tag groups")
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="taggroup_unique_name")]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="tags")
    group = models.ForeignKey(TagGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="tags")
    name = models.CharField(_("name"), max_length=30)
    colour = models.CharField(_("colour"), max_length=10, choices=TagColour.choices, default=TagColour.BLUE)
    kind = models.CharField(_("kind"), max_length=10, choices=TagKind.choices, default=TagKind.MANUAL)
    # For system tags: the key of the rule in ``domain.tagrules`` that decides who carries the tag.
    rule = models.CharField(_("rule"), max_length=40, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["group__position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="tag_unique_name"),
            models.UniqueConstraint(
                fields=["community", "rule"], condition=~models.Q(rule=""), name="tag_unique_rule"
            ),
            models.CheckConstraint(
                condition=(models.Q(kind=TagKind.MANUAL) & models.Q(rule=""))
                | (models.Q(kind=TagKind.SYSTEM) & ~models.Q(rule="")),
                name="tag_system_has_rule",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_system(self) -> bool:
        return self.kind == TagKind.SYSTEM


class HouseholdTag(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="household_links")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("household tag")
        verbose_name_plural = _("household tags")
        constraints = [models.UniqueConstraint(fields=["household", "tag"], name="householdtag_unique")]
        indexes = [models.Index(fields=["tag", "household"], name="householdtag_tag_household")]

    def __str__(self) -> str:
        return f"{self.household} · {self.tag}"


class SavedFilter(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=40)
    query = models.CharField(_("filter"), max_length=1000)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "user", "name"], name="savedfilter_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ImportBatch(models.Model):
    """An uploaded Excel file, its preview report, and whether it was applied."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file_name = models.CharField(_("file name"), max_length=200)
    content = models.BinaryField()
    state = models.CharField(
        _("state"), max_length=10, choices=ImportState.choices, default=ImportState.PREVIEWED
    )
    report = models.JSONField(_("report"), default=dict)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name
