"""PaySim's SMS providers: Alibaba Cloud SMS (dysmsapi 2017-05-25) and Tencent Cloud SMS (2021-01-11),
as their official Python SDKs talk to them, so Wuye's adapters run the real SDK code with no account.

Both arrive as ``POST /`` on paysim's address (the SDKs' endpoint is a host): Alibaba Cloud's with the
``x-acs-action`` header and its parameters in the query string, signed ACS3-HMAC-SHA256; Tencent
Cloud's with ``X-TC-Action`` and a JSON body, signed TC3-HMAC-SHA256. paysim checks each signature
with its test keys (``keys/sms_*_secret.txt``) and answers as the provider does: a refused signature
or an unknown key as the provider refuses it.

What happens to a message is scripted per phone number (``SmsScript``; default: sent and delivered):

    ok           sent, the receipt says delivered
    undelivered  sent, the receipt says the handset never got it
    limit        refused for now: the provider's rate limit (retryable)
    illegal      refused for good: not a valid mobile number (final)

Receipts: Tencent's ``PullSmsSendStatus`` hands each receipt out once; Alibaba Cloud's
``QuerySendDetails`` answers for one phone, message (BizId) and day.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from wuye.paysim import keys as sim_keys
from wuye.paysim.state import now

# What the server's router takes back (server.Response), and the simulator (server.PaySim): named here,
# not imported, so that the server imports this module and not the other way round.
Response = tuple[int, str, bytes, dict[str, str]]
PaySim = Any

ALIYUN, TENCENT = "aliyun", "tencent"
ALIYUN_KEY_ID = "LTAI5tPaysimSmsTest"
TENCENT_SECRET_ID = "AKIDpaysimSmsTest"  # noqa: S105  (an identifier, public like the test keys)
TENCENT_APP_ID = "1400000001"
OK, UNDELIVERED, LIMIT, ILLEGAL = "ok", "undelivered", "limit", "illegal"
OUTCOMES = (OK, UNDELIVERED, LIMIT, ILLEGAL)


def secret(provider: str) -> str:
    return sim_keys._text(f"sms_{provider}_secret.txt")


@dataclass
class SmsRecord:
    """One message the simulated provider accepted."""

    provider: str
    ref: str  # Alibaba Cloud's BizId, Tencent's SerialNo
    phone: str
    sign_name: str
    template: str
    params: Any  # a dict (Alibaba Cloud) or a list (Tencent), as the request gave them
    sent_at: str
    delivered: bool
    receipt_pulled: bool = False

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SmsScript:
    by_phone: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def outcome(self, phone: str) -> str:
        with self.lock:
            return self.by_phone.get(_national(phone), OK)

    def update(self, **by_phone: str) -> None:
        for outcome in by_phone.values():
            if outcome not in OUTCOMES:
                raise ValueError(f"unknown SMS outcome {outcome!r}; one of {', '.join(OUTCOMES)}")
        with self.lock:
            self.by_phone.update({_national(phone): outcome for phone, outcome in by_phone.items()})

    def clear(self) -> None:
        with self.lock:
            self.by_phone.clear()


def _national(phone: str) -> str:
    return phone.removeprefix("+86")


def _json(status: int, data: Any, content_type: str = "application/json; charset=utf-8") -> Response:
    return status, content_type, json.dumps(data, ensure_ascii=False).encode(), {}


def _tencent_json(data: Any) -> Response:
    # Tencent Cloud answers "application/json" exactly, and its SDK looks for errors only then.
    return _json(200, data, "application/json")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def handle(sim: PaySim, target: str, headers: dict[str, str], raw: bytes) -> Response:
    lowered = {name.lower(): value for name, value in headers.items()}
    if "x-acs-action" in lowered:
        return _aliyun(sim, target, lowered, raw)
    return _tencent(sim, lowered, raw)


def _accept(
    sim: PaySim, provider: str, phone: str, sign_name: str, template: str, params: Any
) -> tuple[str, SmsRecord | None]:
    outcome = sim.sms_script.outcome(phone)
    if outcome in (LIMIT, ILLEGAL):
        return outcome, None
    record = SmsRecord(
        provider=provider,
        ref=f"{provider[:2].upper()}{secrets.token_hex(10)}",
        phone=_national(phone),
        sign_name=sign_name,
        template=template,
        params=params,
        sent_at=now().isoformat(),
        delivered=outcome == OK,
    )
    with sim.lock:
        sim.sms.append(record)
    return outcome, record


# Alibaba Cloud ------------------------------------------------------------------------------------------


def _aliyun_signature_ok(target: str, headers: dict[str, str], raw: bytes) -> tuple[bool, str]:
    """(valid, the AccessKey ID) of an ACS3-HMAC-SHA256 request."""
    authorization = headers.get("authorization", "")
    algorithm, _, rest = authorization.partition(" ")
    fields = dict(part.split("=", 1) for part in rest.split(",") if "=" in part)
    key_id = fields.get("Credential", "")
    if algorithm != "ACS3-HMAC-SHA256" or key_id != ALIYUN_KEY_ID:
        return False, key_id
    path, _, query = target.partition("?")
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
    signed = fields.get("SignedHeaders", "").split(";")
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed)
    if headers.get("x-acs-content-sha256") != _sha256(raw):
        return False, key_id
    canonical = "\n".join(
        ["POST", path or "/", canonical_query, canonical_headers, ";".join(signed), _sha256(raw)]
    )
    to_sign = f"ACS3-HMAC-SHA256\n{_sha256(canonical.encode())}"
    expected = hmac.new(secret(ALIYUN).encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("Signature", "")), key_id


def _aliyun(sim: PaySim, target: str, headers: dict[str, str], raw: bytes) -> Response:
    request_id = secrets.token_hex(8).upper()
    valid, key_id = _aliyun_signature_ok(target, headers, raw)
    if key_id != ALIYUN_KEY_ID:
        return _json(
            404,
            {
                "Code": "InvalidAccessKeyId.NotFound",
                "Message": "Specified access key is not found.",
                "RequestId": request_id,
            },
        )
    if not valid:
        return _json(
            400,
            {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched with our calculation.",
                "RequestId": request_id,
            },
        )
    query = dict(parse_qsl(target.partition("?")[2], keep_blank_values=True))
    action = headers["x-acs-action"]
    if action == "SendSms":
        try:
            params = json.loads(query.get("TemplateParam") or "{}")
        except ValueError:
            return _json(
                200, {"Code": "isv.INVALID_JSON_PARAM", "Message": "JSON参数不合法", "RequestId": request_id}
            )
        outcome, record = _accept(
            sim,
            ALIYUN,
            query.get("PhoneNumbers", ""),
            query.get("SignName", ""),
            query.get("TemplateCode", ""),
            params,
        )
        if outcome == LIMIT:
            return _json(
                200,
                {
                    "Code": "isv.BUSINESS_LIMIT_CONTROL",
                    "Message": "触发小时级流控Permits:5",
                    "RequestId": request_id,
                },
            )
        if outcome == ILLEGAL:
            return _json(
                200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": request_id}
            )
        return _json(200, {"Code": "OK", "Message": "OK", "BizId": record.ref, "RequestId": request_id})
    if action == "QuerySendDetails":
        with sim.lock:
            found = [
                r
                for r in sim.sms
                if r.provider == ALIYUN
                and r.ref == query.get("BizId")
                and r.phone == _national(query.get("PhoneNumber", ""))
                and r.sent_at[:10].replace("-", "") == query.get("SendDate")
            ]
        details = [
            {
                "PhoneNum": r.phone,
                "SendStatus": 3 if r.delivered else 2,
                "ErrCode": "DELIVERED" if r.delivered else "MK:0001",
                "TemplateCode": r.template,
                "Content": "",
                "SendDate": r.sent_at.replace("T", " ")[:19],
                "ReceiveDate": r.sent_at.replace("T", " ")[:19],
                "OutId": "",
            }
            for r in found
        ]
        return _json(
            200,
            {
                "Code": "OK",
                "Message": "OK",
                "RequestId": request_id,
                "TotalCount": str(len(details)),
                "SmsSendDetailDTOs": {"SmsSendDetailDTO": details},
            },
        )
    return _json(
        400,
        {"Code": "InvalidAction.NotFound", "Message": f"{action} is not simulated", "RequestId": request_id},
    )


# Tencent Cloud ------------------------------------------------------------------------------------------


def _tencent_signature_ok(headers: dict[str, str], raw: bytes) -> tuple[bool, str]:
    authorization = headers.get("authorization", "")
    algorithm, _, rest = authorization.partition(" ")
    fields = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
    credential = fields.get("Credential", "").split("/")
    if algorithm != "TC3-HMAC-SHA256" or len(credential) != 4:
        return False, ""
    secret_id, date, service, _terminator = credential
    signed = fields.get("SignedHeaders", "").split(";")
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip().lower()}\n" for name in signed)
    canonical = "\n".join(["POST", "/", "", canonical_headers, ";".join(signed), _sha256(raw)])
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{headers.get('x-tc-timestamp', '')}\n{scope}\n{_sha256(canonical.encode())}"
    key = _hmac(_hmac(_hmac(("TC3" + secret(TENCENT)).encode(), date), service), "tc3_request")
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("Signature", "")), secret_id


def _tencent_error(request_id: str, code: str, message: str) -> Response:
    return _tencent_json({"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}})


def _tencent(sim: PaySim, headers: dict[str, str], raw: bytes) -> Response:
    request_id = secrets.token_hex(16)
    valid, secret_id = _tencent_signature_ok(headers, raw)
    if secret_id != TENCENT_SECRET_ID:
        return _tencent_error(request_id, "AuthFailure.SecretIdNotFound", "The SecretId is not found.")
    if not valid:
        return _tencent_error(
            request_id, "AuthFailure.SignatureFailure", "The provided credentials could not be validated."
        )
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return _tencent_error(request_id, "InvalidParameter", "The body is not JSON.")
    if body.get("SmsSdkAppId") != TENCENT_APP_ID:
        return _tencent_error(
            request_id, "UnauthorizedOperation.SmsSdkAppIdVerifyFail", "SmsSdkAppId verify fail."
        )
    action = headers.get("x-tc-action")
    if action == "SendSms":
        statuses = []
        for phone in body.get("PhoneNumberSet") or []:
            outcome, record = _accept(
                sim,
                TENCENT,
                phone,
                body.get("SignName", ""),
                body.get("TemplateId", ""),
                body.get("TemplateParamSet") or [],
            )
            code, message = {
                LIMIT: ("LimitExceeded.PhoneNumberThirtySecondLimit", "30秒内发送短信超过限制"),
                ILLEGAL: ("InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误"),
            }.get(outcome, ("Ok", "send success"))
            statuses.append(
                {
                    "SerialNo": record.ref if record else "",
                    "PhoneNumber": phone,
                    "Fee": 1 if record else 0,
                    "SessionContext": body.get("SessionContext", ""),
                    "Code": code,
                    "Message": message,
                    "IsoCode": "CN",
                }
            )
        return _tencent_json({"Response": {"SendStatusSet": statuses, "RequestId": request_id}})
    if action == "PullSmsSendStatus":
        limit = int(body.get("Limit") or 100)
        with sim.lock:
            pending = [r for r in sim.sms if r.provider == TENCENT and not r.receipt_pulled][:limit]
            for record in pending:
                record.receipt_pulled = True
        statuses = [
            {
                "UserReceiveTime": r.sent_at.replace("T", " ")[:19],
                "CountryCode": "86",
                "SubscriberNumber": r.phone,
                "PhoneNumber": f"+86{r.phone}",
                "SerialNo": r.ref,
                "ReportStatus": "SUCCESS" if r.delivered else "FAIL",
                "Description": "用户短信接收成功" if r.delivered else "DELIVRD:MK:0001 用户手机不可达",
                "SessionContext": "",
            }
            for r in pending
        ]
        return _tencent_json({"Response": {"PullSmsSendStatusSet": statuses, "RequestId": request_id}})
    return _tencent_error(request_id, "InvalidAction", f"{action} is not simulated.")
