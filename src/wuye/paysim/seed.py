"""Demo channel accounts that point at paysim and its committed test keys."""

from __future__ import annotations

from django.conf import settings

from wuye.paysim import keys as sim_keys

DEFAULT_URL = "http://127.0.0.1:8001"


def paysim_url() -> str:
    return getattr(settings, "WUYE_PAYSIM_URL", "") or DEFAULT_URL


def paysim_accounts(community, *, key_mode: str = "public_key", base_url: str | None = None):
    """Create or update the community's WeChat Pay and Alipay accounts against paysim; returns
    (wechat, alipay). ``base_url``: paysim's address (default settings.WUYE_PAYSIM_URL or
    http://127.0.0.1:8001). ``key_mode``: WeChat's public_key or certificate mode."""
    from wuye.payments.enums import PaymentMethod, WechatKeyMode
    from wuye.payments.models import ChannelAccount

    base = (base_url or paysim_url()).rstrip("/")
    ref = sim_keys.REF
    public_key_mode = key_mode == WechatKeyMode.PUBLIC_KEY
    wechat, _ = ChannelAccount.objects.update_or_create(
        community=community,
        method=PaymentMethod.WECHAT,
        defaults={
            "enabled": True,
            "merchant_id": sim_keys.WECHAT_MCHID,
            "app_id": sim_keys.WECHAT_APPID,
            "key_mode": key_mode,
            "merchant_serial_no": (sim_keys.KEYS_DIR / "merchant_serial.txt").read_text().strip(),
            "private_key_ref": ref + "merchant_private.pem",
            "apiv3_key_ref": ref + "apiv3_key.txt",
            "platform_public_key_ref": ref + "wechat_pubkey_public.pem" if public_key_mode else "",
            "platform_public_key_id": (sim_keys.KEYS_DIR / "wechat_pubkey_id.txt").read_text().strip()
            if public_key_mode
            else "",
            "gateway_url": base,
        },
    )
    alipay, _ = ChannelAccount.objects.update_or_create(
        community=community,
        method=PaymentMethod.ALIPAY,
        defaults={
            "enabled": True,
            "merchant_id": sim_keys.ALIPAY_SELLER_ID,
            "app_id": sim_keys.ALIPAY_APPID,
            "private_key_ref": ref + "alipay_app_private.pem",
            "platform_public_key_ref": ref + "alipay_public.pem",
            "gateway_url": base + "/gateway.do",
        },
    )
    return wechat, alipay
