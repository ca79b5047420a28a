"""Forms of the access pages (console and portal): every input from a page passes through one of these."""

from __future__ import annotations

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from wuye.access.enums import CredentialKind, EventResult, RuleSubject
from wuye.access.models import Door, DoorGroup
from wuye.access.validators import PASS_MAX_USES
from wuye.core.enums import Role
from wuye.core.references import key_reference_clean
from wuye.estate.models import Building
from wuye.households.interfaces.forms import PhoneField

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
WEEKDAY_CHOICES = [(str(number + 1), name) for number, name in WEEKDAYS.items()]


class DoorForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40, help_text=_("e.g. 东门, 1栋 1单元"))
    building = forms.ModelChoiceField(
        label=_("Building"),
        queryset=Building.objects.none(),
        required=False,
        empty_label=_("— a gate of the estate —"),
    )
    device_id = forms.RegexField(
        label=_("Device id"),
        max_length=40,
        regex=r"^[0-9A-Za-z_.-]+$",
        help_text=_("The id set on the device: letters, digits, “-”, “_” and “.”."),
    )
    key_ref = forms.CharField(
        label=_("Device key"),
        max_length=300,
        help_text=_("Where the device's shared key is: file:NAME (in the secrets folder) or env:NAME."),
    )
    is_active = forms.BooleanField(label=_("In service"), required=False, initial=True)

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.filter(community=community).order_by("name")

    def clean_key_ref(self):
        return key_reference_clean(self.cleaned_data["key_ref"], required=True)


class DoorGroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40)
    doors = forms.ModelMultipleChoiceField(
        label=_("Doors"), queryset=Door.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doors"].queryset = Door.objects.filter(community=community).order_by("name")


class RuleForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Door group"), queryset=DoorGroup.objects.none())
    subject = forms.ChoiceField(label=_("Who"), choices=RuleSubject.choices)
    building = forms.ModelChoiceField(label=_("Building"), queryset=Building.objects.none(), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=[("", "—"), *Role.choices], required=False)
    weekdays = forms.MultipleChoiceField(
        label=_("Weekdays"),
        choices=WEEKDAY_CHOICES,
        initial=[value for value, _label in WEEKDAY_CHOICES],
        widget=forms.CheckboxSelectMultiple,
    )
    starts_at = forms.TimeField(label=_("From"), initial="00:00", widget=TIME)
    ends_at = forms.TimeField(label=_("Until"), initial="23:59", widget=TIME)

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = DoorGroup.objects.filter(community=community).order_by("name")
        self.fields["building"].queryset = Building.objects.filter(community=community).order_by("name")


class CredentialForm(forms.Form):
    """A credential for a resident of the household (``people``) or a staff member (``staff``)."""

    holder = forms.TypedChoiceField(label=_("For"), coerce=int)
    kind = forms.ChoiceField(label=_("Kind"), choices=CredentialKind.choices)
    value = forms.CharField(
        label=_("Card number or face id"),
        max_length=64,
        required=False,
        help_text=_("Empty for a QR code: a random code is drawn."),
    )
    valid_from = forms.DateTimeField(label=_("Valid from"), required=False, widget=DATETIME)
    valid_until = forms.DateTimeField(label=_("Valid until"), required=False, widget=DATETIME)

    def __init__(self, *args, holders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder"].choices = holders


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class EventFilterForm(forms.Form):
    door = forms.ModelChoiceField(label=_("Door"), queryset=Door.objects.none(), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE)
    result = forms.ChoiceField(
        label=_("Result"), choices=[("", _("All")), *EventResult.choices], required=False
    )

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["door"].queryset = Door.objects.filter(community=community).order_by("name")


class VisitorPassForm(forms.Form):
    """The owner's form in the portal."""

    visitor_name = forms.CharField(label=_("Visitor's name"), max_length=40)
    visitor_phone = PhoneField(label=_("Visitor's phone"), max_length=20, required=False)
    valid_from = forms.DateTimeField(label=_("Valid from"), widget=DATETIME)
    valid_until = forms.DateTimeField(label=_("Valid until"), widget=DATETIME)
    max_uses = forms.IntegerField(
        label=_("Uses"),
        min_value=1,
        max_value=PASS_MAX_USES,
        initial=1,
        help_text=_("How many times the code opens a door."),
    )
