"""Reusable paysim fixtures. Use them from any conftest.py:

    from tests.paysim.fixtures import alipay_account, notify_sink, paysim, wechat_account  # noqa: F401

- ``paysim``: a PaySim serving on a free loopback port for the whole session, emptied before each test
  (orders, refunds, deliveries, faults). ``paysim.base_url`` is the WeChat gateway,
  ``paysim.alipay_gateway`` the Alipay one.
- ``wechat_account(key_mode="public_key", **fields)`` / ``alipay_account(**fields)``: an UNSAVED
  ChannelAccount pointing at paysim with the committed test keys (pass ``community=`` and ``.save()`` it
  for tests that need it in the database, or use ``wuye.paysim.seed.paysim_accounts``).
- ``notify_sink``: a loopback HTTP server that records the notifications paysim posts to it
  (``notify_sink.url``, ``notify_sink.received``: list of (path, headers, body); ``notify_sink.answer``:
  (status, body) it answers with).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from wuye.payments.enums import PaymentMethod, WechatKeyMode
from wuye.payments.models import ChannelAccount
from wuye.paysim import keys as sim_keys
from wuye.paysim.server import PaySim

REF = sim_keys.REF


@pytest.fixture(scope="session")
def _paysim_server():
    sim = PaySim(host="127.0.0.1", port=0).start()
    yield sim
    sim.stop()


@pytest.fixture
def paysim(_paysim_server):
    _paysim_server.reset()
    yield _paysim_server
    _paysim_server.drain(timeout=5)


def make_wechat_account(sim: PaySim, *, key_mode: str = WechatKeyMode.PUBLIC_KEY, **fields) -> ChannelAccount:
    public_key_mode = key_mode == WechatKeyMode.PUBLIC_KEY
    values = {
        "method": PaymentMethod.WECHAT,
        "merchant_id": sim_keys.WECHAT_MCHID,
        "app_id": sim_keys.WECHAT_APPID,
        "key_mode": key_mode,
        "merchant_serial_no": (sim_keys.KEYS_DIR / "merchant_serial.txt").read_text().strip(),
        "private_key_ref": REF + "merchant_private.pem",
        "apiv3_key_ref": REF + "apiv3_key.txt",
        "platform_public_key_ref": REF + "wechat_pubkey_public.pem" if public_key_mode else "",
        "platform_public_key_id": (sim_keys.KEYS_DIR / "wechat_pubkey_id.txt").read_text().strip()
        if public_key_mode
        else "",
        "gateway_url": sim.base_url,
    }
    values.update(fields)
    return ChannelAccount(**values)


def make_alipay_account(sim: PaySim, **fields) -> ChannelAccount:
    values = {
        "method": PaymentMethod.ALIPAY,
        "merchant_id": sim_keys.ALIPAY_SELLER_ID,
        "app_id": sim_keys.ALIPAY_APPID,
        "private_key_ref": REF + "alipay_app_private.pem",
        "platform_public_key_ref": REF + "alipay_public.pem",
        "gateway_url": sim.alipay_gateway,
    }
    values.update(fields)
    return ChannelAccount(**values)


@pytest.fixture
def wechat_account(paysim):
    return lambda key_mode=WechatKeyMode.PUBLIC_KEY, **fields: make_wechat_account(
        paysim, key_mode=key_mode, **fields
    )


@pytest.fixture
def alipay_account(paysim):
    return lambda **fields: make_alipay_account(paysim, **fields)


class NotifySink:
    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.answer: tuple[int, bytes] = (200, b"")
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink.lock:
                    sink.received.append((self.path, dict(self.headers.items()), body))
                    status, answer = sink.answer
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/notify"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def notify_sink():
    sink = NotifySink()
    yield sink
    sink.stop()
