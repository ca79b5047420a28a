"""Where a channel account may point: key files only inside the secrets folder, key variables only with
the configured prefix, paysim's test keys only while paysim stands in for the channels, gateways only
the real services or the operator's list. A refusal reads nothing and repeats nothing it could have read."""

from __future__ import annotations

import pytest

from wuye.core import references
from wuye.core.references import (
    ReferenceRefusedError,
    gateway_check,
    key_reference_path,
    key_resolve,
)
from wuye.payments.channels import adapter_for
from wuye.paysim import keys as sim_keys

SECRET = "TOP-SECRET-CONTENT-OF-A-SERVER-FILE"


@pytest.fixture
def secrets_dir(tmp_path, settings):
    folder = tmp_path / "secrets"
    folder.mkdir()
    settings.SECRETS_DIR = folder
    return folder


@pytest.fixture
def server_file(tmp_path):
    """A file of the server outside the secrets folder, as /etc/passwd is."""
    path = tmp_path / "elsewhere" / "passwd"
    path.parent.mkdir()
    path.write_text(SECRET)
    return path


def refused(reference: str) -> str:
    """The refusal's message, after checking that resolving it read no file."""
    reads = references._key_file.cache_info().misses
    with pytest.raises(ReferenceRefusedError) as error:
        key_resolve(reference)
    assert references._key_file.cache_info().misses == reads
    return str(error.value)


@pytest.mark.parametrize(
    "reference",
    [
        "file:/etc/passwd",
        "file:../elsewhere/passwd",
        "file:sub/../../elsewhere/passwd",
        "file:",
        "env:PATH",
        "env:HOME",
        "env:WUYE_SECRET_KEY",
        "env:WUYE_CHANNEL_",
        "env:wuye_channel_key",
        "-----BEGIN PRIVATE KEY-----\nMIIE",
        "0123456789abcdef0123456789abcdef",
        "http://169.254.169.254/latest/meta-data",
    ],
)
def test_references_outside_the_rules_are_refused_and_nothing_is_read(secrets_dir, server_file, reference):
    message = refused(reference)

    assert SECRET not in message and "root:" not in message
    with pytest.raises(ReferenceRefusedError):
        key_reference_path(reference)


def test_an_absolute_path_to_a_server_file_is_refused_whatever_it_holds(secrets_dir, server_file):
    assert SECRET not in refused(f"file:{server_file}")


def test_a_link_in_the_secrets_folder_leading_out_of_it_is_refused(secrets_dir, server_file):
    (secrets_dir / "wechat.pem").symlink_to(server_file)
    (secrets_dir / "keys").symlink_to(server_file.parent, target_is_directory=True)

    assert SECRET not in refused("file:wechat.pem")
    assert SECRET not in refused("file:keys/passwd")


def test_files_inside_the_secrets_folder_and_prefixed_variables_are_read(secrets_dir, monkeypatch):
    (secrets_dir / "wechat").mkdir()
    (secrets_dir / "wechat" / "apiv3.txt").write_text("k" * 32)
    (secrets_dir / "current.txt").symlink_to(secrets_dir / "wechat" / "apiv3.txt")  # a link inside
    monkeypatch.setenv("WUYE_CHANNEL_ALIPAY_KEY", "from the environment")

    assert key_resolve("file:wechat/apiv3.txt") == "k" * 32
    assert key_resolve(f"file:{secrets_dir}/wechat/apiv3.txt") == "k" * 32
    assert key_resolve("file:current.txt") == "k" * 32
    assert key_resolve("env:WUYE_CHANNEL_ALIPAY_KEY") == "from the environment"
    assert key_resolve("") == ""


def test_the_variable_prefix_is_a_setting(settings, monkeypatch):
    settings.CHANNEL_ENV_PREFIX = "PAYKEYS_"
    monkeypatch.setenv("PAYKEYS_WECHAT", "k")

    assert key_resolve("env:PAYKEYS_WECHAT") == "k"
    assert "PAYKEYS_" in refused("env:WUYE_CHANNEL_WECHAT")


def test_a_missing_key_file_is_named_not_guessed(secrets_dir):
    assert "file:absent.pem" in refused("file:absent.pem")


def test_paysim_test_keys_only_while_paysim_stands_in_for_the_channels(settings):
    reference = sim_keys.REF + "apiv3_key.txt"
    assert key_resolve(reference) == (sim_keys.KEYS_DIR / "apiv3_key.txt").read_text()
    for outside in ("paysim:../keys.py", "paysim:../../settings.py", "paysim:..", "paysim:"):
        refused(outside)

    settings.PAYSIM_ENABLED = False  # production

    assert "paysim" in refused(reference)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("wechat", ""),
        ("wechat", "https://api.mch.weixin.qq.com"),
        ("wechat", "https://api2.mch.weixin.qq.com/"),
        ("alipay", "https://openapi.alipay.com/gateway.do"),
    ],
)
def test_the_channels_real_services_are_allowed_in_production(settings, method, url):
    settings.PAYSIM_ENABLED = False
    gateway_check(method, url)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com",
        "https://api.mch.weixin.qq.com.evil.example.com",
        "https://user:pw@api.mch.weixin.qq.com",
        "http://api.mch.weixin.qq.com",
        "http://127.0.0.1:8001",
        "http://169.254.169.254/latest",
        "file:///etc/passwd",
        "https://openapi.alipay.com/gateway.do",  # Alipay's, for a WeChat Pay account
    ],
)
def test_other_gateways_are_refused_in_production(settings, url):
    settings.PAYSIM_ENABLED = False
    with pytest.raises(ReferenceRefusedError):
        gateway_check("wechat", url)


def test_the_operator_allows_more_gateways_and_paysim_is_allowed_while_it_stands_in(settings):
    settings.PAYSIM_ENABLED = False
    settings.CHANNEL_GATEWAYS = ["https://pay-proxy.example.com:8443"]
    gateway_check("wechat", "https://pay-proxy.example.com:8443/")
    with pytest.raises(ReferenceRefusedError):
        gateway_check("wechat", "https://pay-proxy.example.com")

    settings.PAYSIM_ENABLED = True
    settings.WUYE_PAYSIM_URL = "http://paysim.internal:8001"
    gateway_check("wechat", "http://127.0.0.1:40123")
    gateway_check("alipay", "http://paysim.internal:8001/gateway.do")
    with pytest.raises(ReferenceRefusedError):
        gateway_check("wechat", "https://evil.example.com")


def test_the_adapter_refuses_an_account_written_around_the_form(
    wechat_account, alipay_account, secrets_dir, server_file, settings
):
    for account in (
        wechat_account(private_key_ref="file:/etc/passwd"),
        wechat_account(apiv3_key_ref="env:PATH"),
        wechat_account(platform_public_key_ref=f"file:{server_file}"),
        wechat_account(gateway_url="https://evil.example.com"),
        wechat_account(merchant_id="../../../tmp"),
        alipay_account(private_key_ref="file:/etc/passwd"),
        alipay_account(gateway_url="https://evil.example.com/gateway.do"),
    ):
        with pytest.raises(ReferenceRefusedError) as error:
            adapter_for(account)
        assert SECRET not in str(error.value) and "root:" not in str(error.value)
    settings.PAYSIM_ENABLED = False
    with pytest.raises(ReferenceRefusedError):
        adapter_for(wechat_account())  # paysim's keys and address: not in production
