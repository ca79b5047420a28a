"""factory_boy factories for owner accounts and their bindings."""

from datetime import timedelta

import factory
from django.utils import timezone

from tests.factories import PersonFactory
from wuye.owners.enums import BindingSource
from wuye.owners.models import HouseholdBinding, OwnerAccount, OwnerToken


class OwnerAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OwnerAccount
        django_get_or_create = ("phone",)

    phone = factory.Sequence(lambda n: f"137{n:08d}")
    display_name = factory.Sequence(lambda n: f"业主{n}")


class HouseholdBindingFactory(factory.django.DjangoModelFactory):
    """A binding of an account to a person's household; by default the person's own phone's account."""

    class Meta:
        model = HouseholdBinding

    person = factory.SubFactory(PersonFactory)
    household = factory.SelfAttribute("person.household")
    community = factory.SelfAttribute("household.community")
    account = factory.SubFactory(OwnerAccountFactory, phone=factory.SelfAttribute("..person.phone"))
    source = BindingSource.INVITATION


class OwnerTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OwnerToken

    account = factory.SubFactory(OwnerAccountFactory)
    prefix = "wo_test"
    key_hash = factory.Sequence(lambda n: f"{n:064d}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
