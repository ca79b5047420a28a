"""Where an account at an outside service may point: its key references and its gateway.

The accounts are a community's merchant accounts at the payment channels and a company's SMS
provider account (``notifications``). An administrator sets these, so they are held to what the
operator configured, not to what the server can reach: a key is read only from a file inside the secrets folder (``WUYE_SECRETS_DIR``)
or from an environment variable named with ``WUYE_CHANNEL_ENV_PREFIX``, never from anywhere else on
the server; a gateway is the channel's real service, an address in ``WUYE_CHANNEL_GATEWAYS``, or, when
paysim stands in for the channels (``WUYE_PAYSIM``, on in debug mode), paysim. paysim's public test keys
are named ``paysim:NAME`` and resolve only to its packaged folder, and only then.

The same rules run when the console's form is saved, when the domain saves the account, and when an
adapter resolves the keys (defence in depth: a row written by other means is still held to them). A
refusal names the rule, never a key or what a file holds; nothing is read before the check passes.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

PAYSIM_KEYS_DIR = Path(__file__).resolve().parent.parent / "paysim" / "keys"
PAYSIM_SCHEME = "paysim:"

# The channels' own services (blank gateway = these, as the SDKs default).
REAL_GATEWAYS: dict[str, tuple[str, ...]] = {
    "wechat": ("https://api.mch.weixin.qq.com", "https://api2.mch.weixin.qq.com"),
    "alipay": (
        "https://openapi.alipay.com",
        "https://openapi-sandbox.dl.alipaydev.com",
        "https://openapi.alipaydev.com",
    ),
    "aliyun": ("https://dysmsapi.aliyuncs.com",),  # Alibaba Cloud SMS
    "tencent": ("https://sms.tencentcloudapi.com",),  # Tencent Cloud SMS
    "wechat_mp": ("https://api.weixin.qq.com", "https://open.weixin.qq.com"),  # WeChat official accounts
}
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class ReferenceRefusedError(ValueError):
    """A key reference or gateway an account may not use; the message is translated and names the rule."""


def paysim_enabled() -> bool:
    return bool(getattr(settings, "PAYSIM_ENABLED", False))


def secrets_dir() -> Path:
    return Path(settings.SECRETS_DIR)


def env_prefix() -> str:
    return settings.CHANNEL_ENV_PREFIX


@functools.lru_cache(maxsize=256)
def _inside(name: str, folder: Path) -> Path:
    """``name`` (relative to ``folder``, or absolute) with every link followed, if it stays inside
    ``folder`` (itself with links followed); ReferenceRefusedError otherwise.

    A path that passed is cached (refusals are not): following links costs a system call per folder
    level, and every notification resolves its account's keys. What the cached path names can only
    change by writing inside the secrets folder, which is the operator's."""
    path = Path(name)
    if ".." in PurePosixPath(name).parts:
        raise ReferenceRefusedError(_("A key file is named without “..”."))
    try:
        root = folder.resolve()
        resolved = (folder / path).resolve()
    except (OSError, ValueError, RuntimeError):  # a NUL byte, a link loop
        raise ReferenceRefusedError(_("This key file name cannot be used.")) from None
    if resolved == root or not resolved.is_relative_to(root):
        raise ReferenceRefusedError(
            _(
                "Key files are read only from the secrets folder (WUYE_SECRETS_DIR), not through links out of it."
            )
        )
    return resolved


def key_reference_path(reference: str) -> Path | None:
    """Check a key reference; the file it names (None for an environment variable or no reference).

    ``file:NAME`` a file inside the secrets folder (NAME relative to it, or an absolute path inside it);
    ``env:NAME`` an environment variable whose name starts with the configured prefix; ``paysim:NAME``
    one of paysim's test keys, only while paysim stands in for the channels. Raises
    ReferenceRefusedError for anything else, including a key written out in the reference."""
    reference = reference or ""
    if not reference:
        return None
    if reference.startswith("env:"):
        name, prefix = reference[4:], env_prefix()
        if not prefix or not _ENV_NAME.match(name) or not name.startswith(prefix) or name == prefix:
            raise ReferenceRefusedError(
                _(
                    "Keys are read only from environment variables named %(prefix)s…, e.g. env:%(prefix)sWECHAT_KEY."
                )
                % {"prefix": prefix}
            )
        return None
    if reference.startswith("file:"):
        name = reference[5:]
        if not name:
            raise ReferenceRefusedError(_("Name the key file: file:NAME, in the secrets folder."))
        return _inside(name, secrets_dir())
    if reference.startswith(PAYSIM_SCHEME):
        if not paysim_enabled():
            raise ReferenceRefusedError(
                _(
                    "paysim's test keys are public: they are for the demo and the tests, not for real payments."
                )
            )
        name = reference[len(PAYSIM_SCHEME) :]
        if not name or "/" in name:
            raise ReferenceRefusedError(_("Name one of paysim's test keys: paysim:NAME."))
        return _inside(name, PAYSIM_KEYS_DIR)
    raise ReferenceRefusedError(
        _(
            "Give where the key is: file:NAME (in the secrets folder) or env:%(prefix)sNAME; never the key itself."
        )
        % {"prefix": env_prefix()}
    )


def key_reference_clean(value: str, *, required: bool) -> str:
    """A key reference typed into a form, as the rules above allow it (the file is not read); a
    ``forms.ValidationError`` naming the rule otherwise."""
    from django import forms

    value = (value or "").strip()
    if not value:
        if required:
            raise forms.ValidationError(_("This key is required."))
        return ""
    try:
        key_reference_path(value)
    except ReferenceRefusedError as refused:
        raise forms.ValidationError(str(refused)) from None
    return value


def key_resolve(reference: str) -> str:
    """The key a reference names, read only after the reference passed ``key_reference_path``. A missing
    file or variable gives ReferenceRefusedError naming the reference, never anything read."""
    if not reference:
        return ""
    path = key_reference_path(reference)
    if path is None:
        return os.environ.get(reference[4:], "")
    try:
        return _key_file(str(path), path.stat().st_mtime_ns)
    except (OSError, UnicodeDecodeError):
        raise ReferenceRefusedError(
            _("The key file %(reference)s cannot be read.") % {"reference": reference}
        ) from None


@functools.lru_cache(maxsize=64)
def _key_file(path: str, _mtime_ns: int) -> str:
    """A key file's text, read again when the file changes (its modification time is in the cache key)."""
    return Path(path).read_text(encoding="utf-8")


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL without user info; None for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def gateway_check(method: str, url: str) -> None:
    """A gateway an account of ``method`` may use: blank (the real service), the channel's real service,
    an address in WUYE_CHANNEL_GATEWAYS, or, while paysim stands in for the channels, WUYE_PAYSIM_URL or
    any address on this machine. Raises ReferenceRefusedError otherwise."""
    if not url:
        return
    paysim_url = getattr(settings, "WUYE_PAYSIM_URL", "") if paysim_enabled() else None
    if _gateway_allowed(method, url, tuple(settings.CHANNEL_GATEWAYS), paysim_url):
        return
    raise ReferenceRefusedError(
        _(
            "This gateway is not allowed: leave it empty for the channel's real service, or use an address "
            "the operator allowed (WUYE_CHANNEL_GATEWAYS)."
        )
    )


@functools.lru_cache(maxsize=256)
def _gateway_allowed(method: str, url: str, gateways: tuple[str, ...], paysim_url: str | None) -> bool:
    """``paysim_url``: None unless paysim stands in for the channels. Cached: every notification asks."""
    origin = _origin(url)
    if origin is None:
        return False
    allowed = {_origin(known) for known in (*REAL_GATEWAYS.get(method, ()), *gateways)}
    if paysim_url is not None:
        if _loopback(origin[1]):
            return True
        allowed.add(_origin(paysim_url))
    return origin in allowed


_MERCHANT_ID = re.compile(r"^[0-9A-Za-z_-]*$")


def merchant_id_check(merchant_id: str) -> None:
    """Merchant ids are letters and digits (WeChat's mchid, Alipay's PID); the WeChat adapter names its
    certificate folder after one, so nothing else may pass."""
    if not _MERCHANT_ID.match(merchant_id or ""):
        raise ReferenceRefusedError(_("A merchant id has only letters and digits."))
