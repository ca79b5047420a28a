"""Console forms of parking: a car park and its rate, a space, a gate, a space's holder, a blocked plate."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wuye.core.references import key_reference_clean
from wuye.parking.models import Gate, ParkingArea, ParkingSpace


class AreaForm(forms.ModelForm):
    class Meta:
        model = ParkingArea
        fields = [
            "name",
            "temporary_capacity",
            "free_minutes",
            "unit_minutes",
            "day_unit_fen",
            "night_unit_fen",
            "night_starts",
            "night_ends",
            "daily_cap_fen",
            "grace_minutes",
            "is_active",
        ]
        widgets = {
            "night_starts": forms.TimeInput(attrs={"type": "time"}),
            "night_ends": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.community = community

    def clean_unit_minutes(self):
        value = self.cleaned_data["unit_minutes"]
        if value < 5:
            raise forms.ValidationError(_("A charging unit is at least 5 minutes."))
        return value


class SpaceForm(forms.ModelForm):
    class Meta:
        model = ParkingSpace
        fields = ["number", "kind"]

    def __init__(self, *args, area, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.area, self.instance.community = area, area.community

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        if (
            ParkingSpace.objects.filter(area=self.instance.area, number=number)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise forms.ValidationError(_("This car park has a space with this number already."))
        return number


class GateForm(forms.ModelForm):
    class Meta:
        model = Gate
        fields = ["name", "direction", "device_id", "key_ref", "is_active"]
        help_texts = {
            "key_ref": _(
                "Where the device's key is: file:NAME in the secrets folder, or env:NAME; never the key."
            ),
        }

    def __init__(self, *args, area, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.area, self.instance.community = area, area.community

    def clean_key_ref(self):
        return key_reference_clean(self.cleaned_data["key_ref"], required=True)


class AssignForm(forms.Form):
    room = forms.CharField(
        label=_("Household's room"), max_length=60, help_text=_("As printed, e.g. 1栋-1单元-101.")
    )
    plates = forms.CharField(
        label=_("Plates parking here"),
        max_length=200,
        required=False,
        help_text=_("Of the household's vehicles, separated by commas; empty: all of them."),
    )
    starts_on = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class BlockForm(forms.Form):
    plate = forms.CharField(label=_("Plate"), max_length=12)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
