import datetime
from decimal import Decimal

from tests.billing.test_runs import assign, issue, item, occupied_room
from wuye.billing.models import BillLine
from wuye.owners.domain.queries import bills_for_household


def test_bills_due_are_what_is_still_owed_oldest_first(community, admin_user):
    room = occupied_room(community, built_area=Decimal("100"))
    assign(item(community, price=Decimal("2")), room)
    issue(community, admin_user, period=datetime.date(2026, 10, 1))
    issue(community, admin_user, period=datetime.date(2026, 11, 1))
    household = room.household_links.get().household
    BillLine.objects.filter(period=datetime.date(2026, 10, 1)).update(paid_fen=5000)  # as a payment would

    due = bills_for_household(household=household)

    assert [(bill.title, bill.amount_fen) for bill in due] == [("2026-10", 15000), ("2026-11", 20000)]
    assert str(due[0]) == "2026-10 · ¥150.00"
    BillLine.objects.filter(period=datetime.date(2026, 11, 1)).update(paid_fen=20000)
    assert [bill.title for bill in bills_for_household(household=household)] == ["2026-10"]
