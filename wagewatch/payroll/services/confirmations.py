"""The worker's own monthly pay records (phone pages) and his answer to a month: confirmed, or
disputed, which becomes a complaint in the closed loop.

What a worker sees for a project and month (`pay_months`):

- days attended: the local (Asia/Shanghai) calendar days with at least one punch of his;
- the payroll line: days, amount due, amount paid (as the general contractor's sheet says);
- what the bank paid from the wage special account to HIS OWN card (the card on his worker
  record, found by its digest): disbursements labelled with the month, or, when the bank gave
  no month, payments made in the following month (wages of a month are paid the next month);
- an estimate of what is owed, by the reconciliation engine's rule: attendance × daily rate, the
  monthly rate pro rata of the days on the roster, or quantities × piece rate; what he should
  have got is the larger of that and the payroll's amount due;
- the open findings of the reconciliation about him (and the project-wide ones that concern
  every worker of the site, such as no outflow from the wage account on pay day), in plain words.

`pay_month_answer` records the answer (`PayMonthConfirmation`, one per project worker and month)
with its history event in one transaction. A dispute registers a complaint (channel: worker
phone) against the project's general contractor with the external id
`pay-dispute-<project worker>-<YYYYMM>`, so a dispute sent twice returns the first complaint. A
confirmed month may later be disputed; a disputed month stays disputed.
"""

from __future__ import annotations

import calendar
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wagewatch.core.protected import BANK_CARD, PHONE, mask, validate_id_number
from wagewatch.history.services import event_append
from wagewatch.intake.models import Channel, Complaint
from wagewatch.intake.services import ComplaintInput, complaint_register

from ..models import (
    Attendance,
    BankDisbursement,
    Finding,
    FindingKind,
    PayMonthConfirmation,
    PayrollLine,
    ProjectWorker,
    WageBasis,
    WorkQuantity,
)
from ..reconciliation.settlement import MonthState, month_states

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
NOTE_MAX = 500
MAX_DISPUTE_AMOUNT = Decimal("9999999.99")

ACTION_LABELS = {
    "pay_month.confirm": "工人确认当月工资",
    "pay_month.dispute": "工人对当月工资提出异议",
}

# Payload keys of those events not named elsewhere (the model's field names cover the rest).
PAYLOAD_KEY_LABELS = {
    "has_note": "有说明",
    "amount_stated": "金额由工人填写",
    "previously": "原答复",
    "bank_paid": "银行发到本人卡上",
    "amount_due": "工资表应发",
    "days": "出勤天数",
}

# Findings that concern the whole site (no project worker): shown to every worker of the project.
PROJECT_WIDE_KINDS = {FindingKind.NO_OUTFLOW_ON_PAY_DAY, FindingKind.NO_WAGE_FROM_ACCOUNT}

# What a finding means, said to the worker it is about.
FINDING_WORDS: dict[str, str] = {
    FindingKind.SHORTFALL: "按您的考勤和约定的工资标准,这个月的工资少发了。",
    FindingKind.LATE_PAYMENT: "这个月的工资没有在约定的发薪日之前发到您的卡上。",
    FindingKind.PAID_TO_OTHER: "您这个月的工资没有发到您本人的工资卡,而是发到了别人(例如班组长)的账户。",
    FindingKind.SHARED_ACCOUNT: "您和其他几名工人的工资被发到了同一个账户,不是各自的工资卡。",
    FindingKind.NO_OUTFLOW_ON_PAY_DAY: "这个工地的工资专用账户在发薪日没有发出工资。",
    FindingKind.ATTENDANCE_WITHOUT_WAGE: "您这个月有考勤记录,但工资表上没有您的工资。",
    FindingKind.WAGE_WITHOUT_ATTENDANCE: "工资表上有您这个月的工资,但没有您的考勤记录,请核对是否是您本人在这个工地干活。",
    FindingKind.NO_WAGE_FROM_ACCOUNT: "这个工地的工资专用账户这个月和下个月都没有发放工资。",
    FindingKind.LOW_AVERAGE_PAY: "这个工地工资表上的人均工资明显偏低。",
    FindingKind.FEWER_PAID_THAN_ATTENDING: "这个工地发工资的人数少于上班的人数。",
    FindingKind.LARGE_PAYMENT_TO_ONE: "您的卡上收到的钱明显比一个人的工资多,可能有别人的工资发给了您。",
    FindingKind.EXIT_WITHOUT_SETTLEMENT: "您退场后,工资还没有结算并由您本人确认。",
    FindingKind.MISSING_WAGE_RECORDS: "这个工地很多上班的工人没有工资记录。",
}
# Kinds whose amount is money the worker is short of (shown as "涉及金额").
MONEY_KINDS = {FindingKind.SHORTFALL, FindingKind.PAID_TO_OTHER, FindingKind.ATTENDANCE_WITHOUT_WAGE, FindingKind.LATE_PAYMENT}


@dataclass
class BankPayment:
    paid_at: datetime
    amount: Decimal
    account_masked: str
    reference: str


@dataclass
class PlainFinding:
    kind: str
    label: str
    words: str
    level: str
    amount: Decimal | None


@dataclass
class PayMonth:
    """One month of one project worker, as the worker sees it."""

    project_worker: ProjectWorker
    month: date
    days_attended: int = 0
    payroll_days: Decimal | None = None
    amount_due: Decimal | None = None  # the payroll line
    amount_paid: Decimal | None = None  # the payroll line
    back_pay: bool = False
    bank_paid: Decimal = ZERO  # to his own card
    bank_payments: list[BankPayment] = field(default_factory=list)
    quantity: Decimal | None = None
    estimate: Decimal | None = None  # attendance × rate, monthly rate, or quantity × piece rate
    findings: list[PlainFinding] = field(default_factory=list)
    confirmation: PayMonthConfirmation | None = None
    state: MonthState | None = None  # settled or provisional (reconciliation/settlement.py)

    @property
    def due(self) -> bool:
        """The pay day has passed: only then is money not on his card a gap."""
        return self.state is None or self.state.due

    @property
    def provisional(self) -> str:
        """"未到发薪日" / "数据未齐" / "宽限期内" while the month is provisional, else empty."""
        return self.state.label if self.state is not None and self.state.provisional else ""

    @property
    def has_payroll(self) -> bool:
        return self.amount_due is not None

    @property
    def owed(self) -> Decimal:
        """What the month should have brought: the larger of the payroll's amount due and the
        estimate from attendance (as the reconciliation engine expects)."""
        return max(self.amount_due or ZERO, self.estimate or ZERO)

    @property
    def gap(self) -> Decimal:
        """Owed minus what reached his own card (not below zero); nothing before the pay day,
        when the wages are not due yet."""
        if not self.due:
            return ZERO
        return max(self.owed - self.bank_paid, ZERO)

    @property
    def suggested_dispute_amount(self) -> Decimal:
        shortfalls = [f.amount for f in self.findings if f.kind in MONEY_KINDS and f.amount]
        return max([self.gap, *shortfalls]).quantize(CENT)

    @property
    def answer(self) -> str:
        return self.confirmation.answer if self.confirmation else ""

    @property
    def ym(self) -> str:
        return f"{self.month:%Y-%m}"


@dataclass
class AnswerResult:
    confirmation: PayMonthConfirmation
    complaint: Complaint | None
    created: bool  # a new answer (or a change from confirmed to disputed) was recorded
    case_created: bool = False


# ---------------------------------------------------------------------------------------- reading


def month_start(value: date) -> date:
    return date(value.year, value.month, 1)


def _previous_month(value: date) -> date:
    return date(value.year - 1, 12, 1) if value.month == 1 else date(value.year, value.month - 1, 1)


def _local_month(moment: datetime) -> date:
    return month_start(timezone.localtime(moment).date())


def _roster_days(pw: ProjectWorker, month: date) -> int:
    last = date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])
    start = max(pw.entry_date, month)
    end = min(pw.exit_date or last, last)
    return max(0, (end - start).days + 1)


def _estimate(pw: ProjectWorker, month: date, days: int, quantity: Decimal | None) -> Decimal | None:
    """The same rule as the reconciliation engine (reconciliation/compute.py): days × daily rate;
    the monthly rate pro rata of the calendar days on the roster, when he attended at all;
    quantity × piece rate."""
    rate = pw.agreed_rate or ZERO
    if pw.wage_basis == WageBasis.DAILY:
        return (rate * days).quantize(CENT) if days else None
    if pw.wage_basis == WageBasis.MONTHLY:
        if not days:
            return None
        month_days = calendar.monthrange(month.year, month.month)[1]
        return (rate * _roster_days(pw, month) / month_days).quantize(CENT)
    if quantity is not None:
        return (rate * quantity).quantize(CENT)
    return None


def _finding_words(finding: Finding) -> str:
    words = FINDING_WORDS.get(finding.kind, finding.get_kind_display())
    detail = finding.detail
    if isinstance(detail, str):  # the engine may store its JSON text as is
        try:
            detail = json.loads(detail)
        except ValueError:
            detail = {}
    detail = detail if isinstance(detail, dict) else {}
    if finding.kind == FindingKind.LATE_PAYMENT and str(detail.get("days_late") or "").isdigit():
        words += f"比约定的发薪日晚了{detail['days_late']}天。"
    return words


def pay_months(project_worker: ProjectWorker, *, only: date | None = None) -> list[PayMonth]:
    """Every month with a record of this project worker (attendance, payroll line, payment to his
    card, quantity, finding or answer), newest first; `only` restricts to one month."""
    pw = project_worker
    worker = pw.worker
    months: dict[date, PayMonth] = {}

    def slot(month: date) -> PayMonth:
        if month not in months:
            months[month] = PayMonth(project_worker=pw, month=month)
        return months[month]

    # Attendance: distinct local days (a worker's rows only, through the unique index on
    # (project_worker, at, direction)).
    punches = Attendance.objects.filter(project_worker_id=pw.pk)
    if only is not None:
        start = timezone.make_aware(datetime(only.year, only.month, 1))
        last = calendar.monthrange(only.year, only.month)[1]
        end = timezone.make_aware(datetime(only.year, only.month, last, 23, 59, 59, 999999))
        punches = punches.filter(at__gte=start, at__lte=end)
    days: dict[date, set] = defaultdict(set)
    for moment in punches.values_list("at", flat=True).iterator(chunk_size=2000):
        local = timezone.localtime(moment).date()
        days[month_start(local)].add(local)
    for month, dates in days.items():
        slot(month).days_attended = len(dates)

    lines = PayrollLine.objects.filter(project_worker_id=pw.pk).select_related("sheet")
    if only is not None:
        lines = lines.filter(sheet__month=only)
    for line in lines:
        pm = slot(month_start(line.sheet.month))
        pm.payroll_days = line.days
        pm.amount_due = (pm.amount_due or ZERO) + line.amount_due
        pm.amount_paid = (pm.amount_paid or ZERO) + line.amount_paid
        pm.back_pay = pm.back_pay or line.back_pay

    quantities = WorkQuantity.objects.filter(project_worker_id=pw.pk)
    if only is not None:
        quantities = quantities.filter(month=only)
    for row in quantities:
        slot(month_start(row.month)).quantity = row.quantity

    if pw.bank_card_digest:
        paid = BankDisbursement.objects.filter(project_id=pw.project_id, payee_account_digest=pw.bank_card_digest)
        card_shared = ProjectWorker.objects.filter(project_id=pw.project_id, bank_card_digest=pw.bank_card_digest).exclude(pk=pw.pk).exists()
        if card_shared:
            # Two workers of the project registered one card: a payment is the one's it names.
            paid = paid.filter(payee_name=worker.name)
        if only is not None:
            following = date(only.year + 1, 1, 1) if only.month == 12 else date(only.year, only.month + 1, 1)
            f_start = timezone.make_aware(datetime(following.year, following.month, 1))
            f_last = calendar.monthrange(following.year, following.month)[1]
            f_end = timezone.make_aware(datetime(following.year, following.month, f_last, 23, 59, 59, 999999))
            paid = paid.filter(Q(month=only) | Q(month__isnull=True, paid_at__gte=f_start, paid_at__lte=f_end))
        for row in paid.order_by("paid_at", "pk"):
            month = month_start(row.month) if row.month else _previous_month(_local_month(row.paid_at))
            if only is not None and month != only:
                continue
            pm = slot(month)
            pm.bank_paid += row.amount
            pm.bank_payments.append(BankPayment(row.paid_at, row.amount, mask(BANK_CARD, row.payee_account), row.reference))

    findings = Finding.objects.filter(project_id=pw.project_id, status=Finding.Status.OPEN).filter(
        Q(project_worker_id=pw.pk) | Q(project_worker__isnull=True, kind__in=PROJECT_WIDE_KINDS)
    )
    if only is not None:
        findings = findings.filter(month=only)
    wide = []
    for f in findings.order_by("month", "kind"):
        plain = PlainFinding(f.kind, f.get_kind_display(), _finding_words(f), f.level, f.amount if f.kind in MONEY_KINDS else None)
        if f.project_worker_id is None:
            wide.append((month_start(f.month), plain))
        else:
            slot(month_start(f.month)).findings.append(plain)

    answers = PayMonthConfirmation.objects.filter(project_worker_id=pw.pk).select_related("complaint__case")
    if only is not None:
        answers = answers.filter(month=only)
    for answer in answers:
        slot(month_start(answer.month)).confirmation = answer

    # Site-wide findings only on months he has records of (not months before he came).
    for month, plain in wide:
        if month in months:
            months[month].findings.append(plain)

    for pm in months.values():
        pm.estimate = _estimate(pw, pm.month, pm.days_attended, pm.quantity)
        pm.state = month_states([pw.project_id], pm.month)[pw.project_id]
    return [months[m] for m in sorted(months, reverse=True)]


def pay_month(project_worker: ProjectWorker, month: date) -> PayMonth | None:
    """One month of the project worker, or None when he has no record at all for it."""
    found = pay_months(project_worker, only=month_start(month))
    return found[0] if found else None


# ---------------------------------------------------------------------------------------- writing


def _clean_amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    text = str(value).replace(",", "").replace(",", "").replace("元", "").replace("¥", "").strip()
    multiplier = 1
    if text.endswith("万"):
        text, multiplier = text[:-1].strip(), 10000
    try:
        amount = (Decimal(text) * multiplier).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": ["钱数请填数字,例如 3200"]}) from None
    if amount <= 0 or amount > MAX_DISPUTE_AMOUNT:
        raise ValidationError({"amount": ["钱数应大于0,并且不超过一千万元"]})
    return amount


def _describe(pm: PayMonth, note: str) -> str:
    parts = [f"工人在手机上对{pm.month.year}年{pm.month.month}月的工资提出异议。"]
    parts.append(f"考勤{pm.days_attended}天")
    if pm.has_payroll:
        parts.append(f"工资表应发{pm.amount_due}元、实发{pm.amount_paid}元")
    else:
        parts.append("工资表上没有该工人")
    parts.append(f"银行代发到本人工资卡{pm.bank_paid}元")
    if pm.estimate is not None:
        parts.append(f"按约定工资标准估算应得{pm.estimate}元")
    text = parts[0] + ",".join(parts[1:]) + "。"
    if pm.findings:
        text += "工资核对发现:" + ";".join(f.label for f in pm.findings) + "。"
    if note:
        text += "工人说明:" + note
    return text


def _valid_id_number(value: str) -> str:
    """The worker's ID number for the complaint, or nothing when the roster holds a malformed one
    (the dispute must not fail for the site's typing error; the phone identifies him)."""
    try:
        return validate_id_number(value or "") if value else ""
    except ValidationError:
        return ""


def _complaint_input(pm: PayMonth, amount: Decimal, note: str) -> ComplaintInput:
    pw = pm.project_worker
    project = pw.project
    worker = pw.worker
    contractor = project.general_contractor
    last_day = calendar.monthrange(pm.month.year, pm.month.month)[1]
    return ComplaintInput(
        complainant_name=worker.name,
        complainant_phone=pw.phone,
        complainant_id_number=_valid_id_number(worker.id_number),
        employer_name=contractor.name if contractor else f"{project.name}施工总承包单位",
        employer_credit_code=(contractor.credit_code or "") if contractor else "",
        worker_count=1,
        amount_owed=amount,
        period_start=pm.month,
        period_end=min(date(pm.month.year, pm.month.month, last_day), timezone.localdate()),
        project_id=project.pk,
        subcontracting_chain=(pw.team.name + (f"(班组长{pw.team.leader_name})" if pw.team.leader_name else "")) if pw.team_id else "",
        description=_describe(pm, note),
    )


def pay_month_answer(
    *,
    actor,
    project_worker: ProjectWorker,
    month: date,
    answer: str,
    note: str = "",
    amount=None,
) -> AnswerResult:
    """Record the worker's answer to one month of one project.

    - confirmed: recorded once (a second confirmation changes nothing);
    - disputed: registers a complaint (dispatched like any other) and links it; the amount in
      dispute is what the worker states, else owed − paid to his card (or the shortfall found);
      a dispute sent again returns the first complaint;
    - a confirmed month may be disputed later; a disputed month cannot be confirmed.
    Raises ValidationError (Chinese, by field) when the answer cannot be taken."""
    if answer not in PayMonthConfirmation.Answer.values:
        raise ValidationError({"answer": ["请选择“确认无误”或“有异议”"]})
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": [f"说明不超过{NOTE_MAX}个字"]})
    month = month_start(month)
    if month > month_start(timezone.localdate()):
        raise ValidationError({"month": ["这个月还没到,不能确认或提出异议"]})
    stated = _clean_amount(amount)

    with transaction.atomic():
        # One answer at a time per project worker: a double tap waits here, then sees the first.
        pw = (
            ProjectWorker.objects.select_for_update(of=("self",))
            .select_related("project__general_contractor", "worker", "team")
            .get(pk=project_worker.pk)
        )
        existing = PayMonthConfirmation.objects.select_for_update().filter(project_worker=pw, month=month).first()
        if existing is not None and existing.answer == PayMonthConfirmation.Answer.DISPUTED:
            if answer == PayMonthConfirmation.Answer.CONFIRMED:
                raise ValidationError(
                    {"answer": ["这个月您已经提出异议并转为投诉,不能再改为确认。问题解决后,工作人员回访时请如实说明。"]}
                )
            return AnswerResult(existing, existing.complaint, created=False)
        if existing is not None and answer == PayMonthConfirmation.Answer.CONFIRMED:
            return AnswerResult(existing, None, created=False)
        pm = pay_month(pw, month)
        if pm is None:
            raise ValidationError({"month": ["这个月没有您在这个工地的考勤或工资记录"]})

        now = timezone.now()
        complaint = None
        case_created = False
        payload = {"project": pw.project.code, "project_worker": pw.pk, "month": f"{month:%Y-%m}", "answer": answer, "has_note": bool(note)}
        if answer == PayMonthConfirmation.Answer.DISPUTED:
            disputed = stated if stated is not None else pm.suggested_dispute_amount
            if disputed <= 0:
                raise ValidationError({"amount": ["记录上看不出少发了多少钱,请填写您认为少发的钱数(不清楚可填大概数)"]})
            result = complaint_register(
                actor=actor,
                channel=Channel.WORKER_PHONE,
                data=_complaint_input(pm, disputed, note),
                external_id=f"pay-dispute-{pw.pk}-{month:%Y%m}",
                dispatch=True,
            )
            complaint, case_created = result.complaint, result.case_created
            payload.update(
                {
                    "amount": str(disputed),
                    "amount_stated": stated is not None,
                    "complaint": complaint.number,
                    "case": result.case.number,
                    "previously": existing.answer if existing else "",
                }
            )
        else:
            payload.update({"days": pm.days_attended, "amount_due": str(pm.amount_due) if pm.has_payroll else "", "bank_paid": str(pm.bank_paid)})

        if existing is None:
            confirmation = PayMonthConfirmation.objects.create(
                project_worker=pw, month=month, answer=answer, note=note, answered_at=now, complaint=complaint
            )
        else:
            existing.answer, existing.note, existing.answered_at, existing.complaint = answer, note, now, complaint
            existing.save(update_fields=["answer", "note", "answered_at", "complaint"])
            confirmation = existing
        action = "pay_month.dispute" if answer == PayMonthConfirmation.Answer.DISPUTED else "pay_month.confirm"
        event_append(actor=actor, action=action, obj=confirmation, payload=payload)
        return AnswerResult(confirmation, complaint, created=True, case_created=case_created)


def worker_actor_label(phone: str) -> str:
    """How a worker is named in the history (masked phone), as on the other worker pages."""
    return "劳动者:" + mask(PHONE, phone)
