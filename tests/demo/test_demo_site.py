"""`make demo` serves as production does: gunicorn, debug off (WUYE_DEMO), static files by WhiteNoise,
the product's own 404 page; and beside it the outbox's sender, so a notice's SMS to a community goes out.
"""

import json
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.conftest import fetch, site
from tests.demo.test_demo import SMALL, run_demo
from wuye.core.models import Community
from wuye.notices.domain.notices import notice_create, notice_publish
from wuye.notifications.domain.outbox import INLINE_DELIVERY_MAX
from wuye.notifications.models import Message

MAKEFILE = (Path(__file__).resolve().parents[2] / "Makefile").read_text(encoding="utf-8")


def demo_recipe() -> str:
    return MAKEFILE.split("\ndemo: setup", 1)[1].split("\n\n", 1)[0]


def test_make_demo_serves_with_gunicorn_in_the_demo_mode_and_runs_the_senders():
    assert "\ndemo: export WUYE_DEMO = 1\n" in MAKEFILE and "\ndemo: export WUYE_DEBUG =\n" in MAKEFILE
    recipe = demo_recipe()
    assert "wuye collectstatic --noinput" in recipe
    assert re.search(r"wuye notifications_send --every \d+ .*& send=\$\$!", recipe)
    assert re.search(r"wuye payments sweep --every 60 .*& sweep=\$\$!", recipe)
    assert "kill $$paysim $$sweep $$send" in recipe
    assert "gunicorn wuye.wsgi:application --bind 127.0.0.1:8000" in recipe
    assert "runserver" not in recipe and "WUYE_DEBUG=1" not in recipe


def test_a_demo_notices_sms_to_the_community_is_sent_by_the_demos_sender(db, settings, caplog):
    settings.DEBUG, settings.DEMO = False, True
    run_demo("--scale", str(SMALL))
    community = Community.objects.order_by("pk").first()
    notice = notice_create(
        community=community,
        title="二期停水通知",  # a title of its own: the seed publishes a 停水通知 too
        body="明日9:00-17:00停水。",
        actor=get_user_model().objects.get(username="admin"),
    )
    notice_publish(notice=notice, actor=None)
    sms = Message.objects.filter(
        community=community, event__startswith="notices.", channel="sms", body__contains="二期停水通知"
    )
    queued = sms.count()
    assert queued > INLINE_DELIVERY_MAX  # too many for the request to deliver: the sender's work
    assert set(sms.values_list("state", flat=True)) == {"queued"}
    all_queued = Message.objects.filter(state="queued").count()  # the seed's own notices' too

    passes = []
    with caplog.at_level("INFO", logger="wuye.notifications"):
        while Message.objects.filter(state="queued").exists() and len(passes) < 20:
            call_command("notifications_send", stdout=(out := StringIO()))  # a pass of `make demo`'s sender
            passes.append(out.getvalue().strip())

    sent = sum(int(line.split(",")[0].removeprefix("sent ")) for line in passes)
    assert sent == all_queued and all(line.endswith("retrying 0, failed 0") for line in passes)
    assert set(sms.values_list("state", flat=True)) == {"sent"}
    logged = [record for record in caplog.records if "二期停水通知" in record.getMessage()]
    assert len(logged) == queued


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """The demo's server as `make demo` starts it: WUYE_DEMO, no keys given, static files collected."""
    folder = tmp_path_factory.mktemp("demo")
    environ = {
        "WUYE_DEMO": "1",
        "WUYE_SECRET_KEY": "",
        "WUYE_FIELD_KEY": "",
        "DATABASE_URL": "",
        "WUYE_DATA_DIR": str(folder),
    }
    collect = subprocess.run(
        [sys.executable, "-m", "wuye", "collectstatic", "--noinput", "-v", "0"],
        env={"PATH": "/usr/bin:/bin", **environ},
        capture_output=True,
        text=True,
        check=False,
    )
    assert collect.returncode == 0, collect.stderr
    with site(folder, **environ) as base:
        yield base, folder


def test_the_demo_site_answers_a_missing_page_with_the_products_404(demo_site):
    base, folder = demo_site

    status, _headers, body = fetch(base, "/console/no-such-page/")

    assert status == 404
    assert "<h1>页面不存在</h1>" in body and '<a href="/">返回首页</a>' in body
    assert "URLconf" not in body and str(folder) not in body
    assert (folder / "demo-keys" / "secret-key").exists() and (folder / "demo-keys" / "field-key").exists()


def test_the_demo_site_serves_static_files_through_whitenoise_and_no_uploads(demo_site):
    base, folder = demo_site
    manifest = json.loads((folder / "static" / "staticfiles.json").read_text())["paths"]
    hashed = manifest["console/console.css"]

    status, headers, _body = fetch(base, f"/static/{hashed}")
    uploads_status, _headers, uploads_body = fetch(base, "/uploads-are-not-served-directly/documents/x.pdf")

    assert status == 200
    assert (
        headers["Cache-Control"] == "max-age=315360000, public, immutable"
    )  # WhiteNoise's, for hashed names
    assert uploads_status == 404 and "<h1>页面不存在</h1>" in uploads_body
