from wuye.parking.enums import SpaceKind
from wuye.parking.models import ParkingArea, ParkingSpace, PlateBlock


def build(community, staff_user):
    area = ParkingArea.objects.create(community=community, name="B车场")
    space = ParkingSpace.objects.create(community=community, area=area, number="B-1", kind=SpaceKind.MONTHLY)
    block = PlateBlock.objects.create(community=community, plate="京B00000", reason="x")
    return {"parkingarea_pk": area.pk, "parkingspace_pk": space.pk, "plateblock_pk": block.pk}
