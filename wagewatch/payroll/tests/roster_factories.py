"""Small builders for the project supervision tests: workers on a project through the services,
attendance and payroll rows written directly (the import helper owns the bulk paths)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from stdnum.cn import ric

from wagewatch.core.calendar import SHANGHAI
from wagewatch.payroll.models import Attendance, BankDisbursement, PayrollLine, PayrollSheet
from wagewatch.payroll.services import roster

MONTH = date(2026, 3, 1)


def id_number(serial: int) -> str:
    """A valid 18-digit ID number, distinct for each serial below 100000."""
    base = f"11010519{70 + serial % 30:02d}{1 + serial % 12:02d}{1 + serial % 28:02d}{serial % 1000:03d}"
    return base + ric.calc_check_digit(base + "0")


def card(serial: int) -> str:
    return f"62220200{serial:08d}"


def enter(world, project, serial: int, *, actor=None, contract: date | None = date(2026, 1, 5), rate="300", entry=date(2026, 1, 1), **extra):
    return roster.project_worker_enter(
        actor=actor or world.users["labour_manager"],
        project=project,
        name=extra.pop("name", f"工人{serial}"),
        id_number=id_number(serial),
        entry_date=entry,
        agreed_rate=rate,
        contract_signed_on=contract,
        bank_card=extra.pop("bank_card", card(serial)),
        phone=extra.pop("phone", f"139{serial:08d}"),
        **extra,
    )


def punch(pw, day: date, hour: int = 8):
    return Attendance.objects.create(
        project_id=pw.project_id, project_worker=pw, at=datetime.combine(day, time(hour), tzinfo=SHANGHAI), direction=Attendance.Direction.IN
    )


def pay(project, month, lines: list[tuple], *, actor=None):
    """lines: (project_worker, amount_paid) — a sheet with amount due = paid."""
    sheet, _ = PayrollSheet.objects.get_or_create(project=project, month=month, defaults={"submitted_by": actor})
    for pw, amount in lines:
        PayrollLine.objects.create(sheet=sheet, project_worker=pw, amount_due=Decimal(amount), amount_paid=Decimal(amount), days=Decimal("10"))
    return sheet


def disburse(project, pw_or_account, amount, *, month=MONTH, ref: str, name: str = "", paid_on: date = date(2026, 4, 10)):
    account = pw_or_account if isinstance(pw_or_account, str) else pw_or_account.bank_card
    return BankDisbursement.objects.create(
        project=project,
        paid_at=datetime.combine(paid_on, time(10), tzinfo=SHANGHAI),
        payee_name=name or (pw_or_account.worker.name if not isinstance(pw_or_account, str) else "某人"),
        payee_account=account,
        amount=Decimal(amount),
        reference=ref,
        month=month,
    )
