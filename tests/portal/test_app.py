"""The portal installs as an app: a web app manifest with its icons, a service worker that keeps only
the shell, and an offline page; every page links the manifest."""

import json

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from PIL import Image

from tests.owners.factories import HouseholdBindingFactory
from tests.portal.conftest import log_in

pytestmark = pytest.mark.django_db


def test_the_manifest_names_the_portal_its_scope_and_icons_that_exist(client):
    response = client.get(reverse("portal:manifest"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "业主服务"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/m/", "/m/", "standalone")
    sizes = []
    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        with Image.open(path) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"]
        sizes.append((icon["sizes"], icon["purpose"]))
    assert sorted(sizes) == [
        ("192x192", "any"),
        ("192x192", "maskable"),
        ("512x512", "any"),
        ("512x512", "maskable"),
    ]


def test_the_service_worker_keeps_the_shell_and_the_offline_page_only(client):
    response = client.get(reverse("portal:service_worker"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/m/"
    assert "no-cache" in response["Cache-Control"]
    script = response.content.decode()
    shell = json.loads(script.split("var SHELL = ", 1)[1].split(";", 1)[0])
    assert shell == [
        "/m/offline/",
        "/static/portal/portal.css",
        "/static/portal/portal.js",
        "/static/portal/icons/icon-192.png",
        "/static/portal/icons/icon-512.png",
        "/static/portal/icons/icon-192-maskable.png",
        "/static/portal/icons/icon-512-maskable.png",
    ]
    assert 'request.mode === "navigate"' in script and "caches.match(OFFLINE)" in script


def test_the_offline_page_is_the_same_for_everyone(client, household):
    anonymous = client.get(reverse("portal:offline"))
    owner = log_in(client, HouseholdBindingFactory(person=household.people.get()).account).get(
        reverse("portal:offline")
    )

    assert anonymous.status_code == owner.status_code == 200
    assert "网络未连接" in anonymous.content.decode()
    assert "王小明" not in owner.content.decode() and "csrfmiddlewaretoken" not in owner.content.decode()


def test_every_page_links_the_manifest_and_registers_the_worker(client, household):
    pages = [client.get(reverse("portal:login"))]
    pages.append(log_in(client, HouseholdBindingFactory(person=household.people.get()).account).get("/m/"))
    for response in pages:
        assert response.status_code == 200
        html = response.content.decode()
        assert '<link rel="manifest" href="/m/manifest.webmanifest">' in html
        assert 'data-service-worker="/m/sw.js"' in html
