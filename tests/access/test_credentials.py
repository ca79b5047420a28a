"""Credentials: issued and revoked with the audit log; a move-out or removal revokes a person's."""

import datetime

import pytest
from django.utils import timezone

from tests.access.factories import AccessRuleFactory, group_of
from tests.factories import UserFactory
from wuye.access.domain.credentials import credential_issue, credential_revoke
from wuye.access.domain.decide import access_decide
from wuye.access.domain.errors import AccessError
from wuye.access.enums import Reason
from wuye.access.models import Credential
from wuye.core.models import AuditLog
from wuye.households.domain.households import person_remove, person_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(estate):
    return UserFactory(roles=[(estate["community"], "front_desk")])


@pytest.fixture
def admitted(estate):
    AccessRuleFactory(group=group_of(estate["door_1"]), subject="building", building=estate["building_1"])


def opens(estate, credential) -> object:
    return access_decide(
        door=estate["door_1"], kind=credential.kind, value=credential.value, at=timezone.now()
    )


def test_credential_issue_card_and_qr_logged(estate, clerk, admitted):
    card = credential_issue(
        community=estate["community"], kind="card", value="A0001", person=estate["person"], actor=clerk
    )
    code = credential_issue(community=estate["community"], kind="qr", person=estate["person"], actor=clerk)

    assert card.household_id == estate["household"].pk
    assert len(code.value) == 32
    assert opens(estate, card).granted and opens(estate, code).granted
    assert (
        AuditLog.objects.filter(
            action="access.credential.issued", household_id=estate["household"].pk
        ).count()
        == 2
    )


def test_credential_issue_refuses_a_card_already_issued(estate, clerk):
    credential_issue(
        community=estate["community"], kind="card", value="A0001", person=estate["person"], actor=clerk
    )

    with pytest.raises(AccessError):
        credential_issue(
            community=estate["community"], kind="card", value="A0001", person=estate["person"], actor=clerk
        )
    assert Credential.objects.count() == 1


def test_credential_revoke_refused_afterwards_and_logged(estate, clerk, admitted):
    card = credential_issue(
        community=estate["community"], kind="card", value="A0001", person=estate["person"], actor=clerk
    )

    credential_revoke(credential=card, reason="丢失", actor=clerk)

    assert opens(estate, card).reason == Reason.REVOKED
    assert AuditLog.objects.filter(action="access.credential.revoked", object_pk=card.pk).count() == 1
    # The card may be issued again, to someone else, as a new credential.
    again = credential_issue(
        community=estate["community"], kind="card", value="A0001", person=estate["person"], actor=clerk
    )
    assert opens(estate, again).granted


def test_move_out_revokes_the_persons_credentials(estate, clerk, admitted):
    card = credential_issue(
        community=estate["community"], kind="card", value="A0001", person=estate["person"], actor=clerk
    )
    assert opens(estate, card).granted

    person_update(person=estate["person"], actor=clerk, moved_out_on=timezone.localdate())

    card.refresh_from_db()
    assert card.revoked_at is not None
    assert opens(estate, card).result == "refused"
    assert AuditLog.objects.filter(action="access.credential.revoked", object_pk=card.pk).exists()


def test_removing_a_person_revokes_and_keeps_the_credential(estate, clerk, admitted):
    card = credential_issue(
        community=estate["community"], kind="card", value="A0001", person=estate["person"], actor=clerk
    )
    estate["binding"].delete()

    person_remove(person=estate["person"], actor=clerk)

    card.refresh_from_db()
    assert card.revoked_at is not None and card.person_id is None
    assert opens(estate, card).reason == Reason.REVOKED


def test_a_move_out_date_set_elsewhere_still_closes_the_door(estate, clerk, admitted):
    """Defence in depth: a move-out written past the extension point is refused at the door."""
    card = credential_issue(
        community=estate["community"], kind="card", value="A0001", person=estate["person"], actor=clerk
    )
    type(estate["person"]).objects.filter(pk=estate["person"].pk).update(
        moved_out_on=timezone.localdate() - datetime.timedelta(days=1)
    )

    assert opens(estate, card).reason == Reason.MOVED_OUT


def test_credential_issue_refuses_a_person_who_moved_out(estate, clerk):
    person_update(person=estate["person"], actor=clerk, moved_out_on=timezone.localdate())

    with pytest.raises(AccessError):
        credential_issue(
            community=estate["community"], kind="card", value="A1", person=estate["person"], actor=clerk
        )
