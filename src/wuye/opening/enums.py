from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ImportState(models.TextChoices):
    PREVIEWED = "previewed", pgettext_lazy("opening import", "Previewed")
    IMPORTED = "imported", pgettext_lazy("opening import", "Imported")
    REVERSED = "reversed", pgettext_lazy("opening import", "Reversed")


# Which state may move to which: data, checked in one place (``domain.imports``).
TRANSITIONS: dict[str, frozenset[str]] = {
    ImportState.PREVIEWED: frozenset({ImportState.IMPORTED}),
    ImportState.IMPORTED: frozenset({ImportState.REVERSED}),
    ImportState.REVERSED: frozenset(),
}


class BalanceKind(models.TextChoices):
    ARREARS = "arrears", _("Arrears")
    PREPAYMENT = "prepayment", _("Prepayment")
    DEPOSIT = "deposit", _("Deposit")


# The file format: column keys and their headers (literal Chinese, never translated; see interfaces.excel).
ROOM, KIND, FEE_ITEM, PERIOD, AMOUNT, NOTE, DUE = (
    "room",
    "kind",
    "fee_item",
    "period",
    "amount",
    "note",
    "due",
)
HEADERS: dict[str, str] = {
    ROOM: "房号",
    KIND: "类型",
    FEE_ITEM: "收费项目",
    PERIOD: "所属月份",
    AMOUNT: "金额（元）",
    NOTE: "备注",
    DUE: "应缴日期",
}
