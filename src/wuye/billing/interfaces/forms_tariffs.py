"""Forms of the fee item, assignment, meter and reading pages: every input passes through one of these.

Amounts are typed in yuan and handed to the domain in fen; rates and prices stay Decimals. The forms
check what a form can (types, required fields); the domain checks the rest and says why.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wuye.billing.domain.queries_tariffs import GridRow, discount_approvers
from wuye.billing.enums import (
    Cycle,
    FeeCategory,
    LateFeeMethod,
    MeterKind,
    Method,
    RoundingMode,
    RoundingUnit,
    Timing,
)
from wuye.billing.models import FeeItem
from wuye.core.models import Community
from wuye.core.money import decimal_to_fen, fen_to_decimal
from wuye.estate.enums import RoomUse
from wuye.estate.models import Building
from wuye.households.models import Tag

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
YUAN = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal(0)}


def plain(value: Decimal | None) -> Decimal | None:
    """2.3500 → 2.35 and 100.0000 → 100 (never 1E+2), for a form field's initial value."""
    if value is None:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


# Fee items ------------------------------------------------------------------------------------------


class FeeItemForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("fee item", "Name"), max_length=40)
    category = forms.ChoiceField(label=_("Category"), choices=FeeCategory.choices)
    method = forms.ChoiceField(label=_("How it is computed"), choices=Method.choices)
    price = forms.DecimalField(
        label=_("Price (yuan)"),
        max_digits=12,
        decimal_places=4,
        min_value=Decimal(0),
        help_text=_(
            "Per m² a month (area), per room a month (fixed), per unit of usage (metered, when there are no tiers), or the one-off amount."
        ),
    )
    meter_kind = forms.ChoiceField(
        label=_("Meter"),
        choices=[("", "—"), *MeterKind.choices],
        required=False,
        help_text=_("Metered items only: which meters' usage is billed."),
    )
    cycle = forms.ChoiceField(label=_("Cycle"), choices=Cycle.choices, initial=Cycle.MONTHLY)
    timing = forms.ChoiceField(
        label=_("Billed"),
        choices=Timing.choices,
        initial=Timing.PREPAID,
        help_text=_("Metered items are postpaid: a month's usage is known only after it."),
    )
    due_day = forms.IntegerField(label=_("Due day of the month"), min_value=1, max_value=28, initial=15)
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE)
    valid_to = forms.DateField(label=_("Valid to"), widget=DATE, required=False)
    rounding_unit = forms.ChoiceField(
        label=_("Round"), choices=RoundingUnit.choices, initial=RoundingUnit.FEN
    )
    rounding_mode = forms.ChoiceField(
        label=_("Rounding"), choices=RoundingMode.choices, initial=RoundingMode.HALF_UP
    )
    late_fee_method = forms.ChoiceField(
        label=_("Late fee"), choices=[("", _("No late fee")), *LateFeeMethod.choices], required=False
    )
    late_fee_grace_days = forms.IntegerField(
        label=_("Grace days"), min_value=0, max_value=3650, initial=0, required=False
    )
    late_fee_rate_percent = forms.DecimalField(
        label=_("Daily rate (percent of the amount overdue)"),
        max_digits=8,
        decimal_places=4,
        min_value=Decimal(0),
        required=False,
        help_text=_("e.g. 0.05 for 0.05 % a day"),
    )
    late_fee_fixed_yuan = forms.DecimalField(label=_("Fixed late fee (yuan)"), required=False, **YUAN)
    late_fee_cap_yuan = forms.DecimalField(
        label=_("Late fee cap (yuan)"), required=False, help_text=_("Leave empty for no cap."), **YUAN
    )

    def charge_fields(self):
        return [self[name] for name in ("name", "category", "method", "price", "meter_kind")]

    def billing_fields(self):
        names = ("cycle", "timing", "due_day", "valid_from", "valid_to", "rounding_unit", "rounding_mode")
        return [self[name] for name in names]

    def late_fee_fields(self):
        return [self[name] for name in self.fields if name.startswith("late_fee_")]

    @staticmethod
    def initial_for(item: FeeItem) -> dict:
        fixed_fen, cap_fen = item.late_fee_fixed_fen, item.late_fee_cap_fen
        return {
            "name": item.name,
            "category": item.category,
            "method": item.method,
            "price": plain(item.price),
            "meter_kind": item.meter_kind,
            "cycle": item.cycle,
            "timing": item.timing,
            "due_day": item.due_day,
            "valid_from": item.valid_from,
            "valid_to": item.valid_to,
            "rounding_unit": item.rounding_unit,
            "rounding_mode": item.rounding_mode,
            "late_fee_method": item.late_fee_method,
            "late_fee_grace_days": item.late_fee_grace_days,
            "late_fee_rate_percent": plain(item.late_fee_rate * 100) if item.late_fee_rate else None,
            "late_fee_fixed_yuan": fen_to_decimal(fixed_fen) if fixed_fen else None,
            "late_fee_cap_yuan": None if cap_fen is None else fen_to_decimal(cap_fen),
        }

    def clean(self):
        data = super().clean()
        if data.get("method") == Method.METERED and not data.get("meter_kind"):
            self.add_error("meter_kind", _("Choose the meter whose usage is billed."))
        method = data.get("late_fee_method")
        if method == LateFeeMethod.DAILY_RATE and not data.get("late_fee_rate_percent"):
            self.add_error("late_fee_rate_percent", _("Give the daily rate."))
        if method == LateFeeMethod.FIXED and not data.get("late_fee_fixed_yuan"):
            self.add_error("late_fee_fixed_yuan", _("Give the amount."))
        return data

    def values(self, tiers: list[dict]) -> dict:
        """The domain's keyword arguments (``feeitem_create`` / ``feeitem_update``)."""
        data = self.cleaned_data
        rate = data.get("late_fee_rate_percent") or Decimal(0)
        return {
            "name": data["name"],
            "category": data["category"],
            "method": data["method"],
            "price": data["price"],
            "tiers": tiers if data["method"] == Method.METERED else [],
            "meter_kind": data.get("meter_kind") or "",
            "cycle": data["cycle"],
            "timing": data["timing"],
            "due_day": data["due_day"],
            "valid_from": data["valid_from"],
            "valid_to": data.get("valid_to"),
            "rounding_unit": data["rounding_unit"],
            "rounding_mode": data["rounding_mode"],
            "late_fee_method": data.get("late_fee_method") or "",
            "late_fee_grace_days": data.get("late_fee_grace_days") or 0,
            "late_fee_rate": rate / 100,
            "late_fee_fixed_fen": decimal_to_fen(data.get("late_fee_fixed_yuan") or Decimal(0)),
            "late_fee_cap_fen": None
            if data.get("late_fee_cap_yuan") is None
            else decimal_to_fen(data["late_fee_cap_yuan"]),
        }


class TierForm(forms.Form):
    """One row of the tier table (阶梯价): usage up to (empty on the last row: no ceiling) and price."""

    up_to = forms.DecimalField(
        label=_("Usage up to"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"), required=False
    )
    price = forms.DecimalField(
        label=_("Price (yuan)"), max_digits=12, decimal_places=4, min_value=Decimal(0), required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("up_to") is not None and data.get("price") is None:
            self.add_error("price", _("Give the price of this tier."))
        return data


class BaseTierFormSet(forms.BaseFormSet):
    def tiers(self) -> list[dict]:
        """The filled rows, in order, as the domain takes them."""
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("price") is None:
                continue
            rows.append(
                {
                    "up_to": None if data.get("up_to") is None else str(data["up_to"]),
                    "price": str(data["price"]),
                }
            )
        return rows


TierFormSet = forms.formset_factory(TierForm, formset=BaseTierFormSet, extra=3, max_num=12, validate_max=True)


def tier_formset(data=None, *, item: FeeItem | None = None) -> BaseTierFormSet:
    initial = [
        {"up_to": tier.get("up_to"), "price": tier.get("price")} for tier in (item.tiers if item else [])
    ]
    return TierFormSet(data, initial=initial, prefix="tiers")


# Assignments ----------------------------------------------------------------------------------------


class DiscountForm(forms.Form):
    """A discount (percentage or fixed per month) or an exemption, with its reason and approver."""

    NONE, PERCENT, FIXED, EXEMPT = "none", "percent", "fixed", "exempt"

    discount = forms.ChoiceField(
        label=_("Discount"),
        choices=[
            (NONE, _("No discount")),
            (PERCENT, _("Percentage off")),
            (FIXED, _("Fixed amount off a month")),
            (EXEMPT, _("Exempt (100 percent off)")),
        ],
        initial=NONE,
        widget=forms.RadioSelect,
    )
    discount_percent = forms.DecimalField(
        label=_("Percentage off"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
        required=False,
    )
    discount_yuan = forms.DecimalField(label=_("Amount off a month (yuan)"), required=False, **YUAN)
    discount_reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    discount_approved_by = forms.ModelChoiceField(
        label=_("Approved by"),
        queryset=None,
        required=False,
        help_text=_("A staff member who manages billing in this community."),
    )

    def __init__(self, *args, community: Community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["discount_approved_by"].queryset = discount_approvers(community=community)
        self.fields["discount_approved_by"].label_from_instance = lambda user: (
            user.get_full_name() or user.username
        )

    def clean(self):
        data = super().clean()
        kind = data.get("discount")
        if kind == self.PERCENT and not data.get("discount_percent"):
            self.add_error("discount_percent", _("Give the percentage."))
        if kind == self.FIXED and not data.get("discount_yuan"):
            self.add_error("discount_yuan", _("Give the amount."))
        if kind and kind != self.NONE:
            if not (data.get("discount_reason") or "").strip():
                self.add_error("discount_reason", _("A discount or exemption needs a reason."))
            if not data.get("discount_approved_by"):
                self.add_error("discount_approved_by", _("Choose who approved it."))
        return data

    def discount_values(self) -> dict:
        data = self.cleaned_data
        kind = data["discount"]
        percent = {self.PERCENT: data.get("discount_percent"), self.EXEMPT: Decimal(100)}.get(
            kind
        ) or Decimal(0)
        fen = decimal_to_fen(data.get("discount_yuan") or Decimal(0)) if kind == self.FIXED else 0
        if kind == self.NONE:
            return {
                "discount_percent": Decimal(0),
                "discount_fen": 0,
                "discount_reason": "",
                "discount_approved_by": None,
            }
        return {
            "discount_percent": percent,
            "discount_fen": fen,
            "discount_reason": data.get("discount_reason") or "",
            "discount_approved_by": data.get("discount_approved_by"),
        }

    @classmethod
    def initial_for(cls, assignment) -> dict:
        if assignment.discount_percent == 100:
            kind = cls.EXEMPT
        elif assignment.discount_percent:
            kind = cls.PERCENT
        elif assignment.discount_fen:
            kind = cls.FIXED
        else:
            kind = cls.NONE
        return {
            "discount": kind,
            "discount_percent": assignment.discount_percent if kind == cls.PERCENT else None,
            "discount_yuan": fen_to_decimal(assignment.discount_fen) if assignment.discount_fen else None,
            "discount_reason": assignment.discount_reason,
            "discount_approved_by": assignment.discount_approved_by_id,
        }


class AssignForm(DiscountForm):
    """Which rooms (by building, by use, by tag, or one by one) and from when."""

    BUILDING, USE, TAG, ROOMS = "building", "use", "tag", "rooms"

    target = forms.ChoiceField(
        label=_("Rooms"),
        choices=[
            (BUILDING, _("Every room of a building")),
            (USE, _("Every room of a use")),
            (TAG, _("The rooms of the households with a tag")),
            (ROOMS, _("Rooms one by one")),
        ],
        initial=BUILDING,
        widget=forms.RadioSelect,
    )
    building = forms.ModelChoiceField(label=_("Building"), queryset=None, required=False)
    use = forms.ChoiceField(label=_("Use"), choices=[("", "—"), *RoomUse.choices], required=False)
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=None, required=False)
    rooms = forms.CharField(
        label=_("Rooms one by one"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "1栋-1单元-101"}),
        required=False,
        help_text=_("One room a line: building-unit-room, e.g. 1栋-1单元-101"),
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(
        label=_("Ends on"), widget=DATE, required=False, help_text=_("Leave empty: no end.")
    )

    field_order = ["target", "building", "use", "tag", "rooms", "starts_on", "ends_on"]

    def __init__(self, *args, community: Community, **kwargs):
        super().__init__(*args, community=community, **kwargs)
        self.fields["building"].queryset = Building.objects.filter(community=community)
        self.fields["tag"].queryset = Tag.objects.filter(community=community)

    def clean(self):
        data = super().clean()
        target = data.get("target")
        if target and not data.get(target):
            self.add_error(target, _("Choose the rooms."))
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The assignment ends before it starts."))
        return data

    def room_labels(self) -> list[str]:
        return [line.strip() for line in (self.cleaned_data.get("rooms") or "").splitlines() if line.strip()]


class AssignmentEndForm(forms.Form):
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)


# Meters and readings --------------------------------------------------------------------------------


class MeterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=MeterKind.choices)
    number = forms.CharField(label=_("Meter number"), max_length=40)
    room = forms.CharField(
        label=_("Room"),
        max_length=80,
        required=False,
        help_text=_("building-unit-room, e.g. 1栋-1单元-101; leave empty for a meter the building shares."),
    )


class ReadingGridForm(forms.Form):
    """One month's readings of a building: a value, 换表 and an optional start value per meter.

    Values are taken as typed; the domain checks them row by row, so that every bad row is named.
    """

    def __init__(self, *args, grid: list[GridRow], **kwargs):
        super().__init__(*args, **kwargs)
        self.grid = grid
        for row in grid:
            pk = row.meter.pk
            current = row.current
            self.fields[f"value_{pk}"] = forms.CharField(
                required=False, max_length=30, initial=current.value if current else None
            )
            self.fields[f"replaced_{pk}"] = forms.BooleanField(
                required=False, initial=current.replaced if current else False
            )
            self.fields[f"start_{pk}"] = forms.CharField(required=False, max_length=30)

    def rows(self) -> list[tuple[GridRow, str, bool, str | None]]:
        """(row, value, replaced, start) of every meter given a value."""
        data = self.cleaned_data
        rows = []
        for row in self.grid:
            pk = row.meter.pk
            value = (data.get(f"value_{pk}") or "").strip().replace(",", "")
            if not value:
                continue
            start = (data.get(f"start_{pk}") or "").strip().replace(",", "") or None
            rows.append((row, value, bool(data.get(f"replaced_{pk}")), start))
        return rows

    def bound_rows(self):
        """(grid row, value field, replaced field, start field) for the template."""
        return [
            (
                row,
                self[f"value_{row.meter.pk}"],
                self[f"replaced_{row.meter.pk}"],
                self[f"start_{row.meter.pk}"],
            )
            for row in self.grid
        ]


IMPORT_SALT = "wuye.billing.readings-import"
IMPORT_MAX_AGE = 3600  # seconds a preview stays valid


class ReadingsApplyForm(forms.Form):
    """The rows of a previewed file, signed, so that applying writes exactly what was previewed."""

    payload = forms.CharField(widget=forms.HiddenInput)

    @staticmethod
    def sign(*, community: Community, file_name: str, rows: list[list]) -> str:
        return signing.dumps(
            {"community": community.pk, "file": file_name, "rows": rows}, salt=IMPORT_SALT, compress=True
        )

    def clean_payload(self) -> dict:
        try:
            return signing.loads(self.cleaned_data["payload"], salt=IMPORT_SALT, max_age=IMPORT_MAX_AGE)
        except signing.SignatureExpired:
            raise forms.ValidationError(
                _("The preview is more than an hour old: upload the file again.")
            ) from None
        except signing.BadSignature:
            raise forms.ValidationError(_("The preview could not be read: upload the file again.")) from None
