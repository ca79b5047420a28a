"""The partner bank sees figures, never an owner: a walk of every page and endpoint as the bank.

The bank user holds the BANK role in community A, which has one object of every kind a URL can name
(tests/isolation's builders), an owner with a name, phone and ID number, a signed mandate, a card
referral and a settled debit batch. Every console, partner and portal URL pattern is requested (with A's
objects where it names one), and every operation of the API with a token of the bank user: each answers
403, 404, 405, 401 (the API), a redirect to the bank's dashboard (or, in the portal, to the owner's
login), or a page that contains none of A's owners' names, phones, ID or card numbers. Like the
isolation walk, a new page is covered the day it is added. Nothing the bank can post changes anything.
"""

from __future__ import annotations

import datetime
import io
import json
import re

import openpyxl
import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.debit.factories import digest, mandated_household, result_of
from tests.factories import CommunityFactory, PersonFactory, UserFactory, staff
from tests.isolation import build_all
from wuye.core.enums import Role
from wuye.core.models import ApiToken, AuditLog
from wuye.debit.domain.batches import batch_build, batch_send
from wuye.debit.domain.results import result_settle
from wuye.debit.models import BankBranch, CardReferral, DebitSettings, Mandate
from wuye.households.models import EmergencyContact, Household, Person, Vehicle
from wuye.owners.models import BindingRequest, HouseholdBinding
from wuye.payments.models import Receipt

pytestmark = pytest.mark.django_db

OWNER_NAME, OWNER_PHONE, OWNER_ID = "欧阳保密", "13712345678", "110105199001011234"
CARD = "6222021234567890123"
# Public pages opened with a token printed on a poster, a pay link or a receipt: they answer whoever
# holds the token and do not depend on a staff login, so the bank's role changes nothing there.
PUBLIC_BY_TOKEN = {
    "portal:pay_household",
    "portal:pay_entry",
    "portal:pay_receipt_pdf",
    "payments:verify",
    "payments_notify:notify",
}
# Logins and logouts: posting to them changes the session, not the data.
SESSION_PAGES = {"console:login", "console:logout", "portal:login", "portal:login_verify", "portal:logout"}


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _patterns(entry, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            arguments = list(entry.pattern.converters) or list(entry.pattern.regex.groupindex)
            yield f"{prefix}{entry.name}", arguments


def walked_patterns():
    return [
        (name, arguments)
        for name, arguments in _patterns(get_resolver())
        if name.split(":")[0] in ("console", "partner", "portal") and name not in PUBLIC_BY_TOKEN
    ]


def _community_a_with_owners():
    community = CommunityFactory(name="小区A")
    objects = build_all(community, staff(community))
    household = Household.objects.get(pk=objects["household_pk"])
    PersonFactory(household=household, name=OWNER_NAME, phone=OWNER_PHONE, id_number=OWNER_ID)
    DebitSettings.objects.create(community=community, bank_name="合作银行", creditor_name="物业公司")
    payer, _bills, mandate = mandated_household(community, (12000,))
    mandated_household(community, (3000,))  # its debit fails
    Mandate.objects.filter(pk=mandate.pk).update(phone=OWNER_PHONE)
    mandate.holder_id_number = OWNER_ID
    mandate.save(update_fields=["holder_id_number"])
    batch = batch_send(
        batch=batch_build(
            company=community.company,
            communities=[community],
            cutoff_on=datetime.date(2026, 2, 20),
            collection_on=datetime.date(2026, 2, 25),
        ),
        files_sha256="x" * 64,
    )
    result = result_of(batch, {1: ("success", "0000", False), 2: ("failed", "51", True)})
    result_settle(batch=batch, result=result, file_name="r.txt", sha256=digest(result))
    CardReferral.objects.create(
        community=community,
        household=payer,
        branch=BankBranch.objects.create(company=community.company, name="城东支行"),
        name="赵女士",
        phone="13987654321",
        visit_at=datetime.datetime(2026, 2, 3, 10, tzinfo=datetime.UTC),
    )
    objects["attempt_pk"] = objects["paymentattempt_pk"]
    return community, objects


# The name and phone an owner gave when booking a card opening are given to the bank, for that visit:
# its referral list shows them, and no other page.
REFERRAL_PAGES = {"console:referrals", "console:referral_decide"}


def referral_contacts(community) -> set[str]:
    return {
        value
        for referral in CardReferral.objects.filter(community=community)
        for value in (referral.name, referral.phone)
    }


def owner_data(community) -> set[str]:
    """Every name, phone, ID and card number of community A's owners and residents."""
    values: set[str] = set(Household.objects.filter(community=community).values_list("name", flat=True))
    for person in Person.objects.filter(community=community):
        values |= {person.name, person.phone, person.id_number}
    for contact in EmergencyContact.objects.filter(community=community):
        values |= {contact.name, contact.phone}
    values |= set(Vehicle.objects.filter(community=community).values_list("plate", flat=True))
    for mandate in Mandate.objects.filter(community=community):
        values |= {mandate.holder_name, mandate.phone, mandate.holder_id_number, mandate.card_number}
    for referral in CardReferral.objects.filter(community=community):
        values |= {referral.name, referral.phone}
    values |= set(Receipt.objects.filter(community=community).values_list("payer_name", flat=True))
    for binding in HouseholdBinding.objects.filter(community=community).select_related("account"):
        values |= {binding.account.phone, binding.account.display_name}
    values |= set(BindingRequest.objects.filter(community=community).values_list("name", flat=True))
    values.discard("")
    values.discard(None)
    assert {OWNER_NAME, OWNER_PHONE, OWNER_ID, CARD} <= values
    return values


def _text(response) -> str:
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        return "\n".join(
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _leaks(response, secrets: set[str]) -> list[str]:
    text = _text(response)
    return sorted(secret for secret in secrets if secret in text)


@pytest.fixture
def bank_of_a(client):
    community, objects = _community_a_with_owners()
    user = UserFactory(username="bank", first_name="刘洋", roles=[(community, Role.BANK)])
    client.force_login(user)
    return community, objects, user


def test_the_walk_covers_the_console_the_dashboard_and_the_portal():
    names = {name for name, _arguments in walked_patterns()}
    assert {
        "console:room",
        "console:household",
        "partner:dashboard",
        "partner:export",
        "portal:home",
    } <= names
    assert len(names) >= 100


def test_every_page_as_the_bank_shows_no_owner(client, bank_of_a):
    community, objects, _user = bank_of_a
    secrets, given_to_the_bank = owner_data(community), referral_contacts(community)
    dashboard, owner_login = reverse("partner:dashboard"), reverse("portal:login")
    before = AuditLog.objects.count()
    seen_figures = False
    for name, arguments in walked_patterns():
        unknown = set(arguments) - set(objects)
        assert not unknown, f"{name}: add an object for {unknown} to a module in tests/isolation/"
        url = reverse(name, kwargs={argument: objects[argument] for argument in arguments})
        response = client.get(url)
        status = response.status_code
        if status in (301, 302):
            target = response["Location"]
            allowed = owner_login if name.startswith("portal:") else dashboard
            assert target.startswith(allowed), f"GET {url} ({name}) sends the bank to {target}"
        elif status == 200:
            leaks = _leaks(response, secrets - given_to_the_bank if name in REFERRAL_PAGES else secrets)
            assert not leaks, f"GET {url} ({name}) shows {leaks} to the bank"
            seen_figures |= name.startswith("partner:")
        else:
            assert status in (403, 404, 405), f"GET {url} ({name}) answered {status}"
        if name not in SESSION_PAGES:
            post = client.post(url, {"name": "x", "tag": objects["tag_pk"], "state": "vacant"})
            assert post.status_code in (302, 403, 404, 405), (
                f"POST {url} ({name}) answered {post.status_code}"
            )
            if post.status_code == 302:
                allowed = owner_login if name.startswith("portal:") else dashboard
                if name in REFERRAL_PAGES:  # a refused decision goes back to the list, deciding nothing
                    allowed = reverse("console:referrals")
                assert post["Location"].startswith(allowed), f"POST {url} ({name}) → {post['Location']}"
    assert seen_figures
    assert AuditLog.objects.count() == before


def test_the_room_and_household_pages_are_closed_to_the_bank(client, bank_of_a):
    """The pages the BANK role once reached through estate.view: each showed the household."""
    _community, objects, _user = bank_of_a
    for name, argument in (("console:room", "room_pk"), ("console:building", "building_pk")):
        assert client.get(reverse(name, args=[objects[argument]])).status_code == 404
    for name in ("console:buildings", "console:households", "console:tokens", "console:search"):
        assert client.get(reverse(name)).status_code == 404
    assert client.get(reverse("console:home"))["Location"] == reverse("partner:dashboard")


def test_the_dashboard_shows_the_bank_its_figures(client, bank_of_a):
    community, _objects, _user = bank_of_a
    response = client.get(reverse("partner:dashboard"), {"to": "2026-02", "months": "2"})
    figures = response.context["dashboard"]
    assert (figures.total.mandated, figures.total.lines.sent, figures.total.lines.succeeded) == (2, 2, 1)
    assert [(r.code, r.lines) for r in figures.failure_reasons] == [("51", 1)]
    assert not _leaks(response, owner_data(community))


def _api_operations(client):
    schema = client.get("/api/v1/openapi.json").json()
    return [(method, path) for path, methods in schema["paths"].items() for method in methods]


def test_every_api_operation_with_the_banks_token_shows_no_owner(client, bank_of_a):
    community, objects, user = bank_of_a
    secrets = owner_data(community)
    _token, key = ApiToken.issue(user=user, name="对账")  # a token issued before the role was narrowed
    client.logout()
    headers = {"Authorization": f"Bearer {key}", "Accept-Language": "en"}
    before = AuditLog.objects.count()
    operations = _api_operations(client)
    assert len(operations) >= 20
    for method, path in operations:
        if path.startswith("/api/v1/owner/login/"):
            continue  # public: an owner asks for a code to their phone; no token of anyone counts there
        names = re.findall(r"\{([^}]+)\}", path)
        unknown = set(names) - set(objects)
        assert not unknown, f"{path}: add an object for {unknown} to a module in tests/isolation/"
        url = re.sub(r"\{([^}]+)\}", lambda match: str(objects[match.group(1)]), path)
        if method == "get":
            response = client.get(url, headers=headers)
        else:
            body = json.dumps({"tag": objects["tag_pk"], "period": "2026-02"})
            response = getattr(client, method)(url, body, content_type="application/json", headers=headers)
        status = response.status_code
        where = f"{method.upper()} {url}"
        if path.startswith("/api/v1/owner/"):
            assert status == 401, f"{where} answered {status}"  # a staff token is never an owner's
        elif method == "get":
            assert status in (200, 404), f"{where} answered {status}"
        else:
            assert status in (400, 403, 404, 405, 422), f"{where} answered {status}"
        if status == 200:
            assert not _leaks(response, secrets), f"{where} shows {_leaks(response, secrets)}"
            payload = response.json()
            items = payload.get("items", payload) if isinstance(payload, dict) else payload
            if isinstance(items, list) and not path.endswith("/communities"):
                assert items == [], f"{where} lists {items}"
    assert AuditLog.objects.count() == before


def test_the_owner_api_and_portal_refuse_the_banks_login(client, bank_of_a):
    _community, objects, _user = bank_of_a
    assert client.get("/api/v1/owner/me").status_code == 401
    assert client.get(f"/api/v1/owner/households/{objects['household_pk']}").status_code == 401
    assert client.get("/api/v1/households").status_code == 401  # a session is no API token
    for name in ("portal:home", "portal:households", "portal:requests", "portal:pay_mine"):
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("portal:login")), name
