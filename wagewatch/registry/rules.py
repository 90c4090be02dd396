"""Pure rules of the registry: name matching, credit code checking, the full-supervision test.

No database access here, so the importer, the services and the pages apply the same rule."""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

CREDIT_CODE_LABEL = "统一社会信用代码"

# Longest first: "股份有限公司" must go before "有限公司" leaves "股份" behind.
_NAME_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "集团", "公司")
_GROUP_IN_BRACKETS = re.compile(r"[((]\s*集团\s*[))]")


def normalise_name(name: str) -> str:
    """The key two spellings of one enterprise name share: full-width folded to half-width,
    spaces and punctuation gone, legal-form suffixes ("有限公司", "(集团)"…) dropped."""
    text = unicodedata.normalize("NFKC", name or "").lower()
    text = _GROUP_IN_BRACKETS.sub("", text)
    text = "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch)[0] in "PS"))
    stripped = text
    changed = True
    while changed:
        changed = False
        for suffix in _NAME_SUFFIXES:
            if stripped.endswith(suffix) and len(stripped) > len(suffix):
                stripped = stripped[: -len(suffix)]
                changed = True
                break
    return stripped or text


def clean_credit_code(value: str | None) -> str | None:
    """The code in canonical form, or None when empty. Raises a Chinese ValidationError."""
    text = unicodedata.normalize("NFKC", value or "").strip().upper()
    text = re.sub(r"[\s-]", "", text)
    if not text:
        return None
    try:
        return uscc.validate(text)
    except InvalidChecksum:
        raise ValidationError(f"{CREDIT_CODE_LABEL}“{text}”校验位不正确:请核对18位代码,尤其是最后一位") from None
    except InvalidLength:
        raise ValidationError(f"{CREDIT_CODE_LABEL}“{text}”应为18位(现为{len(text)}位)") from None
    except StdnumError:
        raise ValidationError(f"{CREDIT_CODE_LABEL}“{text}”格式不正确:只能包含数字和除I、O、Z、S、V以外的大写字母") from None


def add_months(start: date, months: int) -> date:
    """start + months, clamped to the last day of the month (31 Jan + 1 month = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def duration_months(start: date | None, end: date | None) -> int | None:
    """Whole months from start to end (end counted as reached on the same day of the month)."""
    if start is None or end is None or end < start:
        return None
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months


@dataclass(frozen=True)
class SupervisionVerdict:
    applies: bool
    value_ok: bool
    duration_ok: bool
    months: int | None
    reason: str


def supervision_evaluate(
    *, contract_value: Decimal | None, planned_start: date | None, planned_end: date | None, min_contract_value, min_duration_months: int
) -> SupervisionVerdict:
    """Full platform supervision applies at or above BOTH thresholds. Without both planned
    dates the duration is unknown and the project is not counted (the page says why)."""
    value = Decimal(contract_value or 0)
    minimum = Decimal(min_contract_value)
    value_ok = value >= minimum
    months = duration_months(planned_start, planned_end)
    if planned_start is None or planned_end is None:
        duration_ok = False
        duration_text = "缺少计划开工或竣工日期,无法判断工期"
    else:
        duration_ok = planned_end >= add_months(planned_start, min_duration_months)
        duration_text = f"计划工期约{months}个月,{'达到' if duration_ok else '不足'}{min_duration_months}个月"
    value_text = f"合同价款{_yuan(value)}元,{'达到' if value_ok else '低于'}{_yuan(minimum)}元"
    applies = value_ok and duration_ok
    verdict = "纳入平台全面监管" if applies else "不纳入平台全面监管"
    return SupervisionVerdict(applies, value_ok, duration_ok, months, f"{verdict}:{value_text};{duration_text}")


def _yuan(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')).normalize():,f}"
