from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from wagewatch.documents.formatting import (
    format_amount,
    format_count,
    format_date,
    format_datetime,
    fullwidth,
    text_or,
    zh,
)


def test_amounts():
    assert format_amount(Decimal("12345")) == "12,345.00 元"
    assert format_amount(Decimal("0.005")) == "0.01 元"
    assert format_amount(1234567) == "1,234,567.00 元"
    assert format_amount(None) == "未知"


def test_times_print_in_shanghai_without_leading_zeros_in_the_date():
    assert format_datetime(datetime(2026, 11, 23, 6, 5, tzinfo=UTC)) == "2026年11月23日 14:05"
    assert format_datetime(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == "2027年1月1日 00:30"
    assert format_date(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == "2027年1月1日"
    assert format_datetime(date(2026, 3, 5)) == "2026年3月5日"
    assert format_datetime(None) == "—"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        format_datetime(datetime(2026, 11, 23, 14, 5))


def test_missing_values():
    assert format_count(None) == "未知"
    assert format_count(3) == "3 人"
    assert text_or("  ") == "—"
    assert text_or(None, "未知") == "未知"


def test_fixed_wording_gets_chinese_punctuation_but_values_do_not():
    assert fullwidth("(盖章):") == "\uff08盖章\uff09\uff1a"
    assert zh("网址:{url}", url="https://x.gov.cn/a?b=1,2") == "网址\uff1ahttps://x.gov.cn/a?b=1,2"
