from tests.notices.factories import ActivityFactory, NoticeFactory


def build(community, staff_user) -> dict[str, int]:
    return {
        "notice_pk": NoticeFactory(community=community).pk,
        "activity_pk": ActivityFactory(community=community).pk,
    }
