from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from wuye.estate.enums import RoomState, RoomUse


class BuildingForm(forms.Form):
    name = forms.CharField(label=_("Building"), max_length=40, help_text=_("e.g. 1栋"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class RoomsGenerateForm(forms.Form):
    units = forms.IntegerField(label=_("Units"), min_value=1, max_value=50, initial=1)
    floors = forms.IntegerField(label=_("Floors"), min_value=1, max_value=200, initial=6)
    rooms_per_floor = forms.IntegerField(label=_("Rooms per floor"), min_value=1, max_value=50, initial=2)
    built_area = forms.DecimalField(
        label=_("Built-up area (m²)"), max_digits=9, decimal_places=2, min_value=Decimal("0.01")
    )
    inner_area = forms.DecimalField(
        label=_("Inner area (m²)"), max_digits=9, decimal_places=2, min_value=Decimal(0)
    )
    use = forms.ChoiceField(label=_("Use"), choices=RoomUse.choices)

    def clean(self):
        data = super().clean()
        inner, built = data.get("inner_area"), data.get("built_area")
        if inner is not None and built is not None and inner > built:
            self.add_error("inner_area", _("The inner area cannot be larger than the built-up area."))
        return data


class RoomForm(forms.Form):
    floor = forms.IntegerField(label=_("Floor"), min_value=-10, max_value=200)
    built_area = forms.DecimalField(
        label=_("Built-up area (m²)"), max_digits=9, decimal_places=2, min_value=Decimal(0)
    )
    inner_area = forms.DecimalField(
        label=_("Inner area (m²)"), max_digits=9, decimal_places=2, min_value=Decimal(0)
    )
    use = forms.ChoiceField(label=_("Use"), choices=RoomUse.choices)
    state = forms.ChoiceField(label=_("State"), choices=RoomState.choices)

    def clean(self):
        data = super().clean()
        inner, built = data.get("inner_area"), data.get("built_area")
        if inner is not None and built is not None and inner > built:
            self.add_error("inner_area", _("The inner area cannot be larger than the built-up area."))
        return data
