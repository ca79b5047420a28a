import datetime

from wuye.billing.models import BillingRun


def build(community, staff_user) -> dict[str, int]:
    return {
        "billingrun_pk": BillingRun.objects.create(community=community, period=datetime.date(2026, 11, 1)).pk
    }
