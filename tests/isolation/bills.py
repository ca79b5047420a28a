from tests.billing.test_bills import household_with_room, issue_bill, property_fee


def build(community, staff_user) -> dict[str, int]:
    household = household_with_room(community)
    bill = issue_bill(household, items=[property_fee(community, name="隔离·物业费")])
    return {"bill_pk": bill.pk, "billline_pk": bill.lines.get().pk}
