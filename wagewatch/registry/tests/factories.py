"""Small builders for registry tests."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from stdnum.cn import ric

from wagewatch.registry import services
from wagewatch.testing.world import valid_credit_code


def id_number(serial: int = 1) -> str:
    base = f"110105198001{serial:02d}00{serial % 10}"[:17]
    return base + ric.calc_check_digit(base + "0")


def wrong_check_digit(code: str) -> str:
    last = "0" if code[-1] != "0" else "1"
    return code[:-1] + last


def make_enterprise(world, *, actor=None, n=100, name=None, territory="street_a", **extra):
    return services.enterprise_create(
        actor=actor or world.users["office_staff"],
        name=name or f"测试企业{n}有限公司",
        territory=world.territories[territory],
        credit_code=valid_credit_code(n),
        **extra,
    )


def make_project(world, *, actor=None, code="T-001", value=Decimal("5000000"), start=date(2026, 1, 1), end=date(2026, 12, 31), **extra):
    extra.setdefault("territory", world.territories["street_a"])
    return services.project_create(
        actor=actor or world.users["office_staff"],
        name=extra.pop("name", f"测试项目{code}"),
        code=code,
        contract_value=value,
        planned_start=start,
        planned_end=end,
        **extra,
    )


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)
