from django.core.files.base import ContentFile

from tests.service.factories import ServiceCategoryFactory, ServiceRequestFactory, TeamFactory
from wuye.service.models import RequestPhoto


def build(community, staff_user) -> dict[str, int]:
    request = ServiceRequestFactory(community=community)
    photo = RequestPhoto(community=community, request=request, content_type="image/jpeg", size=4)
    photo.file.save("leak.jpg", ContentFile(b"\xff\xd8\xff\xe0"), save=False)
    photo.save()
    return {
        "servicerequest_pk": request.pk,
        "requestphoto_pk": photo.pk,
        "servicecategory_pk": ServiceCategoryFactory(community=community).pk,
        "team_pk": TeamFactory(community=community).pk,
    }
