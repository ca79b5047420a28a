"""Forms of the owner portal: every input of a portal page passes through one of these."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wuye.core.models import Community
from wuye.core.uploads import ACCEPT_IMAGES
from wuye.owners.enums import Language
from wuye.owners.validators import normalise_phone, validate_code, validate_last_four, validate_mobile

# The portal accepts fewer photos than the service desk's limit: four fill a phone screen.
PORTAL_MAX_PHOTOS = 4

PHONE_ATTRS = {
    "inputmode": "numeric",
    "autocomplete": "tel",
    "placeholder": "139 1234 5678",
    "maxlength": "20",
}
CODE_ATTRS = {
    "inputmode": "numeric",
    "autocomplete": "one-time-code",
    "pattern": "[0-9]{6}",
    "maxlength": "6",
}


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"), max_length=20, widget=forms.TextInput(attrs=PHONE_ATTRS)
    )

    def clean_phone(self) -> str:
        phone = normalise_phone(self.cleaned_data["phone"])
        validate_mobile(phone)
        return phone


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=6, widget=forms.TextInput(attrs=CODE_ATTRS))

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        validate_code(code)
        return code


class BindForm(forms.Form):
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Community.objects.order_by("company__name", "name"), empty_label=None
    )
    building = forms.CharField(
        label=_("Building"), max_length=40, widget=forms.TextInput(attrs={"placeholder": "1栋"})
    )
    unit = forms.CharField(
        label=_("Unit"), max_length=40, widget=forms.TextInput(attrs={"placeholder": "1单元"})
    )
    number = forms.CharField(
        label=_("Room number"), max_length=20, widget=forms.TextInput(attrs={"placeholder": "101"})
    )
    name = forms.CharField(
        label=_("Registered name"), max_length=40, help_text=_("The name on the property deed or lease.")
    )
    last_four = forms.CharField(
        label=_("Last four digits"),
        max_length=4,
        help_text=_("Of that person's ID number or of the phone number the office has."),
        validators=[validate_last_four],
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": "4"}),
    )


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input; each is checked by its content and size in the service domain."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": ACCEPT_IMAGES}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        photos = (
            [one(item, initial) for item in data]
            if isinstance(data, list | tuple)
            else ([one(data)] if data else [])
        )
        if len(photos) > PORTAL_MAX_PHOTOS:
            raise ValidationError(_("At most %(n)s photos."), params={"n": PORTAL_MAX_PHOTOS})
        return photos


class RequestForm(forms.Form):
    WHERE_ROOM = "room"
    WHERE_COMMON = "common"

    type = forms.ChoiceField(label=_("What is it?"))
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    where = forms.ChoiceField(
        label=_("Where?"),
        choices=[(WHERE_ROOM, _("In my home")), (WHERE_COMMON, _("A common area"))],
        widget=forms.RadioSelect,
        initial=WHERE_ROOM,
    )
    room = forms.TypedChoiceField(label=_("Room"), coerce=int, required=False)
    building = forms.TypedChoiceField(label=_("Building"), coerce=int, required=False, empty_value=None)
    location_text = forms.CharField(
        label=_("Place"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. lift of unit 2, the east gate")}),
    )
    description = forms.CharField(
        label=_("Description"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    photos = PhotosField(
        label=_("Photos"), required=False, help_text=_("Up to 4 photos: JPEG, PNG, WebP or GIF.")
    )
    preferred_time = forms.DateTimeField(
        label=_("Preferred visit time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, types, categories, rooms, buildings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = types
        grouped = []
        for root, children in categories:
            if children:
                grouped.append((root.name, [(child.pk, child.name) for child in children]))
            else:
                grouped.append((root.pk, root.name))
        self.fields["category"].choices = grouped
        self.fields["room"].choices = [(room.pk, str(room)) for room in rooms]
        self.fields["building"].choices = [("", _("Whole community"))] + [(b.pk, b.name) for b in buildings]
        if not rooms:
            self.fields["where"].initial = self.WHERE_COMMON

    def clean(self):
        data = super().clean()
        if data.get("where") == self.WHERE_ROOM and not data.get("room"):
            self.add_error("room", _("Choose the room."))
        if data.get("where") == self.WHERE_COMMON and not (data.get("location_text") or "").strip():
            self.add_error("location_text", _("Say where in the community."))
        return data


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class RateForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Rating"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"), max_length=40, required=False, help_text=_("How the office addresses you.")
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    email = forms.EmailField(
        label=_("Email"), required=False, help_text=_("Optional: receive messages by email as well.")
    )


class SignupForm(forms.Form):
    person = forms.TypedChoiceField(label=_("Who takes part?"), coerce=int)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(person.pk, person.name) for person in people]
