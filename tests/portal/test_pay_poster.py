"""The community's pay poster: one token per community, an A4 PDF with the community's pay address."""

import logging
import shutil
import subprocess

import pytest
from django.urls import reverse

from tests.factories import CommunityFactory
from wuye.core.models import AuditLog
from wuye.portal.domain.poster import community_pay_url, payposter_ensure, poster_pdf
from wuye.portal.models import PayPoster


def _run(tool: str, *args: str) -> str:
    return subprocess.run(  # noqa: S603 (a fixed poppler command on our own temporary file)
        [shutil.which(tool) or tool, *args], capture_output=True, check=True, text=True
    ).stdout


def test_payposter_is_created_once_per_community_and_logged(community):
    first = payposter_ensure(community=community)
    again = payposter_ensure(community=community)
    other = payposter_ensure(community=CommunityFactory())
    assert first.pk == again.pk
    assert first.token != other.token
    assert len(first.token) == 22
    assert PayPoster.objects.count() == 2
    assert AuditLog.objects.filter(action="portal.payposter.created").count() == 2


def test_community_pay_url_is_absolute_on_the_public_address(community, settings):
    settings.PUBLIC_URL = "https://wuye.example.com"
    poster = payposter_ensure(community=community)
    assert community_pay_url(community) == f"https://wuye.example.com/m/pay/{poster.token}/"
    assert reverse("portal:pay_entry", kwargs={"token": poster.token}) == f"/m/pay/{poster.token}/"


def test_poster_pdf_is_one_a4_page_with_the_pay_address(community, settings, tmp_path):
    settings.PUBLIC_URL = "https://wuye.example.com"
    community.name = "阳光花园"
    community.save()

    content = poster_pdf(community)

    assert content.startswith(b"%PDF-")
    assert content.rstrip().endswith(b"%%EOF")
    assert 10_000 < len(content) < 500_000
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils is not installed: the PDF's text is not checked")
    path = tmp_path / "poster.pdf"
    path.write_bytes(content)
    text = _run("pdftotext", str(path), "-")
    assert community_pay_url(community) in text
    assert "阳光花园" in text  # the CJK font is embedded: the name is text, not boxes
    info = _run("pdfinfo", str(path))
    fields = {
        key.strip(): value.strip() for key, _sep, value in (row.partition(":") for row in info.splitlines())
    }
    assert (fields["Pages"], fields["Page size"]) == ("1", "595.276 x 841.89 pts (A4)")


def test_poster_prints_a_community_name_with_rare_characters_whole(community, tmp_path, caplog):
    community.name = "㐀𠀁花园"  # CJK Extension A and B, in the fallback fonts only
    community.save()

    with caplog.at_level(logging.WARNING, logger="wuye.core.pdffonts"):
        content = poster_pdf(community)

    path = tmp_path / "poster.pdf"
    path.write_bytes(content)
    assert "㐀𠀁花园\n" in _run("pdftotext", str(path), "-")
    assert caplog.records == []
