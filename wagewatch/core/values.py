"""What a value may be, defined once: amounts of money, counts, ids, page numbers, dates.

The API's schemas use the annotated types (`Amount`, `Count`, `Id`, `Page`, …); services, forms and
imports call the `*_check` functions, so a form, an import and the API accept and refuse the same
values with the same Chinese words.

- Money is in yuan: never negative, at most two decimals (so a positive amount is at least one fen,
  0.01), and below `AMOUNT_MAX` (10^10 yuan, 100亿元: nothing the office handles comes near it, and
  every money column, numeric(14,2), holds it).
- Counts (workers, days) are whole numbers from 0 to `COUNT_MAX`; ids and page numbers are bounded so
  that no value a client sends can overflow a database column or an offset.
- Dates the platform records are plausible: a year from `YEAR_MIN` to `YEAR_MAX`; a time something
  was received is not before `RECEIVED_MIN` and not in the future (beyond `CLOCK_SKEW`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, Field

CENT = Decimal("0.01")
AMOUNT_MAX = Decimal("10000000000")  # 10^10 yuan, exclusive
CONTRACT_VALUE_MAX = Decimal("1000000000000")  # a project's contract price: 10^12 yuan, exclusive
COUNT_MAX = 1_000_000
ID_MAX = 2**31 - 1  # the largest id any table here will reach, and what every integer column holds
PAGE_MAX = 100_000
YEAR_MIN = 2000
YEAR_MAX = 2100
RECEIVED_MIN = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(minutes=10)


# ---------------------------------------------------------------- money


def amount_check(value: Any, *, positive: bool = False, maximum: Decimal = AMOUNT_MAX) -> Decimal:
    """`value` (a Decimal, a number or text such as "1,250.50" / "350元") as yuan, or ValueError
    with a Chinese reason (without the field's name: the caller prefixes its label)."""
    if isinstance(value, bool):
        raise ValueError("应为数字(单位:元),如 350 或 350.50")
    if isinstance(value, Decimal):
        amount = value
    else:
        text = str(value).replace(",", "").replace(",", "").replace("¥", "").replace("￥", "").replace("元", "").strip()
        try:
            amount = Decimal(text)
        except (InvalidOperation, ValueError):
            raise ValueError("应为数字(单位:元),如 350 或 350.50") from None
    if not amount.is_finite():
        raise ValueError("应为数字(单位:元),如 350 或 350.50")
    if amount < 0:
        raise ValueError("不能为负数")
    if positive and amount == 0:
        raise ValueError("应大于0(至少0.01元)")
    if amount >= maximum:
        raise ValueError(f"过大,请核对(应小于{maximum / 10**8:,.0f}亿元)")
    if amount != amount.quantize(CENT):
        raise ValueError("最多保留两位小数(精确到分)")
    return amount.quantize(CENT)


# In the API's schemas the bounds are documented (minimum/maximum), and the value is only required
# to be a finite number: the service checks it with `amount_check`, so that one answer lists every
# wrong field at once (as the forms do) and the API, the forms and the imports say the same.
Amount = Annotated[
    Decimal,
    Field(
        allow_inf_nan=False,
        json_schema_extra={"minimum": 0, "exclusiveMaximum": int(AMOUNT_MAX), "description": "金额(元):不小于0,最多两位小数,小于100亿"},
    ),
]
PositiveAmount = Annotated[
    Decimal,
    Field(
        allow_inf_nan=False,
        json_schema_extra={"minimum": 0.01, "exclusiveMaximum": int(AMOUNT_MAX), "description": "金额(元):至少0.01,最多两位小数,小于100亿"},
    ),
]


# ---------------------------------------------------------------- whole numbers


def count_check(value: Any, *, minimum: int = 0, maximum: int = COUNT_MAX) -> int:
    if isinstance(value, bool):
        raise ValueError("应为整数")
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        raise ValueError("应为整数") from None
    if number < minimum:
        raise ValueError(f"不能小于{minimum}")
    if number > maximum:
        raise ValueError(f"不能大于{maximum}")
    return number


Count = Annotated[int, Field(ge=0, le=COUNT_MAX)]
PositiveCount = Annotated[int, Field(ge=1, le=COUNT_MAX)]
Id = Annotated[int, Field(ge=1, le=ID_MAX)]
Page = Annotated[int, Field(ge=1, le=PAGE_MAX)]


def bounded_int(minimum: int, maximum: int):
    return Annotated[int, Field(ge=minimum, le=maximum)]


# ---------------------------------------------------------------- dates


def date_check(value: date) -> date:
    """A date the platform records (a period, an entry date, a deposit): a year in YEAR_MIN..YEAR_MAX.
    ValueError says why, without the field's name."""
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise ValueError(f"不合理:年份应在{YEAR_MIN}年至{YEAR_MAX}年之间")
    return value


def received_at_check(value: datetime, *, now: datetime | None = None) -> datetime:
    """When something was received or happened: not before 2000 and not in the future."""
    if value.tzinfo is None:
        raise ValueError("应带时区")
    if value < RECEIVED_MIN:
        raise ValueError(f"不合理:不能早于{RECEIVED_MIN.year}年")
    now = now or datetime.now(UTC)
    if value > now + CLOCK_SKEW:
        raise ValueError("不能晚于当前时间")
    return value


PlausibleDate = Annotated[date, AfterValidator(date_check)]
