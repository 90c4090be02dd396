"""Writes of a project's roster and wage-payment systems: teams, a worker's entry and exit, the
wage special account, the guarantee deposit, the site record, a month's payroll sheet typed in a
page. Each checks who may write, validates everything first (every problem at once, in Chinese,
keyed by field), saves, and appends its history event in the same transaction.

Personal data (ID numbers, phones, bank cards) never goes into an event in clear: only whether
one is on file, or its mask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from wagewatch.core.protected import (
    BANK_CARD,
    ID_NUMBER,
    lookup_digest,
    mask,
    validate_bank_card,
    validate_id_number,
    validate_phone,
)
from wagewatch.core.values import amount_check, date_check
from wagewatch.history.services import event_append
from wagewatch.registry.models import Enterprise, Project

from ..models import GuaranteeDeposit, PayrollLine, PayrollSheet, ProjectWorker, SiteRecord, Team, WageAccount, WageBasis, Worker
from ..selectors import NAME_CONFLICT_MESSAGE, may_write_project, month_start, workers_employed_elsewhere

ACTION_LABELS = {
    "team.created": "登记班组",
    "project_worker.entered": "工人进场登记",
    "project_worker.updated": "修改进场信息",
    "project_worker.exited": "工人退场登记",
    "wage_account.opened": "登记工资专用账户",
    "wage_account.updated": "修改工资专用账户",
    "guarantee_deposit.added": "登记工资保证金",
    "guarantee_deposit.released": "返还工资保证金",
    "site_record.updated": "更新项目用工情况",
    "site_record.upload_chased": "催报竣工用工资料",
    "payroll_sheet.submitted": "提交工资表",
}


_YEAR = timedelta(days=366)



class _Errors:
    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _require_writer(actor, project: Project) -> None:
    if not may_write_project(actor, project):
        raise PermissionDenied("只有本项目总承包单位的劳资专管员、清欠办和系统管理员可以维护项目用工信息")


def _text(value: Any, field: str, label: str, limit: int, errors: _Errors, *, required: bool = False) -> str:
    value = ("" if value is None else str(value)).strip()
    if required and not value:
        errors.add(field, f"{label}必填")
    if len(value) > limit:
        errors.add(field, f"{label}不能超过{limit}个字")
    return value


def _money(value: Any, field: str, label: str, errors: _Errors, *, required: bool = True, positive: bool = False) -> Decimal | None:
    if value is None or value == "":
        if required:
            errors.add(field, f"{label}必填")
        return None
    try:
        return amount_check(value, positive=positive)
    except ValueError as exc:
        errors.add(field, f"{label}{exc}")
        return None


def _date(value: Any, field: str, label: str, errors: _Errors, *, required: bool = False) -> date | None:
    if value in (None, ""):
        if required:
            errors.add(field, f"{label}必填")
        return None
    try:
        return date_check(value if isinstance(value, date) else date.fromisoformat(str(value).strip()))
    except ValueError as exc:
        errors.add(field, f"{label}{exc}" if str(exc).startswith("不合理") else f"{label}格式应为 YYYY-MM-DD")
        return None


def _protected(kind_validator, value: str, field: str, label: str, errors: _Errors, *, required: bool = False) -> str:
    value = (value or "").strip()
    if not value:
        if required:
            errors.add(field, f"{label}必填")
        return ""
    try:
        return kind_validator(value)
    except ValidationError as exc:
        message = exc.messages[0]
        errors.add(field, message if message.startswith(label) or label.startswith(message[:4]) else f"{label}:{message}")
        return ""


# ---------------------------------------------------------------- teams


@transaction.atomic
def team_create(
    *,
    actor,
    project: Project,
    name: str,
    enterprise: Enterprise | None = None,
    leader_name: str = "",
    leader_id_number: str = "",
    leader_phone: str = "",
) -> Team:
    _require_writer(actor, project)
    errors = _Errors()
    name = _text(name, "name", "班组名称", 100, errors, required=True)
    leader_name = _text(leader_name, "leader_name", "班组长", 50, errors)
    leader_id_number = _protected(validate_id_number, leader_id_number, "leader_id_number", "班组长身份证号", errors)
    leader_phone = _protected(validate_phone, leader_phone, "leader_phone", "班组长手机号", errors)
    if name and Team.objects.filter(project=project, name=name).exists():
        errors.add("name", f"本项目已有名为“{name}”的班组")
    errors.raise_if_any()
    team = Team.objects.create(
        project=project,
        name=name,
        enterprise=enterprise,
        leader_name=leader_name,
        leader_id_number=leader_id_number,
        leader_phone=leader_phone,
    )
    event_append(
        actor=actor,
        action="team.created",
        obj=team,
        payload={
            "project": project.pk,
            "name": name,
            "enterprise": enterprise.pk if enterprise else None,
            "leader_name": leader_name,
            "leader_id_number": "已填写" if leader_id_number else "",
        },
    )
    return team


# ---------------------------------------------------------------- entry and exit


@transaction.atomic
def project_worker_enter(
    *,
    actor,
    project: Project,
    name: str,
    id_number: str,
    entry_date: date | str,
    agreed_rate: Decimal | str,
    wage_basis: str = WageBasis.DAILY,
    contract_signed_on: date | str | None = None,
    team: Team | None = None,
    phone: str = "",
    bank_card: str = "",
    bank_name: str = "",
    trade: str = "",
) -> ProjectWorker:
    """Put a worker on the project's roster (进场). The person is found by the digest of the ID
    number (one identity across projects); the phone, wage card, bank and trade are this
    employment's own and never touch another project's. A name that differs from the one on
    file changes the person's identity: allowed only when every other project of this worker is
    one the actor may write too (otherwise refused: the office corrects it). A worker already on
    this project has the entry updated (a worker who left and comes back re-enters: the exit and
    its settlement are cleared)."""
    _require_writer(actor, project)
    errors = _Errors()
    name = _text(name, "name", "姓名", 50, errors, required=True)
    id_number = _protected(validate_id_number, id_number, "id_number", "身份证号", errors, required=True)
    phone = _protected(validate_phone, phone, "phone", "手机号", errors)
    bank_card = _protected(validate_bank_card, bank_card, "bank_card", "工资卡号", errors)
    bank_name = _text(bank_name, "bank_name", "开户银行", 100, errors)
    trade = _text(trade, "trade", "工种", 50, errors)
    entry = _date(entry_date, "entry_date", "进场日期", errors, required=True)
    contract = _date(contract_signed_on, "contract_signed_on", "劳动合同签订日期", errors)
    rate = _money(agreed_rate, "agreed_rate", "约定工资标准", errors, positive=True)
    if wage_basis not in WageBasis.values:
        errors.add("wage_basis", "计薪方式应为按日计薪、按月计薪或计件")
    if team is not None and team.project_id != project.pk:
        errors.add("team", "班组必须是本项目的班组")
    if entry and project.planned_start and entry < project.planned_start - _YEAR:
        errors.add("entry_date", "进场日期早于项目计划开工一年以上,请核对")
    worker = None
    if id_number:
        worker = Worker.objects.select_for_update().filter(id_number_digest=lookup_digest(ID_NUMBER, id_number)).first()
    if worker is not None and name and worker.name != name and workers_employed_elsewhere(actor, [worker.pk], project=project):
        errors.add("name", NAME_CONFLICT_MESSAGE)
    errors.raise_if_any()

    if worker is None:
        worker = Worker(id_number=id_number, name=name)
        worker.save()
    elif worker.name != name:
        worker.name = name
        worker.save(update_fields=["name", "updated_at"])

    existing = ProjectWorker.objects.select_for_update().filter(project=project, worker=worker).first()
    action = "project_worker.entered"
    if existing is None:
        pw = ProjectWorker(project=project, worker=worker)
    else:
        pw = existing
        action = "project_worker.entered" if existing.exit_date else "project_worker.updated"
        if existing.exit_date:
            pw.exit_date = pw.settled_on = pw.settlement_confirmed_on = None
    pw.team = team
    if phone:
        pw.phone = phone
    if bank_card:
        pw.bank_card = bank_card
    if bank_name:
        pw.bank_name = bank_name
    if trade:
        pw.trade = trade
    pw.entry_date = entry
    pw.contract_signed_on = contract
    pw.wage_basis = wage_basis
    pw.agreed_rate = rate
    pw.save()
    event_append(
        actor=actor,
        action=action,
        obj=pw,
        payload={
            "project": project.pk,
            "worker": worker.pk,
            "name": name,
            "id_number": mask(ID_NUMBER, id_number),
            "entry_date": entry,
            "contract_signed_on": contract,
            "wage_basis": wage_basis,
            "agreed_rate": rate,
            "team": team.name if team else "",
            "bank_card": mask(BANK_CARD, bank_card) if bank_card else "",
        },
    )
    return pw


@transaction.atomic
def project_worker_exit(
    *,
    actor,
    project_worker: ProjectWorker,
    exit_date: date | str,
    settled_on: date | str | None = None,
    settlement_confirmed_on: date | str | None = None,
) -> ProjectWorker:
    """Record a worker leaving the project (退场), the settlement of their wages (结算) and their
    confirmation of it (确认). Rule 5 flags an exit without both."""
    pw = ProjectWorker.objects.select_for_update().select_related("project", "worker").get(pk=project_worker.pk)
    _require_writer(actor, pw.project)
    errors = _Errors()
    exit_on = _date(exit_date, "exit_date", "退场日期", errors, required=True)
    settled = _date(settled_on, "settled_on", "结算日期", errors)
    confirmed = _date(settlement_confirmed_on, "settlement_confirmed_on", "工人确认结算日期", errors)
    if exit_on and exit_on < pw.entry_date:
        errors.add("exit_date", f"退场日期不能早于进场日期({pw.entry_date:%Y-%m-%d})")
    if settled and exit_on and settled < pw.entry_date:
        errors.add("settled_on", "结算日期不能早于进场日期")
    if confirmed and not settled:
        errors.add("settlement_confirmed_on", "工人确认结算前须先填写结算日期")
    if confirmed and settled and confirmed < settled:
        errors.add("settlement_confirmed_on", "工人确认日期不能早于结算日期")
    errors.raise_if_any()
    pw.exit_date, pw.settled_on, pw.settlement_confirmed_on = exit_on, settled, confirmed
    pw.save(update_fields=["exit_date", "settled_on", "settlement_confirmed_on", "updated_at"])
    event_append(
        actor=actor,
        action="project_worker.exited",
        obj=pw,
        payload={"project": pw.project_id, "name": pw.worker.name, "exit_date": exit_on, "settled_on": settled, "settlement_confirmed_on": confirmed},
    )
    project_worker.exit_date, project_worker.settled_on, project_worker.settlement_confirmed_on = exit_on, settled, confirmed
    return pw


# ---------------------------------------------------------------- wage account, deposit, site record


@transaction.atomic
def wage_account_open(
    *, actor, project: Project, bank_name: str, account_number: str, opened_on: date | str, pay_day: int | str = 15
) -> WageAccount:
    """Record the project's wage special account (工资专用账户), or correct it."""
    _require_writer(actor, project)
    errors = _Errors()
    bank_name = _text(bank_name, "bank_name", "开户银行", 100, errors, required=True)
    account_number = _protected(validate_bank_card, account_number, "account_number", "账号", errors, required=True)
    opened = _date(opened_on, "opened_on", "开户日期", errors, required=True)
    try:
        pay_day = int(pay_day)
        if not 1 <= pay_day <= 28:
            raise ValueError
    except (TypeError, ValueError):
        errors.add("pay_day", "发薪日应为1至28之间的整数(次月几日)")
    errors.raise_if_any()
    account = WageAccount.objects.select_for_update().filter(project=project).first()
    action = "wage_account.updated" if account else "wage_account.opened"
    account = account or WageAccount(project=project)
    account.bank_name, account.account_number, account.opened_on, account.pay_day = bank_name, account_number, opened, pay_day
    account.save()
    event_append(
        actor=actor,
        action=action,
        obj=account,
        payload={"project": project.pk, "bank_name": bank_name, "account_number": mask(BANK_CARD, account_number), "opened_on": opened, "pay_day": pay_day},
    )
    return account


@transaction.atomic
def guarantee_deposit_add(
    *, actor, project: Project, amount: Decimal | str, bank_name: str, deposited_on: date | str, form: str = GuaranteeDeposit.Form.CASH
) -> GuaranteeDeposit:
    _require_writer(actor, project)
    errors = _Errors()
    value = _money(amount, "amount", "保证金金额", errors, positive=True)
    bank_name = _text(bank_name, "bank_name", "存储银行/出具机构", 100, errors, required=True)
    deposited = _date(deposited_on, "deposited_on", "存储日期", errors, required=True)
    if form not in GuaranteeDeposit.Form.values:
        errors.add("form", "形式应为现金存储、银行保函或工程担保/保证保险")
    errors.raise_if_any()
    deposit = GuaranteeDeposit.objects.create(project=project, amount=value, bank_name=bank_name, deposited_on=deposited, form=form)
    event_append(
        actor=actor,
        action="guarantee_deposit.added",
        obj=deposit,
        payload={"project": project.pk, "amount": value, "bank_name": bank_name, "form": form, "deposited_on": deposited},
    )
    return deposit


@transaction.atomic
def guarantee_deposit_release(*, actor, deposit: GuaranteeDeposit, released_on: date | str) -> GuaranteeDeposit:
    deposit = GuaranteeDeposit.objects.select_for_update().select_related("project").get(pk=deposit.pk)
    _require_writer(actor, deposit.project)
    errors = _Errors()
    released = _date(released_on, "released_on", "返还日期", errors, required=True)
    if deposit.released_on:
        errors.add("released_on", f"该笔保证金已于{deposit.released_on:%Y-%m-%d}返还")
    elif released and released < deposit.deposited_on:
        errors.add("released_on", f"返还日期不能早于存储日期({deposit.deposited_on:%Y-%m-%d})")
    errors.raise_if_any()
    deposit.released_on = released
    deposit.save(update_fields=["released_on"])
    event_append(actor=actor, action="guarantee_deposit.released", obj=deposit, payload={"project": deposit.project_id, "released_on": released})
    return deposit


SITE_RECORD_FIELDS = {
    "work_injury_policy_number": "工伤保险保单号",
    "work_injury_insured_on": "参保日期",
    "rights_board_posted_on": "维权告示牌设置日期",
    "completed_on": "竣工日期",
    "records_uploaded_on": "用工资料上传完成日期",
}


@transaction.atomic
def site_record_update(*, actor, project: Project, **changes) -> SiteRecord:
    """Update what the project states about itself (only the fields given): the work-injury
    policy, the rights board, completion and the upload of all labour records."""
    _require_writer(actor, project)
    errors = _Errors()
    unknown = set(changes) - set(SITE_RECORD_FIELDS)
    if unknown:
        errors.add("__all__", f"不能修改的字段:{'、'.join(sorted(unknown))}")
    clean: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "work_injury_policy_number":
            clean[field] = _text(value, field, SITE_RECORD_FIELDS[field], 64, errors)
        elif field in SITE_RECORD_FIELDS:
            clean[field] = _date(value, field, SITE_RECORD_FIELDS[field], errors)
    record = SiteRecord.objects.select_for_update().filter(project=project).first() or SiteRecord(project=project)
    merged = {f: clean.get(f, getattr(record, f)) for f in SITE_RECORD_FIELDS}
    if merged["work_injury_insured_on"] and not merged["work_injury_policy_number"]:
        errors.add("work_injury_policy_number", "填写参保日期时须同时填写保单号")
    if merged["records_uploaded_on"] and merged["completed_on"] and merged["records_uploaded_on"] < merged["completed_on"] - _YEAR:
        errors.add("records_uploaded_on", "上传完成日期早于竣工日期一年以上,请核对")
    errors.raise_if_any()
    changed = {f: v for f, v in clean.items() if getattr(record, f) != v}
    for field, value in clean.items():
        setattr(record, field, value)
    record.save()
    event_append(actor=actor, action="site_record.updated", obj=record, payload={"project": project.pk, **changed})
    return record




# ---------------------------------------------------------------- payroll sheet from a page


@dataclass
class LineInput:
    project_worker_id: int
    amount_due: Decimal | str
    amount_paid: Decimal | str
    days: Decimal | str = Decimal("0")
    hours: Decimal | str = Decimal("0")
    back_pay: bool = False


@transaction.atomic
def payroll_sheet_submit(*, actor, project: Project, month: date, lines: list[LineInput]) -> PayrollSheet:
    """A month's payroll sheet typed in a page (files go through the import): replaces the lines
    of that month's sheet. Every line is checked first; one bad line saves nothing."""
    _require_writer(actor, project)
    errors = _Errors()
    month = month_start(month)
    workers = {pw.pk: pw for pw in ProjectWorker.objects.filter(project=project, pk__in=[line.project_worker_id for line in lines]).select_related("worker")}
    seen: set[int] = set()
    rows: list[PayrollLine] = []
    if not lines:
        errors.add("lines", "工资表至少要有一行")
    for n, line in enumerate(lines, start=1):
        key = f"lines.{n}"
        pw = workers.get(line.project_worker_id)
        if pw is None:
            errors.add(key, f"第{n}行:工人不在本项目花名册中")
            continue
        if pw.pk in seen:
            errors.add(key, f"第{n}行:{pw.worker.name}在本表中重复")
        seen.add(pw.pk)
        row_errors = _Errors()
        who = f"第{n}行({pw.worker.name})"
        due = _money(line.amount_due, key, f"{who}应发金额", row_errors)
        paid = _money(line.amount_paid, key, f"{who}实发金额", row_errors)
        days = _money(line.days or 0, key, f"{who}出勤天数", row_errors)
        hours = _money(line.hours or 0, key, f"{who}工时", row_errors)
        if days is not None and days > 31:
            row_errors.add(key, f"{who}出勤天数不能超过31天")
        for messages in row_errors.errors.values():
            for message in messages:
                errors.add(key, message)
        if not row_errors.errors:
            rows.append(PayrollLine(project_worker=pw, amount_due=due, amount_paid=paid, days=days, hours=hours, back_pay=bool(line.back_pay)))
    errors.raise_if_any()
    sheet, created = PayrollSheet.objects.get_or_create(project=project, month=month, defaults={"submitted_by": actor})
    if not created:
        sheet.lines.all().delete()
        sheet.submitted_by = actor
        sheet.save(update_fields=["submitted_by"])
    for row in rows:
        row.sheet = sheet
    PayrollLine.objects.bulk_create(rows)
    event_append(
        actor=actor,
        action="payroll_sheet.submitted",
        obj=sheet,
        payload={
            "project": project.pk,
            "month": month,
            "lines": len(rows),
            "amount_due": sum((r.amount_due for r in rows), Decimal("0")),
            "amount_paid": sum((r.amount_paid for r in rows), Decimal("0")),
            "replaced": not created,
        },
    )
    return sheet
