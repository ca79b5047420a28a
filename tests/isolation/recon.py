import datetime

from wuye.recon.models import Difference, ReconRun


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
    return {"reconrun_pk": run.pk, "difference_pk": difference.pk}
