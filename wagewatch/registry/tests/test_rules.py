from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from wagewatch.registry.rules import add_months, clean_credit_code, duration_months, normalise_name, supervision_evaluate
from wagewatch.testing.world import valid_credit_code

from .factories import wrong_check_digit


@pytest.mark.parametrize(
    "a,b",
    [
        ("东城建工集团有限公司", "东城建工(集团)有限公司"),
        ("东城建工有限责任公司", "东 城 建 工"),
        ("ＡＢＣ建筑劳务有限公司", "abc建筑劳务"),
        ("西花电子股份有限公司", "西花电子·有限公司"),
    ],
)
def test_normalised_names_match_spelling_variants(a, b):
    assert normalise_name(a) == normalise_name(b)


def test_normalised_name_keeps_distinct_enterprises_apart():
    assert normalise_name("东城建工有限公司") != normalise_name("西城建工有限公司")
    assert normalise_name("有限公司")  # never normalised to nothing


def test_credit_code_valid_full_width_and_lower_case_are_accepted():
    code = valid_credit_code(7)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert clean_credit_code(full_width) == code
    assert clean_credit_code(f" {code.lower()} ") == code
    assert clean_credit_code("") is None


def test_credit_code_wrong_check_digit_names_the_field():
    with pytest.raises(ValidationError) as exc:
        clean_credit_code(wrong_check_digit(valid_credit_code(7)))
    assert "统一社会信用代码" in exc.value.messages[0] and "校验位" in exc.value.messages[0]


def test_credit_code_wrong_length():
    with pytest.raises(ValidationError, match="18位"):
        clean_credit_code("9111010570000000")


def test_months_are_calendar_months():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert duration_months(date(2026, 1, 1), date(2026, 7, 1)) == 6
    assert duration_months(date(2026, 1, 1), date(2026, 6, 30)) == 5
    assert duration_months(date(2026, 1, 1), None) is None


def _verdict(value, start, end):
    return supervision_evaluate(
        contract_value=Decimal(value), planned_start=start, planned_end=end, min_contract_value=Decimal("4000000"), min_duration_months=6
    )


def test_supervision_needs_both_value_and_duration():
    assert _verdict("4000000", date(2026, 1, 1), date(2026, 7, 1)).applies  # exactly at both thresholds
    short = _verdict("9000000", date(2026, 1, 1), date(2026, 6, 30))
    assert not short.applies and short.value_ok and not short.duration_ok
    assert "不足6个月" in short.reason
    small = _verdict("3999999.99", date(2026, 1, 1), date(2027, 1, 1))
    assert not small.applies and "低于4,000,000元" in small.reason


def test_supervision_without_dates_is_not_counted_and_says_why():
    verdict = _verdict("9000000", None, date(2027, 1, 1))
    assert not verdict.applies and "缺少计划开工或竣工日期" in verdict.reason
