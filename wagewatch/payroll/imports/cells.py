"""Parsing one cell of text into a value, with a Chinese reason (ValueError) saying what to fix.
Used by the row-wise kinds; attendance parses whole columns in polars (kinds.py)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone

from wagewatch.core.protected import validate_bank_card, validate_id_number, validate_phone

SHANGHAI = ZoneInfo("Asia/Shanghai")

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_MONTH = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")
_DATETIME = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?\s*(Z|[+-]\d{2}:?\d{2})?"
)
_EXCEL_NUMBER = re.compile(r"\d(\.\d+)?[eE]\+?\d+")


def date_parse(text: str) -> date:
    match = _DATE.fullmatch(text) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    # "2026-03-01 00:00:00" from an Excel date cell
    if len(text) > 10 and _DATE.fullmatch(text[:10]) and text[10:].strip() in {"00:00:00", "00:00"}:
        return date_parse(text[:10])
    raise ValueError(f"“{text}”不是有效日期:请填写如 2026-03-01")


def month_parse(text: str) -> date:
    match = _MONTH.fullmatch(text) or re.fullmatch(r"(\d{4})(\d{2})", text)
    if match and 1 <= int(match[2]) <= 12:
        return date(int(match[1]), int(match[2]), 1)
    try:
        return date_parse(text).replace(day=1)
    except ValueError:
        raise ValueError(f"“{text}”不是有效月份:请填写如 2026-11") from None


def datetime_parse(text: str) -> datetime:
    """A time without zone is Beijing time; the result is aware (UTC)."""
    match = _DATETIME.fullmatch(text.strip())
    if not match:
        raise ValueError(f"“{text}”不是有效时间:请填写如 2026-11-03 07:58:12(北京时间)")
    y, mo, d, h, mi, s, frac, zone = match.groups()
    try:
        value = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), int((frac or "0").ljust(6, "0")))
    except ValueError:
        raise ValueError(f"“{text}”不是有效时间:请填写如 2026-11-03 07:58:12(北京时间)") from None
    if zone:
        if zone == "Z":
            return value.replace(tzinfo=UTC)
        zone = zone.replace(":", "")
        sign = 1 if zone[0] == "+" else -1
        from datetime import timedelta, timezone

        offset = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])))
        return value.replace(tzinfo=offset).astimezone(UTC)
    return value.replace(tzinfo=SHANGHAI).astimezone(UTC)


EARLIEST = date(2000, 1, 1)  # nothing the platform supervises happened before this
CLOCK_SKEW = 600  # seconds: a bank or gate clock slightly ahead of ours is not an error


def past_datetime_parse(text: str) -> datetime:
    """A time that has already happened (a bank payment, a gate punch): not in the future, not before 2000."""
    value = datetime_parse(text)
    now = timezone.now()
    if value.timestamp() > now.timestamp() + CLOCK_SKEW:
        raise ValueError(f"“{text}”晚于当前时间:已发生的付款或考勤不能是将来的时间,请核对日期")
    if value.astimezone(SHANGHAI).date() < EARLIEST:
        raise ValueError(f"“{text}”早于2000年:请核对年份")
    return value


def past_date_parse(text: str) -> date:
    """A day that has already come (a payment date), in Beijing time."""
    value = date_parse(text)
    if value > timezone.localdate():
        raise ValueError(f"“{text}”晚于今天:已发生的拨付不能是将来的日期,请核对")
    if value < EARLIEST:
        raise ValueError(f"“{text}”早于2000年:请核对年份")
    return value


def decimal_parse(text: str, *, places: int = 2, max_digits: int = 14, positive: bool = False, unit: str = "元") -> Decimal:
    cleaned = text.replace(",", "").replace("¥", "").replace("￥", "").replace(unit, "").strip() if unit else text.replace(",", "").strip()
    try:
        value = Decimal(cleaned)
    except (InvalidOperation, ValueError):
        raise ValueError(f"“{text}”不是数字") from None
    if not value.is_finite():
        raise ValueError(f"“{text}”不是数字")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"“{text}”应{'大于' if positive else '不小于'}0")
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"“{text}”最多{places}位小数")
    if value >= Decimal(10) ** (max_digits - places):
        raise ValueError(f"“{text}”过大,请核对")
    return value.quantize(Decimal(1).scaleb(-places))


def bool_parse(text: str) -> bool:
    lowered = text.lower()
    if lowered in {"是", "y", "yes", "true", "1", "补发"}:
        return True
    if lowered in {"否", "n", "no", "false", "0"}:
        return False
    raise ValueError(f"“{text}”应填 是 或 否")


def choice_parse(text: str, choices) -> str:
    for stored, shown in choices:
        if text.lower() == str(stored).lower() or text == shown or text == str(shown).removeprefix("按"):
            return stored
    raise ValueError(f"“{text}”不在可选范围内:可填 " + "、".join(f"{shown}({stored})" for stored, shown in choices))


def text_check(text: str, max_length: int) -> str:
    if len(text) > max_length:
        raise ValueError(f"超过{max_length}个字符,请删减")
    return text


def id_number_clean(text: str) -> str:
    if _EXCEL_NUMBER.fullmatch(text):
        raise ValueError("身份证号被Excel存成了数字(科学计数法),末几位已丢失:请把该列设为“文本”格式后重新填写")
    try:
        return validate_id_number(text)
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from None


def phone_clean(text: str) -> str:
    try:
        return validate_phone(text)
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from None


def bank_card_clean(text: str) -> str:
    if _EXCEL_NUMBER.fullmatch(text):
        raise ValueError("银行卡号被Excel存成了数字(科学计数法),末几位已丢失:请把该列设为“文本”格式后重新填写")
    try:
        return validate_bank_card(text)
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from None
