"""Listeners on other apps' documented extension points.

People leave the archive (households' ``people_left``): their cards, codes and faces are revoked. An
owner's household binding ends (Django's ``post_delete`` of the binding; the owners app sends nothing
of its own): the passes they made for that household are revoked. The decision checks both again at
the door (``domain.decide``), so a change made past these hooks still closes the door.
"""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from wuye.access.domain.credentials import credentials_revoke_for_people
from wuye.access.domain.passes import passes_revoke_for_binding
from wuye.access.enums import Reason
from wuye.households.signals import people_left
from wuye.owners.models import HouseholdBinding


@receiver(people_left, dispatch_uid="access.revoke_credentials_of_people_who_left")
def revoke_credentials_of_people_who_left(
    sender, community_id: int, person_pks, actor=None, **kwargs
) -> None:
    credentials_revoke_for_people(person_pks=person_pks, reason=str(Reason.MOVED_OUT.label), actor=actor)


@receiver(post_delete, sender=HouseholdBinding, dispatch_uid="access.revoke_passes_of_ended_binding")
def revoke_passes_of_ended_binding(sender, instance: HouseholdBinding, **kwargs) -> None:
    passes_revoke_for_binding(account_pk=instance.account_id, household_pk=instance.household_id)
