"""Generate paysim's test keys into ``keys/`` (run once; the keys are committed, public, and for tests only).

python -m wuye.paysim.keygen [--force]
"""

from __future__ import annotations

import datetime
import secrets
import string
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

KEYS = Path(__file__).resolve().parent / "keys"


def _write_pair(name: str) -> rsa.RSAPrivateKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (KEYS / f"{name}_private.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (KEYS / f"{name}_public.pem").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key


def main(argv: list[str]) -> int:
    if any(KEYS.glob("*.pem")) and "--force" not in argv:
        print("keys exist; pass --force to replace them", file=sys.stderr)
        return 1
    KEYS.mkdir(exist_ok=True)
    _write_pair("merchant")
    (KEYS / "merchant_serial.txt").write_text(secrets.token_hex(20).upper() + "\n")
    _write_pair("wechat_pubkey")
    (KEYS / "wechat_pubkey_id.txt").write_text("PUB_KEY_ID_" + secrets.token_hex(12).upper() + "\n")
    platform = _write_pair("wechat_platform")
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "paysim (test only)"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (paysim test)"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(platform.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365 * 30))
        .sign(platform, hashes.SHA256())
    )
    (KEYS / "wechat_platform_cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    _write_pair("alipay_app")
    _write_pair("alipay")
    alphabet = string.ascii_letters + string.digits
    (KEYS / "apiv3_key.txt").write_text("".join(secrets.choice(alphabet) for _ in range(32)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
