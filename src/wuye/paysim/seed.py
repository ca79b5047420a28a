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


# Orders paid before paysim started ------------------------------------------------------------------
# The templates paysim's SMS providers stand in for: every event the outbox knows, with the values its
# text uses (Alibaba Cloud names them; Tencent numbers them in this order).
SMS_TEMPLATES = {
    "owners.login.code": "code,minutes",
    "owners.mandate.code": "code,minutes",
    "owners.binding.invited": "community,household",
    "owners.binding.decided": "room,community,binding_state",
    "service.request.changed": "request_pk,state",
    "notices.notice.published": "community,title",
    "billing.bill.issued": "household,period,total_yuan,due_on",
    "payments.receipt.issued": "household,amount_yuan,receipt_number",
    "rental.lease.expiring": "lease_number,room,ends_on",
}


def paysim_sms_account(company, *, provider: str = "aliyun", base_url: str | None = None):
    """Create or update ``company``'s SMS account (None: the operator's) at one of paysim's SMS
    providers, with its test key and a template for every event in ``SMS_TEMPLATES``."""
    from wuye.notifications.models import SmsAccount, SmsTemplate
    from wuye.paysim import sms

    base = (base_url or paysim_url()).rstrip("/")
    aliyun = provider == sms.ALIYUN
    account, _ = SmsAccount.objects.update_or_create(
        company=company,
        defaults={
            "provider": provider,
            "enabled": True,
            "sign_name": "物业通知",
            "access_key_id": sms.ALIYUN_KEY_ID if aliyun else sms.TENCENT_SECRET_ID,
            "access_key_secret_ref": f"{sim_keys.REF}sms_{provider}_secret.txt",
            "app_id": "" if aliyun else sms.TENCENT_APP_ID,
            "region": "" if aliyun else "ap-guangzhou",
            "gateway_url": base,
        },
    )
    for number, (event, params) in enumerate(SMS_TEMPLATES.items(), start=1):
        SmsTemplate.objects.update_or_create(
            account=account,
            event=event,
            defaults={
                "template_code": f"SMS_{100000 + number}" if aliyun else str(2000000 + number),
                "params": params,
            },
        )
    return account


def paysim_wechat_account(company, *, base_url: str | None = None):
    """Create or update ``company``'s WeChat official account (None: the operator's) at paysim's
    official account platform, with its test AppSecret and a template for every event in
    ``SMS_TEMPLATES`` (fields keyword1, keyword2… filled with the same values)."""
    from wuye.notifications.models import WechatAccount, WechatTemplate

    base = (base_url or paysim_url()).rstrip("/")
    account, _ = WechatAccount.objects.update_or_create(
        company=company,
        defaults={
            "name": "物业服务",
            "enabled": True,
            "app_id": sim_keys.WECHAT_APPID,
            "app_secret_ref": f"{sim_keys.REF}mp_app_secret.txt",
            "gateway_url": base,
        },
    )
    for number, (event, params) in enumerate(SMS_TEMPLATES.items(), start=1):
        fields = ",".join(f"keyword{index}={name}" for index, name in enumerate(params.split(","), start=1))
        WechatTemplate.objects.update_or_create(
            account=account, event=event, defaults={"template_id": f"TM{number:05d}-paysim", "fields": fields}
        )
    return account


# paysim keeps its orders in memory. The demo seed writes the channel payments it made (and the
# differences it scripts) to a file that ``wuye paysim`` loads at start, so that the day's bills and
# order queries know them, as the real channels would.

ORDERS_FILE = "paysim-orders.json"


def orders_file():
    from pathlib import Path

    return Path(settings.DATA_DIR) / ORDERS_FILE


def orders_write(orders: list[dict]) -> None:
    """Replace the file of past orders: dicts with method, out_trade_no, amount_fen, paid_at (ISO)."""
    import json

    path = orders_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(orders, ensure_ascii=False, indent=1), encoding="utf-8")


def orders_load(sim) -> int:
    """Load the file of past orders into ``sim`` (a PaySim); returns how many. No file: none."""
    import datetime
    import json

    from wuye.paysim.state import CHINA, PAID, WECHAT, SimOrder

    path = orders_file()
    if not path.exists():
        return 0
    orders = json.loads(path.read_text(encoding="utf-8"))
    with sim.lock:
        for order in orders:
            method = order["method"]
            paid_at = datetime.datetime.fromisoformat(order["paid_at"]).astimezone(CHINA)
            sim.orders[(method, order["out_trade_no"])] = SimOrder(
                method=method,
                out_trade_no=order["out_trade_no"],
                amount_fen=int(order["amount_fen"]),
                description=order.get("description", "物业费"),
                notify_url="",
                merchant_id=sim_keys.WECHAT_MCHID if method == WECHAT else sim_keys.ALIPAY_SELLER_ID,
                app_id=sim_keys.WECHAT_APPID if method == WECHAT else sim_keys.ALIPAY_APPID,
                trade_type="NATIVE" if method == WECHAT else "PRECREATE",
                state=PAID,
                scanned=True,
                channel_trade_no=order["channel_trade_no"],
                payer_ref=order.get("payer_ref", "o-demo"),
                created_at=paid_at,
                paid_at=paid_at,
            )
    return len(orders)
