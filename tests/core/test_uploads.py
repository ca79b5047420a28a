"""Uploads (wuye.core.uploads): accepted by decoded content, stored under generated names, served safely.

Every upload path (console documents, console photos and desk requests, portal requests, the owner
API) is walked with hostile files: an HTML page with image magic bytes, an SVG with a script, a GIF
header followed by script. Each is refused with nothing written, no row and no file; a real image
is accepted and stored as an image written again by us.
"""

from __future__ import annotations

import importlib
import io
import re
import struct
import zlib
from functools import cached_property

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, clear_url_caches, resolve, reverse
from django.utils import translation
from PIL import Image

from tests.factories import staff
from tests.owners.factories import HouseholdBindingFactory
from tests.portal.conftest import log_in
from tests.service.factories import ServiceCategoryFactory, ServiceRequestFactory
from tests.uploads import HOSTILE, SCRIPT, decoded, files_under, image_bytes, polyglot_gif
from wuye.core.enums import Role
from wuye.core.uploads import (
    DOCUMENTS,
    IMAGES,
    MAX_PIXELS,
    UNVERIFIED,
    UploadRefusedError,
    download_name,
    stored_file_recheck,
    upload_check,
)
from wuye.households.models import Document
from wuye.owners.domain.accounts import owner_token_issue
from wuye.service.models import RequestPhoto, ServiceRequest

GENERATED = re.compile(r"^(households|service)/\d+/\d+/[0-9a-f]{32}\.(png|jpg|webp|pdf)$")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """A fresh uploads folder per test, and messages in English (a page request may leave Chinese on)."""
    settings.MEDIA_ROOT = tmp_path
    with translation.override("en"):
        yield tmp_path


def upload(name, content, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# The kit -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("format", "stored_type", "stored_format"),
    [
        ("PNG", "image/png", "PNG"),
        ("JPEG", "image/jpeg", "JPEG"),
        ("WEBP", "image/webp", "WEBP"),
        ("GIF", "image/png", "PNG"),
    ],
)
def test_a_real_image_is_accepted_and_written_again(format, stored_type, stored_format):
    checked = upload_check(upload("x.bin", image_bytes(format)), accept=IMAGES, max_bytes=10_000)
    assert (checked.content_type, checked.original_name) == (stored_type, "x.bin")
    assert decoded(checked.content) == (stored_format, (8, 8))


@pytest.mark.parametrize("accept", [IMAGES, DOCUMENTS], ids=["photo", "document"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_file_that_only_looks_like_an_image_is_refused(name, accept):
    with pytest.raises(UploadRefusedError, match="its content was checked"):
        upload_check(upload(f"{name}.png", HOSTILE[name]), accept=accept, max_bytes=10_000)


def test_a_polyglot_gif_is_stored_without_its_page():
    checked = upload_check(upload("cat.gif", polyglot_gif(), "image/gif"), accept=IMAGES, max_bytes=10_000)
    assert checked.content_type == "image/png"
    assert b"<script" not in checked.content and b"<html" not in checked.content
    assert decoded(checked.content) == ("PNG", (8, 8))


def test_metadata_is_not_written_again():
    exif = Image.Exif()
    exif[0x010E] = "<script>alert(1)</script>"  # ImageDescription
    exif[0x8825] = {2: (39.0, 54.0, 27.0), 4: (116.0, 23.0, 17.0)}  # GPS: latitude, longitude
    content = image_bytes("JPEG", exif=exif, comment=SCRIPT)
    assert b"<script" in content
    checked = upload_check(upload("p.jpg", content), accept=IMAGES, max_bytes=100_000)
    with Image.open(io.BytesIO(checked.content)) as stored:
        assert (stored.getexif() == {}, stored.info.get("comment")) == (True, None)
    assert b"<script" not in checked.content


def test_a_pdf_is_a_document_and_no_photo():
    pdf = b"%PDF-1.7\n%%EOF\n"
    assert upload_check(upload("d.pdf", pdf), accept=DOCUMENTS, max_bytes=100).content == pdf
    with pytest.raises(UploadRefusedError):
        upload_check(upload("d.pdf", pdf), accept=IMAGES, max_bytes=100)


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded():
    with pytest.raises(UploadRefusedError, match="million pixels"):
        upload_check(upload("bomb.png", _png_header_only(8_000, 7_000)), accept=IMAGES, max_bytes=10_000)
    assert MAX_PIXELS < 8_000 * 7_000 < Image.MAX_IMAGE_PIXELS  # ours refuses it, not Pillow


def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(UploadRefusedError, match="larger than"):
        upload_check(upload("big.png", image_bytes("PNG", size=(64, 64))), accept=IMAGES, max_bytes=50)


@pytest.mark.parametrize(
    ("title", "content_type", "name"),
    [
        ("房产证", "application/pdf", "房产证.pdf"),
        ("deed.pdf", "application/pdf", "deed.pdf"),
        ("evil.html", "image/png", "evil.html.png"),
        ('a"b\r\nContent-Type: text/html/../x', "application/pdf", "a_b_Content-Type_ text_html_.._x.pdf"),
        ("", "text/html", "file.bin"),
    ],
)
def test_download_name_keeps_the_title_and_takes_the_stored_type(title, content_type, name):
    assert download_name(title, content_type) == name


# Every upload path ------------------------------------------------------------------------------


class Paths:
    """Each upload path of the console, the portal and the owner API, as the requester uses it."""

    def __init__(self, client, household):
        self.client = client
        self.household = household
        self.community = household.community
        self.category = ServiceCategoryFactory(community=self.community)
        self.room = household.room_links.get().room

    def _staff(self):
        self.client.force_login(staff(self.community, Role.ADMINISTRATOR))
        return self.client

    def console_document(self, files):
        return self._staff().post(
            reverse("console:document_add", args=[self.household.pk]),
            {"kind": "deed", "title": "", "file": files[0]},
        )

    def console_photos(self, files):
        request = ServiceRequestFactory(
            community=self.community, household=self.household, category=self.category
        )
        return self._staff().post(
            reverse("console:service_request_photos", args=[request.pk]), {"photos": files}
        )

    def console_new_request(self, files):
        return self._staff().post(
            f"{reverse('console:service_new')}?household={self.household.pk}",
            {
                "channel": "phone",
                "type": "repair",
                "category": self.category.pk,
                "room": self.room.pk,
                "description": "漏水",
                "photos": files,
            },
        )

    @cached_property
    def owner(self):
        return HouseholdBindingFactory(person=self.household.people.get()).account

    def portal_new_request(self, files):
        log_in(self.client, self.owner)
        return self.client.post(
            reverse("portal:request_new"),
            {
                "type": "repair",
                "category": self.category.pk,
                "where": "room",
                "room": self.room.pk,
                "description": "漏水",
                "photos": files,
            },
        )

    def api_new_request(self, files):
        key = owner_token_issue(account=self.owner)[1]
        return self.client.post(
            f"/api/v1/owner/households/{self.household.pk}/requests",
            {"category": self.category.pk, "room": self.room.pk, "description": "漏水", "photos": files},
            headers={"Authorization": f"Bearer {key}"},
        )


UPLOAD_PATHS = [
    "console_document",
    "console_photos",
    "console_new_request",
    "portal_new_request",
    "api_new_request",
]


def stored_rows() -> list:
    return [*Document.objects.all(), *RequestPhoto.objects.all()]


@pytest.mark.parametrize("path", UPLOAD_PATHS)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_every_upload_path_refuses_a_hostile_file_and_writes_nothing(client, household, media, path, name):
    paths = Paths(client, household)

    response = getattr(paths, path)([upload(f"{name}.png", HOSTILE[name])])

    assert response.status_code in {200, 302, 400}
    assert stored_rows() == []
    assert files_under(media) == []
    # A refused report is not filed either (the photos path adds to a request made beforehand).
    assert ServiceRequest.objects.count() == (1 if path == "console_photos" else 0)


@pytest.mark.parametrize("path", UPLOAD_PATHS)
def test_every_upload_path_stores_a_real_image_under_a_generated_name(client, household, media, path):
    paths = Paths(client, household)

    response = getattr(paths, path)([upload("<b>leak</b>.html", polyglot_gif(), "text/html")])

    assert response.status_code in {200, 302}, response.content
    [row] = stored_rows()
    assert GENERATED.match(row.file.name), row.file.name
    assert (row.content_type, row.size) == ("image/png", row.file.size)
    [path_on_disk] = files_under(media)
    content = path_on_disk.read_bytes()
    assert decoded(content) == ("PNG", (8, 8)) and b"<script" not in content


def test_a_refused_photo_among_good_ones_stores_none_of_them(client, household, media):
    paths = Paths(client, household)
    good = [upload(f"{n}.png", image_bytes("PNG")) for n in range(2)]

    paths.portal_new_request([*good, upload("bad.png", HOSTILE["html-with-png-magic"])])

    held = [path for path in files_under(media) if path.relative_to(media).parts[0] == "held"]
    kept = [path for path in files_under(media) if path not in held]
    # Nothing is attached; good photos may only wait, held for the owner's next post (never the bad one).
    assert (ServiceRequest.objects.count(), stored_rows(), kept) == (0, [], [])
    assert len(held) <= 2 and all(HOSTILE["html-with-png-magic"] != path.read_bytes() for path in held)


# Serving -------------------------------------------------------------------------------------------


def _document(household, content, content_type, title="deed"):
    return Document.objects.create(
        community=household.community,
        household=household,
        kind="deed",
        title=title,
        file=ContentFile(content, name="x"),
        content_type=content_type,
        size=len(content),
    )


def _fetch(client, household, document):
    client.force_login(staff(household.community, Role.FRONT_DESK))
    response = client.get(reverse("console:document", args=[document.pk]))
    return response, b"".join(response.streaming_content)


def test_an_image_is_served_inline_with_its_type_nosniff_and_a_sandbox(client, household):
    document = _document(household, image_bytes("PNG"), "image/png", title="户型图")
    response, _body = _fetch(client, household, document)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Content-Disposition"].startswith("inline;")


def test_a_pdf_is_served_as_a_download(client, household):
    document = _document(household, b"%PDF-1.7\n", "application/pdf", title="房产证")
    response, body = _fetch(client, household, document)
    assert (response["Content-Type"], body) == ("application/pdf", b"%PDF-1.7\n")
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E6%88%BF%E4%BA%A7%E8%AF%81.pdf"
    assert (response["X-Content-Type-Options"], response["Content-Security-Policy"]) == ("nosniff", "sandbox")


def test_a_stored_type_outside_the_list_is_served_as_an_octet_stream_download(client, household):
    document = _document(household, SCRIPT, "text/html", title="page")
    response, _body = _fetch(client, household, document)
    assert response["Content-Type"] == UNVERIFIED
    assert response["Content-Disposition"] == 'attachment; filename="page.bin"'


def test_a_photo_is_served_with_the_same_headers_in_the_portal_and_the_api(client, household):
    paths = Paths(client, household)
    paths.api_new_request([upload("a.png", image_bytes("PNG"))])
    photo = RequestPhoto.objects.get()
    key = owner_token_issue(account=paths.owner)[1]
    api = client.get(f"/api/v1/owner/photos/{photo.pk}", headers={"Authorization": f"Bearer {key}"})
    log_in(client, paths.owner)
    portal = client.get(reverse("portal:request_photo", args=[photo.pk]))
    for response in (api, portal):
        assert response.status_code == 200
        assert (response["Content-Type"], response["X-Content-Type-Options"]) == ("image/png", "nosniff")
        assert response["Content-Security-Policy"] == "sandbox"


# Files stored before these rules -------------------------------------------------------------------


def _old_document(household, name, content, content_type):
    """A row as the old code left it: the client's own name, a type guessed from the first bytes."""
    stored = default_storage.save(
        f"households/{household.community_id}/{household.pk}/{name}", ContentFile(content)
    )
    return Document.objects.create(
        community=household.community,
        household=household,
        kind="deed",
        title=name,
        file=stored,
        content_type=content_type,
        size=len(content),
    )


def test_old_files_are_typed_by_content_and_renamed(household, media, django_capture_on_commit_callbacks):
    page = _old_document(household, "evil.html", HOSTILE["html-with-png-magic"], "image/png")
    picture = _old_document(household, "plan.png", image_bytes("PNG"), "image/png")
    deed = _old_document(household, "deed.pdf", b"%PDF-1.4\n", "application/pdf")
    missing = _old_document(household, "gone.png", image_bytes("PNG"), "image/png")
    default_storage.delete(missing.file.name)
    migration = importlib.import_module("wuye.households.migrations.0002_documents_checked_by_content")

    with django_capture_on_commit_callbacks(execute=True):
        migration.recheck(apps, None)

    types = {d.title: d.content_type for d in Document.objects.all()}
    assert types == {
        "evil.html": UNVERIFIED,
        "plan.png": "image/png",
        "deed.pdf": "application/pdf",
        "gone.png": UNVERIFIED,
    }
    for document in (page, picture, deed):
        document.refresh_from_db()
        assert GENERATED.match(document.file.name) or document.file.name.endswith(".bin")
    assert sorted(path.name for path in files_under(media)) == sorted(
        Document.objects.get(pk=d.pk).file.name.rsplit("/", 1)[1] for d in (page, picture, deed)
    )
    assert not any(path.name in {"evil.html", "plan.png", "deed.pdf"} for path in files_under(media))


def test_an_old_page_with_image_magic_is_served_only_as_a_download(client, household):
    page = _old_document(household, "evil.html", HOSTILE["html-with-png-magic"], "image/png")
    stored_file_recheck(page, accept=DOCUMENTS)
    response, body = _fetch(client, household, page)
    assert (response["Content-Type"], body) == (UNVERIFIED, HOSTILE["html-with-png-magic"])
    assert response["Content-Disposition"] == 'attachment; filename="evil.html.bin"'


def test_the_service_photos_migration_rechecks_old_photos(
    household, media, django_capture_on_commit_callbacks
):
    request = ServiceRequestFactory(community=household.community, household=household)
    name = default_storage.save(f"service/{household.community_id}/{request.pk}/x.png", ContentFile(SCRIPT))
    photo = RequestPhoto.objects.create(
        community=household.community, request=request, file=name, content_type="image/png", size=len(SCRIPT)
    )
    migration = importlib.import_module("wuye.service.migrations.0002_photos_checked_by_content")

    with django_capture_on_commit_callbacks(execute=True):
        migration.recheck(apps, None)

    photo.refresh_from_db()
    assert photo.content_type == UNVERIFIED and photo.file.name.endswith(".bin")
    assert [path.name for path in files_under(media)] == [photo.file.name.rsplit("/", 1)[1]]


# No address serves the uploads folder ----------------------------------------------------------------


def test_no_url_serves_uploads_even_in_debug(settings):
    import wuye.urls

    settings.DEBUG = True
    try:
        urls = importlib.reload(wuye.urls)
        for path in (
            "/households/1/2/evil.html",
            "/media/households/1/2/evil.html",
            f"{settings.MEDIA_URL}x.png",
        ):
            with pytest.raises(Resolver404):
                resolve(path, urlconf=urls)
    finally:
        settings.DEBUG = False
        importlib.reload(wuye.urls)
        clear_url_caches()
