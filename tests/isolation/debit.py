import datetime

from wuye.debit.models import DebitBatch


def build(community, staff_user) -> dict[str, int]:
    batch = DebitBatch.objects.create(
        company=community.company,
        number=f"D20260225{community.pk:04d}",
        cutoff_on=datetime.date(2026, 2, 20),
        collection_on=datetime.date(2026, 2, 25),
        file_format="generic_cn",
    )
    batch.communities.set([community])
    return {"debitbatch_pk": batch.pk}
