"""The client address behind trusted proxies, and the buckets rate limits count by."""

import os
import subprocess
import sys

import pytest

from wuye.core.net import address_bucket, client_address


def request(rf, remote, forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **headers)


def test_without_trusted_proxies_the_forwarded_header_is_ignored(rf, settings):
    settings.TRUSTED_PROXIES = []

    assert client_address(request(rf, "198.51.100.4", "203.0.113.9")) == "198.51.100.4"


def test_behind_a_trusted_proxy_the_client_is_the_hop_it_saw(rf, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]

    assert client_address(request(rf, "127.0.0.1", "203.0.113.9")) == "203.0.113.9"
    assert client_address(request(rf, "127.0.0.1")) == "127.0.0.1"


def test_a_client_cannot_choose_its_address_by_sending_the_header(rf, settings):
    """What the client wrote stands left of what the proxy appended: the right-most untrusted hop."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]

    assert client_address(request(rf, "127.0.0.1", "1.2.3.4, 203.0.113.9")) == "203.0.113.9"
    assert client_address(request(rf, "127.0.0.1", "10.0.0.5, 203.0.113.9")) == "203.0.113.9"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(rf, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8:ffff::/48"]

    assert client_address(request(rf, "10.0.0.1", "1.2.3.4, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"
    assert client_address(request(rf, "2001:db8:ffff::1", "2001:db8:1::7, 10.9.9.9")) == "2001:db8:1::7"
    assert client_address(request(rf, "10.0.0.1", "10.0.0.3, 10.0.0.2")) == "10.0.0.3"


def test_an_untrusted_peer_is_the_client_whatever_it_forwards(rf, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]

    assert client_address(request(rf, "198.51.100.4", "127.0.0.1")) == "198.51.100.4"


def test_a_malformed_hop_stops_the_walk_at_the_last_trusted_one(rf, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert client_address(request(rf, "10.0.0.1", "203.0.113.9, not-an-address")) == "10.0.0.1"
    assert client_address(request(rf, "10.0.0.1", "203.0.113.9, unknown, 10.0.0.2")) == "10.0.0.2"


def test_addresses_are_written_one_way(rf, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]

    assert client_address(request(rf, "::ffff:198.51.100.4")) == "198.51.100.4"
    assert client_address(request(rf, "127.0.0.1", "[2001:DB8::1]:5100")) == "2001:db8::1"
    assert client_address(request(rf, "127.0.0.1", "203.0.113.9:5100")) == "203.0.113.9"
    assert client_address(request(rf, "")) == ""


def test_an_ipv6_client_is_counted_by_its_64():
    assert (
        address_bucket("2001:db8:1:2:aaaa::1")
        == address_bucket("2001:db8:1:2:bbbb::2")
        == "2001:db8:1:2::/64"
    )
    assert address_bucket("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert address_bucket("203.0.113.9") == "203.0.113.9"
    assert address_bucket("::ffff:203.0.113.9") == "203.0.113.9"
    assert address_bucket("") == ""


@pytest.mark.parametrize(("value", "starts"), [("10.0.0.0/8, ::1", True), ("10.0.0.0/8, proxy.local", False)])
def test_settings_refuse_a_trusted_proxy_that_is_not_an_address(value, starts):
    environment = {**os.environ, "WUYE_TRUSTED_PROXIES": value, "DJANGO_SETTINGS_MODULE": "wuye.settings"}
    finished = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.TRUSTED_PROXIES)"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert (finished.returncode == 0) is starts
    if starts:
        assert finished.stdout.strip() == "['10.0.0.0/8', '::1']"
    else:
        assert "WUYE_TRUSTED_PROXIES: 'proxy.local' is not an address or network." in finished.stderr
