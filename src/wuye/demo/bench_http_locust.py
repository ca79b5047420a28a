"""The owners ``wuye bench http`` drives: a locust file (run by locust, headless, never imported by
Django). Read the bench's data (``WUYE_BENCH_DATA``: owners' sessions, households, paysim's address) and
write every request's outcome to ``WUYE_BENCH_RESULT`` when locust quits.

``Owner``: an owner signed in to the portal (a session of their own), who opens the home page, lists the
household's open bills, opens a receipt, and now and then pays: the bills page, the order (Wuye asks
paysim's WeChat Pay for a QR code), the QR page, the owner confirms on paysim's phone page (paysim's
notification then comes back to Wuye's notify endpoint), and the status area polled until it shows the
receipt. An owner who has paid is replaced by the next signed-in owner. ``Bare``: the bare view, one
household looked up by primary key, for the framework's ceiling.
"""

from __future__ import annotations

import json
import os
import re
import time
from http.cookiejar import Cookie
from urllib.parse import urlencode

from locust import FastHttpUser, events, task

DATA = json.loads(open(os.environ["WUYE_BENCH_DATA"], encoding="utf-8").read())  # noqa: SIM115
RESULT = os.environ["WUYE_BENCH_RESULT"]
SIM = "sim"  # requests to paysim (the owner's phone), not to Wuye: left out of the figures
STATUS_POLLS = 20
OUTCOMES: list[tuple[float, float, str, str]] = []  # (started, milliseconds, error or "", name) per request
PAYMENTS = {"started": 0, "receipt_shown": 0}
_next = {"owner": 0, "household": 0}

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LINE = re.compile(r'name="lines" value="(\d+)"')
ATTEMPT = re.compile(r"/m/pay/attempts/(\d+)/$")
PHONE = re.compile(r'href="(http://[^"]+/phone/[^"/]+)"')


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception, start_time=None, **_kwargs):
    if name.startswith(SIM):
        return
    error = f"{name}: {exception}"[:200] if exception is not None else ""
    OUTCOMES.append((start_time or time.time(), response_time, error, name))


@events.quitting.add_listener
def _write(environment, **_kwargs):
    with open(RESULT, "w", encoding="utf-8") as out:
        json.dump({"outcomes": OUTCOMES, "payments": PAYMENTS}, out)


def _take(kind: str, items: list):
    index = _next[kind]
    _next[kind] += 1
    return items[index % len(items)]


class Owner(FastHttpUser):
    # No thinking time: each simulated owner stands for many real ones, and the run asks what the server
    # sustains. The server's sync workers answer one request per connection (as behind nginx); the
    # client opens the next one.
    def on_start(self) -> None:
        self._sign_in()

    def _sign_in(self) -> None:
        session, self.household, self.receipt = _take("owner", DATA["owners"])
        self.client.cookiejar.clear()
        host = DATA["host"]
        self.client.cookiejar.set_cookie(
            Cookie(
                0, DATA["session_cookie"], session, None, False, host, False, False, "/", True,
                False, None, False, None, None, {},
            )
        )  # fmt: skip
        # The owner's pay button: the session remembers the household whose bills the pay pages show.
        self.client.get("/m/pay/mine/", allow_redirects=False, name="/m/pay/mine/")

    @task(5)
    def home(self) -> None:
        self.client.get("/m/", name="/m/")

    @task(3)
    def bills(self) -> None:
        self.client.get("/m/pay/", name="/m/pay/")

    @task(2)
    def receipt(self) -> None:
        self.client.get(f"/r/{self.receipt}/", name="/r/[token]/")

    @task(1)
    def pay(self) -> None:
        page = self.client.get("/m/pay/", name="/m/pay/")
        lines = LINE.findall(page.text or "")
        token = CSRF.search(page.text or "")
        if not lines or token is None:
            self._sign_in()  # this household has nothing left to pay
            return
        with self.client.post(
            "/m/pay/",
            data=urlencode(
                {"csrfmiddlewaretoken": token.group(1), "lines": lines, "method": "wechat"}, doseq=True
            ),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            allow_redirects=False,
            name="/m/pay/ (order)",
            catch_response=True,
        ) as answer:
            attempt = ATTEMPT.search(answer.headers.get("Location") or "")
            if answer.status_code != 302 or attempt is None:
                answer.failure(f"no order: {answer.status_code}")
                return
        PAYMENTS["started"] += 1
        path = f"/m/pay/attempts/{attempt.group(1)}/"
        qr = self.client.get(path, name="/m/pay/attempts/[pk]/")
        phone = PHONE.search(qr.text or "")
        if phone is None:
            return
        # The owner scans and confirms on the phone: paysim notifies Wuye.
        self.client.get(phone.group(1), name=f"{SIM} scan")
        self.client.post(phone.group(1) + "/confirm", data={}, name=f"{SIM} confirm")
        for _poll in range(STATUS_POLLS):
            status = self.client.get(path + "status/", name="/m/pay/attempts/[pk]/status/")
            if 'data-state="succeeded"' in (status.text or ""):
                PAYMENTS["receipt_shown"] += 1
                break
            time.sleep(0.25)
        self._sign_in()


class Bare(FastHttpUser):
    @task
    def lookup(self) -> None:
        self.client.get(f"/_bench/households/{_take('household', DATA['households'])}/", name="bare")
