"""How values print on documents: amounts, times in Asia/Shanghai, missing values."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOT_GIVEN = "—"
UNKNOWN = "未知"


def _local(value: datetime) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"naive datetime {value!r}: documents need timezone-aware datetimes")
    return value.astimezone(SHANGHAI)


def format_datetime(value: datetime | date | None, *, missing: str = NOT_GIVEN) -> str:
    """"2026年11月23日 14:05" in Asia/Shanghai; a date prints without the time."""
    if value is None:
        return missing
    if not isinstance(value, datetime):
        return format_date(value)
    local = _local(value)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def format_date(value: datetime | date | None, *, missing: str = NOT_GIVEN) -> str:
    """"2026年11月23日"; an aware datetime gives its date in Asia/Shanghai."""
    if value is None:
        return missing
    if isinstance(value, datetime):
        value = _local(value).date()
    return f"{value.year}年{value.month}月{value.day}日"


def format_amount(value: Decimal | int | float | None, *, missing: str = UNKNOWN) -> str:
    """"12,345.00 元" (rounded half up to the fen); None prints "未知"."""
    if value is None:
        return missing
    amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{amount:,.2f} 元"


def format_count(value: int | None, *, unit: str = "人", missing: str = UNKNOWN) -> str:
    """"12 人"; None prints "未知"."""
    if value is None:
        return missing
    return f"{value} {unit}"


def text_or(value: str | None, missing: str = NOT_GIVEN) -> str:
    """The text, stripped; `missing` when it is empty or None."""
    text = (value or "").strip()
    return text or missing


_FULLWIDTH = str.maketrans({",": "\uff0c", ":": "\uff1a", ";": "\uff1b", "(": "\uff08", ")": "\uff09", "?": "\uff1f", "!": "\uff01"})


def fullwidth(text: str) -> str:
    """Chinese punctuation for printed text: "," ":" ";" "(" ")" "?" "!" become their full-width forms.

    Apply it to the fixed wording of a document, never to values (URLs, amounts, codes)."""
    return text.translate(_FULLWIDTH)


def zh(template: str, **values) -> str:
    """`template` with full-width punctuation, then `str.format(**values)`: the values stay as they are."""
    return fullwidth(template).format(**values)
