"""Forms of the archive: every input from a page passes through one of these."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wuye.core.uploads import ACCEPT_DOCUMENTS
from wuye.households.enums import DocumentKind, PersonKind, TagColour
from wuye.households.models import TagGroup
from wuye.households.validators import normalise_phone, validate_id_number, validate_phone, validate_plate


class PhoneField(forms.CharField):
    def to_python(self, value):
        return normalise_phone(super().to_python(value))

    def validate(self, value):
        super().validate(value)
        validate_phone(value)


class HouseholdForm(forms.Form):
    name = forms.CharField(label=_("Household name"), max_length=60)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea, required=False)


class HouseholdNewForm(HouseholdForm):
    room = forms.CharField(
        label=_("Room"), help_text=_("building-unit-room, e.g. 1栋-1单元-101"), required=False
    )
    owner_name = forms.CharField(label=_("Owner's name"), max_length=40, required=False)
    owner_phone = PhoneField(label=_("Owner's phone"), max_length=20, required=False)


class PersonForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PersonKind.choices)
    name = forms.CharField(label=_("Name"), max_length=40)
    phone = PhoneField(label=_("Phone"), max_length=20, required=False)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        required=False,
        validators=[validate_id_number],
        help_text=_("Stored encrypted and shown masked. Leave empty to keep the stored number."),
    )
    relation = forms.CharField(label=_("Relation"), max_length=20, required=False)
    moved_in_on = forms.DateField(
        label=_("Moved in"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    moved_out_on = forms.DateField(
        label=_("Moved out"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        moved_in, moved_out = data.get("moved_in_on"), data.get("moved_out_on")
        if moved_in and moved_out and moved_out < moved_in:
            self.add_error("moved_out_on", _("The move-out date is before the move-in date."))
        return data


class VehicleForm(forms.Form):
    plate = forms.CharField(label=_("Plate"), max_length=12, validators=[validate_plate])
    model = forms.CharField(label=_("Model"), max_length=40, required=False)


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40)
    phone = PhoneField(label=_("Phone"), max_length=20)
    relation = forms.CharField(label=_("Relation"), max_length=20, required=False)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    file = forms.FileField(
        label=_("File"),
        help_text=_("A PDF, or a JPEG, PNG, WebP or GIF image"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_DOCUMENTS}),
    )


class RoomBindForm(forms.Form):
    room = forms.CharField(label=_("Room"), help_text=_("building-unit-room, e.g. 1栋-1单元-101"))


class TagForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("not a person", "Name"), max_length=30)
    colour = forms.ChoiceField(label=_("Colour"), choices=TagColour.choices)
    group = forms.ModelChoiceField(label=_("Group"), queryset=TagGroup.objects.none(), required=False)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = TagGroup.objects.filter(community=community)


class TagGroupForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("not a person", "Name"), max_length=30)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=999, initial=0)


class SavedFilterForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("not a person", "Name"), max_length=40)
    query = forms.CharField(max_length=1000, required=False, widget=forms.HiddenInput)
