"""paysim's committed test keys (see keys/README.md), the test merchant's ids, and the signing
primitives both channels use: SHA256withRSA (PKCS#1 v1.5) and, for WeChat, AES-256-GCM."""

from __future__ import annotations

import base64
import functools
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEYS_DIR = Path(__file__).resolve().parent / "keys"
# References for ChannelAccount key fields: "paysim:NAME" resolves to KEYS_DIR only, and only while paysim
# stands in for the channels (WUYE_PAYSIM or debug mode; see wuye.core.references).
REF = "paysim:"

# The test merchant (any merchant id and app id are accepted; these are the demo's).
WECHAT_MCHID = "1900000109"
WECHAT_APPID = "wxd678efh567hg6787"
ALIPAY_APPID = "2021000000000001"
ALIPAY_SELLER_ID = "2088000000000001"


def _text(name: str) -> str:
    return (KEYS_DIR / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Keys:
    merchant_public: rsa.RSAPublicKey
    merchant_serial: str
    wechat_pubkey_private: rsa.RSAPrivateKey
    wechat_pubkey_id: str
    platform_private: rsa.RSAPrivateKey
    platform_cert_pem: str
    platform_serial: str  # hex, upper case, as WeChat writes certificate serials
    apiv3_key: str
    alipay_app_public: rsa.RSAPublicKey
    alipay_private: rsa.RSAPrivateKey


@functools.cache
def load() -> Keys:
    certificate = x509.load_pem_x509_certificate(_text("wechat_platform_cert.pem").encode())
    return Keys(
        merchant_public=serialization.load_pem_public_key(_text("merchant_public.pem").encode()),
        merchant_serial=_text("merchant_serial.txt").strip(),
        wechat_pubkey_private=serialization.load_pem_private_key(
            _text("wechat_pubkey_private.pem").encode(), None
        ),
        wechat_pubkey_id=_text("wechat_pubkey_id.txt").strip(),
        platform_private=serialization.load_pem_private_key(
            _text("wechat_platform_private.pem").encode(), None
        ),
        platform_cert_pem=_text("wechat_platform_cert.pem"),
        platform_serial=format(certificate.serial_number, "X"),
        apiv3_key=_text("apiv3_key.txt").strip(),
        alipay_app_public=serialization.load_pem_public_key(_text("alipay_app_public.pem").encode()),
        alipay_private=serialization.load_pem_private_key(_text("alipay_private.pem").encode(), None),
    )


def rsa_sign(key: rsa.RSAPrivateKey, message: str) -> str:
    signature = key.sign(message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa_verify(key: rsa.RSAPublicKey, message: str, signature: str) -> bool:
    try:
        key.verify(
            base64.b64decode(signature, validate=True),
            message.encode("utf-8"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def aes_gcm_encrypt(apiv3_key: str, plaintext: str, associated_data: str) -> tuple[str, str]:
    """(nonce, base64 ciphertext+tag) as WeChat writes an encrypted resource: a 12-character text nonce
    used as its UTF-8 bytes, the APIv3 key's 32 characters as the AES-256 key."""
    nonce = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(12))
    data = AESGCM(apiv3_key.encode()).encrypt(
        nonce.encode(), plaintext.encode("utf-8"), associated_data.encode()
    )
    return nonce, base64.b64encode(data).decode("ascii")


def nonce_text(length: int = 32) -> str:
    return secrets.token_hex(length // 2).upper()
