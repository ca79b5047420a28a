import datetime

from django.utils import timezone

from wuye.recon.models import DayClose, Difference, ReconRun, Shift


def build(community, staff_user) -> dict[str, int]:
    run = ReconRun.objects.create(
        community=community,
        method="wechat",
        day=datetime.date(2026, 2, 25),
        source="uploaded",
        sha256="0" * 64,
        content=b"",
    )
    difference = Difference.objects.create(
        community=community,
        method="wechat",
        day=run.day,
        kind="channel_only",
        reference="NOTOURS",
        out_trade_no="NOTOURS",
        theirs_fen=100,
        first_run=run,
        last_run=run,
    )
    shift = Shift.objects.create(community=community, cashier=staff_user, ended_at=timezone.now())
    closed = DayClose.objects.create(community=community, day=run.day)
    return {
        "reconrun_pk": run.pk,
        "difference_pk": difference.pk,
        "shift_pk": shift.pk,
        "dayclose_pk": closed.pk,
    }
