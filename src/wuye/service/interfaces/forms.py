"""Forms of the service pages: every input from a page passes through one of these."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from wuye.core.money import decimal_to_fen
from wuye.core.uploads import ACCEPT_IMAGES
from wuye.households.interfaces.forms import PhoneField
from wuye.service.enums import Period, RequestChannel, RequestType, ReturnVisitResult
from wuye.service.validators import MAX_PHOTOS

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several files in one input; each is checked by content in the domain (``request_submit``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": ACCEPT_IMAGES}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(item, initial) for item in data]
        return [one(data, initial)] if data else []


class StaffRequestForm(forms.Form):
    """A request entered by staff for a caller or a visitor (the household is chosen before)."""

    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[
            (RequestChannel.PHONE, RequestChannel.PHONE.label),
            (RequestChannel.WALK_IN, RequestChannel.WALK_IN.label),
        ],
    )
    type = forms.ChoiceField(label=_("Type"), choices=RequestType.choices)
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    person = forms.TypedChoiceField(label=_("Requester"), coerce=int, required=False, empty_value=None)
    room = forms.TypedChoiceField(
        label=_("Where"), coerce=int, required=False, empty_value=None, help_text=_("Or a common area below.")
    )
    building = forms.TypedChoiceField(label=_("Building"), coerce=int, required=False, empty_value=None)
    location_text = forms.CharField(
        label=_("Common area"),
        max_length=100,
        required=False,
        help_text=_("e.g. 3栋 电梯, 东门, 地下车库 B2"),
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    preferred_time = forms.DateTimeField(label=_("Preferred visit time"), required=False, widget=DATETIME)
    contact_name = forms.CharField(label=_("Contact name"), max_length=40, required=False)
    contact_phone = PhoneField(label=_("Contact phone"), max_length=20, required=False)
    photos = PhotosField(label=_("Photos"), required=False)

    def __init__(self, *args, categories, people=(), rooms=(), buildings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].help_text = gettext("JPEG, PNG, WebP or GIF, at most %(n)s") % {"n": MAX_PHOTOS}
        self.fields["category"].choices = [
            (c.pk, f"— {c.name}" if c.parent_id else c.name) for c in categories
        ]
        self.fields["person"].choices = [("", _("— nobody in particular —"))] + [
            (p.pk, f"{p.name} {p.phone}".strip()) for p in people
        ]
        self.fields["room"].choices = [("", _("— a common area —"))] + [(r.pk, str(r)) for r in rooms]
        self.fields["building"].choices = [("", "—")] + [(b.pk, b.name) for b in buildings]
        if not people:
            del self.fields["person"]
        if not rooms:
            del self.fields["room"]

    def clean(self):
        data = super().clean()
        if not data.get("room") and not data.get("building") and not data.get("location_text"):
            self.add_error(
                "location_text", _("Say where: a room of the household, or a place in the community.")
            )
        return data


class FindHouseholdForm(forms.Form):
    find = forms.CharField(
        label=_("Room or phone"), max_length=40, help_text=_("Room number, 1栋-1单元-101, or a phone number")
    )


class ActionForm(forms.Form):
    action = forms.CharField(max_length=12)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    assignee = forms.IntegerField(required=False)


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    internal = forms.BooleanField(
        label=_("Internal note (the owner does not see it)"), required=False, initial=True
    )


class PhotoForm(forms.Form):
    photos = PhotosField(label=_("Photos"))


class ReturnVisitForm(forms.Form):
    result = forms.ChoiceField(label=_("Result"), choices=ReturnVisitResult.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ChargeForm(forms.Form):
    """The charge is typed in yuan with two decimals and stored in fen (Decimal, never float)."""

    amount = forms.DecimalField(
        label=_("Charge (yuan)"), min_value=Decimal(0), max_digits=10, decimal_places=2
    )
    note = forms.CharField(label=_("What for"), max_length=200, required=False)

    def amount_fen(self) -> int:
        return decimal_to_fen(self.cleaned_data["amount"])


class CategoryForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("not a person", "Name"), max_length=40)
    parent = forms.TypedChoiceField(label=_("Parent category"), coerce=int, required=False, empty_value=None)
    response_minutes = forms.IntegerField(label=_("Response deadline (minutes)"), min_value=1, initial=30)
    completion_hours = forms.IntegerField(label=_("Completion deadline (hours)"), min_value=1, initial=24)
    team = forms.TypedChoiceField(label=_("Default team"), coerce=int, required=False, empty_value=None)
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, roots, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("— top level —"))] + [(c.pk, c.name) for c in roots]
        self.fields["team"].choices = [("", _("— none (the parent's) —"))] + [(t.pk, t.name) for t in teams]


class TeamForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("not a person", "Name"), max_length=40)
    members = forms.TypedMultipleChoiceField(
        label=_("Members"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("New requests go to the members in turn, in this order."),
    )

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [(u.pk, u.get_full_name() or u.username) for u in staff]


class SettingsForm(forms.Form):
    auto_close_days = forms.IntegerField(
        label=_("Close unrated requests after (days)"), min_value=1, max_value=365
    )
    auto_assign = forms.BooleanField(
        label=_("Assign new requests automatically"),
        required=False,
        help_text=_("Accept each new request and hand it to the next member of its category's team."),
    )


class PerformanceForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=Period.choices, initial=Period.WEEK, required=False)
    day = forms.DateField(label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
