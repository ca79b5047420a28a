"""SMS through the providers Chinese property companies use: Alibaba Cloud SMS (阿里云短信) and
Tencent Cloud SMS (腾讯云短信), through their official Python SDKs, behind the outbox's backend.

Which account sends: the enabled ``SmsAccount`` of the message's company, else the operator's (the
row with no company), else none and the message goes to the log (``ConsoleBackend``: development and
the demo). A provider sends only templates it approved, so each event needs an ``SmsTemplate`` on
the account naming the template and which of the event's values fill it; a message whose event has
none fails at once, saying so (staff add the template and send it again from the outbox).

Errors: a refusal that may pass later (a rate limit, a provider outage, the network, an empty
balance) raises ``DeliveryError`` and the outbox tries again with backoff; one that cannot (a number
that is not a mobile phone, an unapproved template or sign name, a wrong key) raises
``PermanentDeliveryError``. Delivery receipts are pulled (``sms_receipts_pull``, every few minutes
from the scheduler): Tencent hands out each account's new receipts, Alibaba Cloud answers per message.

The providers' addresses default to their real services; ``gateway_url`` may point an account at
paysim (the tests, the demo), held to ``core.references.gateway_check`` like a payment channel's.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
from typing import Protocol
from urllib.parse import urlsplit

from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core.references import ReferenceRefusedError, gateway_check
from wuye.notifications.backends import (
    CONSOLE,
    Backend,
    DeliveryError,
    Outgoing,
    PermanentDeliveryError,
    Sent,
)
from wuye.notifications.domain.queries import company_account_template
from wuye.notifications.enums import Channel, MessageState, ReceiptState, SmsProvider
from wuye.notifications.models import Message, SmsAccount, SmsTemplate

logger = logging.getLogger("wuye.notifications")

CONNECT_TIMEOUT_MS = 5000
READ_TIMEOUT_MS = 10000
RECEIPT_WINDOW = datetime.timedelta(days=3)  # the providers keep receipts about this long
RECEIPTS_PER_PULL = 200

# Alibaba Cloud's answer codes worth another try; any other code but OK is final.
ALIYUN_RETRYABLE = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",  # too many to one number in a minute/hour/day
        "isv.DAY_LIMIT_CONTROL",
        "isv.OUT_OF_SERVICE",  # the account is suspended for want of balance
        "isv.AMOUNT_NOT_ENOUGH",
        "isp.SYSTEM_ERROR",
        "isp.RAM_PERMISSION_DENY",  # a permission being granted
    }
)
# Tencent Cloud's: rate limits, its own errors, an empty SMS package, the network.
TENCENT_RETRYABLE_PREFIXES = (
    "LimitExceeded.",
    "InternalError",
    "RequestLimitExceeded",
    "FailedOperation.InsufficientBalanceInSmsPackage",
    "ClientNetworkError",
    "ServerNetworkError",
)


def _failure(retryable: bool, code: str, message: str) -> DeliveryError:
    text = f"{code}: {message}" if code else message
    return DeliveryError(text) if retryable else PermanentDeliveryError(text)


def national(phone: str) -> str:
    return phone.strip().removeprefix("+86")


def e164(phone: str) -> str:
    phone = phone.strip()
    return phone if phone.startswith("+") else f"+86{phone}"


@dataclasses.dataclass(frozen=True)
class Receipt:
    provider_ref: str
    delivered: bool
    at: datetime.datetime | None
    error: str


class Provider(Protocol):
    def send(self, phone: str, template: SmsTemplate, values: dict[str, str]) -> str: ...

    def receipts(self, account: SmsAccount, now: datetime.datetime) -> list[Receipt]: ...


def _endpoint(account: SmsAccount, default_host: str) -> tuple[str, str]:
    """(scheme, host[:port]) the SDK is pointed at: the provider's own service or the account's gateway."""
    if not account.gateway_url:
        return "https", default_host
    gateway_check(account.provider, account.gateway_url)
    parts = urlsplit(account.gateway_url)
    return parts.scheme, parts.netloc


def _china_time(text: str) -> datetime.datetime | None:
    """A provider's "2026-12-04 20:11:03" (China time) as an aware datetime."""
    try:
        naive = datetime.datetime.strptime(text.strip()[:19], "%Y-%m-%d %H:%M:%S")
    except (ValueError, AttributeError):
        return None
    return naive.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


class AliyunSms:
    """Alibaba Cloud SMS (dysmsapi 2017-05-25): SendSms, and QuerySendDetails for receipts."""

    def __init__(self, account: SmsAccount):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.models import Config

        scheme, host = _endpoint(account, "dysmsapi.aliyuncs.com")
        self.account = account
        self.client = Client(
            Config(
                access_key_id=account.access_key_id,
                access_key_secret=account.secret(),
                endpoint=host,
                protocol=scheme,
                connect_timeout=CONNECT_TIMEOUT_MS,
                read_timeout=READ_TIMEOUT_MS,
            )
        )

    @staticmethod
    def _runtime():
        from alibabacloud_tea_util.models import RuntimeOptions

        # The outbox retries with backoff; the SDK must not retry on its own as well.
        return RuntimeOptions(
            autoretry=False, connect_timeout=CONNECT_TIMEOUT_MS, read_timeout=READ_TIMEOUT_MS
        )

    @staticmethod
    def _error(error: Exception) -> DeliveryError:
        from alibabacloud_tea_openapi.exceptions import ClientException, ThrottlingException

        code = str(getattr(error, "code", "") or "")
        message = str(getattr(error, "message", "") or error)
        final = isinstance(error, ClientException) and not isinstance(error, ThrottlingException)
        return _failure(not final and code not in {"InvalidAccessKeyId.NotFound"}, code, message)

    def send(self, phone: str, template: SmsTemplate, values: dict[str, str]) -> str:
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest

        request = SendSmsRequest(
            phone_numbers=national(phone),
            sign_name=self.account.sign_name,
            template_code=template.template_code,
            template_param=json.dumps(values, ensure_ascii=False) if values else None,
        )
        try:
            body = self.client.send_sms_with_options(request, self._runtime()).body
        except Exception as error:  # the SDK's exceptions, network errors included
            raise self._error(error) from error
        if body.code == "OK":
            return body.biz_id or ""
        raise _failure(body.code in ALIYUN_RETRYABLE, body.code or "", body.message or "")

    def receipts(self, account: SmsAccount, now: datetime.datetime) -> list[Receipt]:
        from alibabacloud_dysmsapi20170525.models import QuerySendDetailsRequest

        waiting = Message.objects.filter(
            sms_account=account, receipt_state="", sent_at__gte=now - RECEIPT_WINDOW
        ).exclude(provider_ref="")
        receipts = []
        for message in waiting.order_by("sent_at")[:RECEIPTS_PER_PULL]:
            sent_on = timezone.localtime(message.sent_at, datetime.timezone(datetime.timedelta(hours=8)))
            request = QuerySendDetailsRequest(
                phone_number=national(message.address),
                biz_id=message.provider_ref,
                send_date=sent_on.strftime("%Y%m%d"),
                page_size=10,
                current_page=1,
            )
            try:
                body = self.client.query_send_details_with_options(request, self._runtime()).body
            except Exception as error:
                logger.warning("SMS receipts from %s: %s", account, self._error(error))
                break
            details = body.sms_send_detail_dtos.sms_send_detail_dto if body.sms_send_detail_dtos else []
            for detail in details or []:
                if detail.send_status in (2, 3):  # 1: still waiting for the handset
                    receipts.append(
                        Receipt(
                            provider_ref=message.provider_ref,
                            delivered=detail.send_status == 3,
                            at=_china_time(detail.receive_date or ""),
                            error="" if detail.send_status == 3 else (detail.err_code or ""),
                        )
                    )
        return receipts


class TencentSms:
    """Tencent Cloud SMS (2021-01-11): SendSms, and PullSmsSendStatus for receipts."""

    def __init__(self, account: SmsAccount):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        scheme, host = _endpoint(account, "sms.tencentcloudapi.com")
        profile = HttpProfile(endpoint=host, reqTimeout=READ_TIMEOUT_MS // 1000)
        profile.scheme = scheme
        self.account = account
        self.client = sms_client.SmsClient(
            credential.Credential(account.access_key_id, account.secret()),
            account.region or "ap-guangzhou",
            ClientProfile(httpProfile=profile),
        )

    @staticmethod
    def _failure(code: str, message: str) -> DeliveryError:
        return _failure(code.startswith(TENCENT_RETRYABLE_PREFIXES), code, message)

    def send(self, phone: str, template: SmsTemplate, values: dict[str, str]) -> str:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet = [e164(phone)]
        request.SmsSdkAppId = self.account.app_id
        request.SignName = self.account.sign_name
        request.TemplateId = template.template_code
        request.TemplateParamSet = list(values.values())
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            raise self._failure(error.get_code() or "", error.get_message() or "") from error
        statuses = response.SendStatusSet or []
        if not statuses:
            raise DeliveryError(_("The provider gave no answer for the number."))
        status = statuses[0]
        if status.Code == "Ok":
            return status.SerialNo or ""
        raise self._failure(status.Code or "", status.Message or "")

    def receipts(self, account: SmsAccount, now: datetime.datetime) -> list[Receipt]:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        receipts = []
        while len(receipts) < RECEIPTS_PER_PULL * 5:
            request = models.PullSmsSendStatusRequest()
            request.Limit = 100
            request.SmsSdkAppId = account.app_id
            try:
                statuses = self.client.PullSmsSendStatus(request).PullSmsSendStatusSet or []
            except TencentCloudSDKException as error:
                logger.warning(
                    "SMS receipts from %s: %s", account, self._failure(error.get_code(), error.get_message())
                )
                break
            receipts += [
                Receipt(
                    provider_ref=status.SerialNo or "",
                    delivered=status.ReportStatus == "SUCCESS",
                    at=_china_time(status.UserReceiveTime or ""),
                    error="" if status.ReportStatus == "SUCCESS" else (status.Description or ""),
                )
                for status in statuses
            ]
            if len(statuses) < request.Limit:
                break
        return receipts


PROVIDERS: dict[str, type] = {SmsProvider.ALIYUN: AliyunSms, SmsProvider.TENCENT: TencentSms}


def provider_for(account: SmsAccount) -> Provider:
    try:
        return PROVIDERS[account.provider](account)
    except ReferenceRefusedError as error:  # a key or gateway outside the operator's rules
        raise PermanentDeliveryError(str(error)) from error


def sms_send(outgoing: Outgoing, *, fallback: Backend) -> Sent | None:
    """Send one SMS through its company's provider (``SmsBackend``); the log when none is configured."""
    account, template = company_account_template(SmsAccount, outgoing)
    if account is None:
        return fallback.send(outgoing)
    values = {name: outgoing.params.get(name, "") for name in template.param_names}
    reference = provider_for(account).send(outgoing.address, template, values)
    return Sent(ref=reference, sms_account_id=account.pk)


class SmsBackend:
    """The outbox's SMS channel: the provider account of the message's company, or ``fallback`` (the
    log) when there is none."""

    name = "sms"

    def __init__(self, fallback: Backend = CONSOLE):
        self.fallback = fallback

    def send(self, outgoing: Outgoing) -> Sent | None:
        return sms_send(outgoing, fallback=self.fallback)


@dataclasses.dataclass
class ReceiptReport:
    delivered: int = 0
    undelivered: int = 0


def sms_receipts_pull(*, now: datetime.datetime | None = None) -> ReceiptReport:
    """Record the delivery receipts the providers have for messages sent through each enabled account.

    Safe to run in several processes at once: a receipt is written only over no receipt."""
    now = now or timezone.now()
    report = ReceiptReport()
    for account in SmsAccount.objects.filter(enabled=True).order_by("pk"):
        try:
            receipts = provider_for(account).receipts(account, now)
        except PermanentDeliveryError as error:
            logger.warning("SMS receipts from %s: %s", account, error)
            continue
        for receipt in receipts:
            changed = Message.objects.filter(
                sms_account=account,
                channel=Channel.SMS,
                state=MessageState.SENT,
                provider_ref=receipt.provider_ref,
                receipt_state="",
            ).update(
                receipt_state=ReceiptState.DELIVERED if receipt.delivered else ReceiptState.UNDELIVERED,
                receipt_at=receipt.at or now,
                receipt_error=receipt.error[:200],
            )
            if changed and receipt.delivered:
                report.delivered += changed
            elif changed:
                report.undelivered += changed
    return report
