"""The attendee list of an activity as an Excel workbook (property offices live in Excel)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from wuye.core.excel import sheet_append, workbook_bytes
from wuye.notices.domain.queries import activity_attendees
from wuye.notices.models import Activity

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attendees_workbook(*, activity: Activity) -> bytes:
    """One row per person signed up, in sign-up order: number, name, phone, household, rooms, time."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Attendees")[:31]
    sheet_append(sheet, [activity.title])
    sheet_append(
        sheet,
        [
            _("Place"),
            activity.place,
            _("Starts at"),
            timezone.localtime(activity.starts_at).strftime("%Y-%m-%d %H:%M"),
        ],
    )
    sheet_append(sheet, [])
    header = [_("No."), _("Name"), _("Phone"), _("Household"), _("Rooms"), _("Signed up")]
    sheet_append(sheet, header)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    sheet["A1"].font = Font(bold=True, size=14)
    for number, signup in enumerate(activity_attendees(activity=activity), start=1):
        rooms = "、".join(str(link.room) for link in signup.household.room_links.all())
        sheet_append(
            sheet,
            [
                number,
                signup.person.name,
                signup.person.phone,
                signup.household.name,
                rooms,
                timezone.localtime(signup.created_at).strftime("%Y-%m-%d %H:%M"),
            ],
        )
    for column, width in zip("ABCDEF", (6, 14, 16, 16, 24, 18), strict=True):
        sheet.column_dimensions[column].width = width
    return workbook_bytes(book)
