from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PersonKind(models.TextChoices):
    OWNER = "owner", _("Owner")
    FAMILY = "family", _("Family member")
    TENANT = "tenant", _("Tenant")


class DocumentKind(models.TextChoices):
    DEED = "deed", _("Property deed")
    CONTRACT = "contract", pgettext_lazy("document", "Contract")
    ID_COPY = "id_copy", _("ID copy")
    OTHER = "other", pgettext_lazy("document", "Other")


class TagKind(models.TextChoices):
    MANUAL = "manual", _("Manual")
    SYSTEM = "system", _("System (set by rule)")


class TagColour(models.TextChoices):
    GREY = "grey", _("Grey")
    RED = "red", _("Red")
    ORANGE = "orange", _("Orange")
    GREEN = "green", _("Green")
    BLUE = "blue", _("Blue")
    PURPLE = "purple", _("Purple")


class ImportState(models.TextChoices):
    PREVIEWED = "previewed", _("Previewed")
    APPLIED = "applied", _("Applied")
    REFUSED = "refused", _("Refused")
