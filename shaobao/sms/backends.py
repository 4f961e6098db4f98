"""SMS gateways. `SMS_BACKEND` (settings) names the class; each `send` answers a `SendResult`.

- `FileBackend` (default): appends each message as a JSON line to VAR_DIR/sms/outbox.jsonl, the phone
  masked — for development and for sites without a gateway yet.
- `AliyunBackend`: Alibaba Cloud SMS `SendSms` (RPC API version 2017-05-25), signed with the API's
  signature version 1.0 (HMAC-SHA1 over the sorted, percent-encoded parameters, key = AccessKeySecret + "&").
  Configured by `SMS_ALIYUN` = {endpoint, access_key_id, access_key_secret, sign_name, region}. The message
  is the provider's template (`SmsTemplate.provider_template`) with our placeholders as TemplateParam.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from shaobao.intake.privacy import mask_phone

log = logging.getLogger(__name__)


@dataclass
class SendResult:
    ok: bool
    provider_id: str = ""
    error: str = ""
    retryable: bool = True


class SmsBackend:
    needs_provider_template = False

    def send(self, *, phone: str, text: str, template_code: str, params: dict, out_id: str) -> SendResult:
        raise NotImplementedError


class FileBackend(SmsBackend):
    def send(self, *, phone, text, template_code, params, out_id) -> SendResult:
        folder = settings.VAR_DIR / "sms"
        folder.mkdir(parents=True, exist_ok=True)
        provider_id = f"file-{uuid.uuid4().hex[:16]}"
        line = {
            "id": provider_id,
            "out_id": out_id,
            "phone": mask_phone(phone),
            "text": text,
            "at": dt.datetime.now(dt.UTC).isoformat(),
        }
        with open(folder / "outbox.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
        log.info("sms to %s: %s", mask_phone(phone), text)
        return SendResult(True, provider_id)


def percent_encode(value: str) -> str:
    """Aliyun's percent-encoding: RFC 3986 (space → %20, * → %2A, ~ kept)."""
    return urllib.parse.quote(str(value), safe="~")


def aliyun_signature(params: dict, secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# Aliyun error codes after which sending the same message again cannot succeed.
ALIYUN_FINAL = {
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.INVALID_PARAMETERS",
    "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.SMS_SIGNATURE_ILLEGAL",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.PARAM_LENGTH_LIMIT",
    "isv.AMOUNT_NOT_ENOUGH",
}


class AliyunBackend(SmsBackend):
    needs_provider_template = True

    def __init__(self, config: dict | None = None):
        self.config = dict(config or getattr(settings, "SMS_ALIYUN", {}))

    def request_params(self, *, phone, template_code, params, out_id, nonce=None, timestamp=None) -> dict:
        c = self.config
        query = {
            "AccessKeyId": c["access_key_id"],
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": c.get("region", "cn-hangzhou"),
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": timestamp or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            "PhoneNumbers": phone,
            "SignName": c["sign_name"],
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
            "OutId": out_id,
        }
        query["Signature"] = aliyun_signature(query, c["access_key_secret"])
        return query

    def send(self, *, phone, text, template_code, params, out_id) -> SendResult:
        query = self.request_params(phone=phone, template_code=template_code, params=params, out_id=out_id)
        body = urllib.parse.urlencode(query, quote_via=urllib.parse.quote).encode()
        request = urllib.request.Request(
            self.config.get("endpoint", "https://dysmsapi.aliyuncs.com/"),
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.config.get("timeout", 10)) as response:  # noqa: S310
                answer = json.loads(response.read(4000) or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                answer = json.loads(exc.read(4000) or b"{}")
            except ValueError:
                return SendResult(
                    False, error=f"HTTP {exc.code}", retryable=exc.code >= 500 or exc.code == 429
                )
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            return SendResult(False, error=f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"[:300])
        code = str(answer.get("Code", ""))
        if code == "OK":
            return SendResult(True, str(answer.get("BizId", "")))
        return SendResult(
            False, error=f"{code}: {answer.get('Message', '')}"[:300], retryable=code not in ALIYUN_FINAL
        )


def get_backend() -> SmsBackend:
    return import_string(getattr(settings, "SMS_BACKEND", "shaobao.sms.backends.FileBackend"))()
