"""Forms of the notices pages: every input passes through one of these."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wuye.estate.models import Building
from wuye.households.models import Tag
from wuye.notices.enums import Audience

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}))
    audience = forms.ChoiceField(
        label=_("For"), choices=Audience.choices, widget=forms.RadioSelect, initial=Audience.COMMUNITY
    )
    buildings = forms.ModelMultipleChoiceField(
        label=_("Buildings"),
        queryset=Building.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"), queryset=Tag.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    pinned = forms.BooleanField(label=_("Pinned"), required=False)
    urgent = forms.BooleanField(
        label=_("Urgent"), required=False, help_text=_("e.g. a water or power outage")
    )
    expires_at = forms.DateTimeField(label=_("Expires at"), required=False, widget=DATETIME)

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buildings"].queryset = Building.objects.filter(community=community)
        self.fields["tags"].queryset = Tag.objects.filter(community=community)

    def clean(self):
        data = super().clean()
        audience = data.get("audience")
        if audience == Audience.BUILDINGS and not data.get("buildings"):
            self.add_error("buildings", _("Choose at least one building."))
        if audience == Audience.TAGS and not data.get("tags"):
            self.add_error("tags", _("Choose at least one tag."))
        return data


class ScheduleForm(forms.Form):
    publish_at = forms.DateTimeField(label=_("Publish at"), widget=DATETIME)


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    place = forms.CharField(label=_("Place"), max_length=100)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends at"), required=False, widget=DATETIME)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=100000)
    signup_deadline = forms.DateTimeField(label=_("Sign-up deadline"), widget=DATETIME)

    def clean(self):
        data = super().clean()
        starts_at, ends_at, deadline = data.get("starts_at"), data.get("ends_at"), data.get("signup_deadline")
        if starts_at and deadline and deadline > starts_at:
            self.add_error("signup_deadline", _("Sign-up closes before the activity starts."))
        if starts_at and ends_at and ends_at < starts_at:
            self.add_error("ends_at", _("The activity ends after it starts."))
        return data
