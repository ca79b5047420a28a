"""Objects of the fee item and meter pages (billing: tariffs part) in a foreign community."""

from tests.billing.factories import FeeAssignmentFactory, MeterFactory


def build(community, staff_user) -> dict[str, int]:
    assignment = FeeAssignmentFactory(fee_item__community=community)
    return {
        "feeitem_pk": assignment.fee_item.pk,
        "feeassignment_pk": assignment.pk,
        "meter_pk": MeterFactory(community=community).pk,
    }
