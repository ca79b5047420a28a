from wuye.opening.models import OpeningImport


def build(community, staff_user) -> dict[str, int]:
    record = OpeningImport.objects.create(community=community, file_name="期初.xlsx", sha256="0" * 64)
    return {"openingimport_pk": record.pk}
