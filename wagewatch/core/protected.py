"""Protected personal data: ID numbers, phone numbers and bank card numbers.

Values are encrypted at rest with AES-256-GCM (key from settings, never in the database) and
found by exact value through an HMAC-SHA256 digest kept in a companion column. Pages and the API
show them masked; a role that may see a value asks for it explicitly and the reveal is recorded
in the history (see `reveal_personal_data`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from .masks import BANK_CARD, ID_NUMBER, KIND_LABELS, PHONE, mask  # noqa: F401  (the names every app imports from here)
from .roles import Role

# Roles that may reveal the full value of each kind (every reveal is still recorded).
REVEAL_ROLES = {
    ID_NUMBER: {Role.WINDOW_CLERK, Role.LABOUR_INSPECTOR, Role.OFFICE_LEADER, Role.PROJECT_LABOUR_MANAGER},
    PHONE: {
        Role.WINDOW_CLERK,
        Role.LABOUR_INSPECTOR,
        Role.OFFICE_STAFF,
        Role.OFFICE_LEADER,
        Role.UNIT_HANDLER,
        Role.UNIT_LEADER,
        Role.GRID_WORKER,
        Role.PROJECT_LABOUR_MANAGER,
    },
    BANK_CARD: {Role.LABOUR_INSPECTOR, Role.OFFICE_LEADER, Role.PROJECT_LABOUR_MANAGER},
}

_PREFIX = "v1:"


def _key_bytes(raw: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(raw.encode())
        if len(key) == 32:
            return key
    except (ValueError, TypeError):
        pass
    return hashlib.sha256(raw.encode()).digest()


@lru_cache(maxsize=4)
def _aead(raw: str) -> AESGCM:
    return AESGCM(_key_bytes(raw))


def normalise(kind: str, value: str) -> str:
    value = re.sub(r"[\s-]", "", value or "")
    return value.upper() if kind == ID_NUMBER else value


def encrypt(value: str) -> str:
    nonce = os.urandom(12)
    ciphertext = _aead(settings.FIELD_ENCRYPTION_KEY).encrypt(nonce, value.encode(), None)
    return _PREFIX + base64.urlsafe_b64encode(nonce + ciphertext).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(_PREFIX):
        raise ValueError("无法识别的密文格式")
    blob = base64.urlsafe_b64decode(stored[len(_PREFIX) :].encode())
    return _aead(settings.FIELD_ENCRYPTION_KEY).decrypt(blob[:12], blob[12:], None).decode()


def lookup_digest(kind: str, value: str) -> str:
    """The keyed hash used to find a record by the exact value (kind keeps kinds apart)."""
    if not value:
        return ""
    message = f"{kind}:{normalise(kind, value)}".encode()
    return hmac.new(_key_bytes(settings.FIELD_LOOKUP_KEY), message, hashlib.sha256).hexdigest()


def may_reveal(user, kind: str) -> bool:
    return bool(user and user.is_authenticated and user.role in REVEAL_ROLES.get(kind, set()))


def validate_id_number(value: str) -> str:
    value = normalise(ID_NUMBER, value)
    try:
        value = ric.validate(value)
        born = ric.get_birth_date(value)
    except StdnumError:
        raise ValidationError("身份证号码不正确:请核对18位号码及最后一位校验码") from None
    from django.utils import timezone

    if born > timezone.localdate():
        raise ValidationError(f"身份证号码不正确:出生日期{born:%Y年%m月%d日}晚于今天,请核对") from None
    if born.year < 1900:
        raise ValidationError(f"身份证号码不正确:出生日期{born:%Y年%m月%d日}不合理,请核对") from None
    return value


def validate_phone(value: str) -> str:
    value = normalise(PHONE, value)
    if not re.fullmatch(r"1[3-9]\d{9}|0\d{2,3}\d{7,8}", value):
        raise ValidationError("电话号码不正确:手机号应为以1开头的11位数字,固定电话应含区号")
    return value


def validate_bank_card(value: str) -> str:
    value = normalise(BANK_CARD, value)
    if not re.fullmatch(r"\d{12,19}", value):
        raise ValidationError("银行卡号不正确:应为12至19位数字")
    return value


VALIDATORS = {ID_NUMBER: validate_id_number, PHONE: validate_phone, BANK_CARD: validate_bank_card}


class ProtectedField(models.TextField):
    """A text column holding AES-GCM ciphertext; in Python the value is the plain text."""

    def __init__(self, *args, kind: str, **kwargs):
        self.kind = kind
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        # Keep the instance in step with what is stored (spaces dropped, "x" upper-cased).
        value = normalise(self.kind, getattr(model_instance, self.attname) or "")
        setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return ""
        return encrypt(normalise(self.kind, value))

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        return decrypt(value)

    def get_lookup(self, lookup_name):
        # Ciphertext is randomised: equality on it can never match. Use the digest column.
        if lookup_name not in {"isnull"}:
            return None
        return super().get_lookup(lookup_name)


class DigestField(models.CharField):
    """HMAC digest of a ProtectedField, filled on every save, indexed for exact lookup."""

    def __init__(self, *args, source: str, kind: str, **kwargs):
        self.source = source
        self.kind = kind
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["kind"] = self.kind
        for key in ("max_length", "db_index", "editable", "blank", "default"):
            kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = lookup_digest(self.kind, getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value
