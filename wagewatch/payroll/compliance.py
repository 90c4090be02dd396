"""The "8个100%" of a project for a month, computed from the data (never typed in), the five
systems plus the guarantee deposit as a checklist, and the small-project obligation to upload all
labour records within 30 days of completion.

`project_rates(projects, month)` works for many projects at once with a fixed number of queries
(list pages and the API); with `detail=True` each rate also carries the records behind it (the
workers without a contract, the payroll lines not paid to the worker's own account, ...).

The rates, for a month M (the roster "active in M": entered by the end of M, not left before M):
1. 劳动合同签订: active workers whose labour contract was signed by the end of M / active workers;
2. 实名制考勤: active workers with at least one clock-in or clock-out in M / active workers;
3. 工伤保险(按项目参保): a policy number on the site record, insured by the end of M;
4. 工资保证金存储: a deposit made by the end of M and not released by then;
5. 工资专用账户开设: the wage special account opened by the end of M;
6. 银行代发工资: yuan of M's payroll (amount paid) matched by disbursements from the special
   account to the worker's own bank card (payee account digest = worker's card digest) / yuan paid;
7. 工资按时足额支付: active workers without an open shortfall or late-payment finding for M /
   active workers (from the reconciliation's findings);
   6 and 7 are provisional (shown, not judged: no colour, not "未落实") until the month is settled
   (`reconciliation/settlement.py`: pay day + grace passed and data complete, or long overdue);
8. 维权信息告示牌: the rights board posted by the end of M.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from wagewatch.core.calendar import SHANGHAI, deadline_for

from .models import (
    Attendance,
    BankDisbursement,
    Finding,
    FindingKind,
    GuaranteeDeposit,
    LabourCostInstalment,
    PayrollLine,
    ProjectWorker,
    SiteRecord,
    WageAccount,
)
from .selectors import month_bounds, month_end, month_next

HUNDRED = Decimal("100")

RATE_LABELS = {
    "contracts": "劳动合同签订",
    "attendance": "实名制考勤",
    "injury_insurance": "工伤保险按项目参保",
    "deposit": "工资保证金存储",
    "wage_account": "工资专用账户开设",
    "bank_payroll": "银行代发工资",
    "paid_in_full": "工资按时足额支付",
    "rights_board": "维权信息告示牌设置",
}


@dataclass
class Rate:
    key: str
    numerator: Decimal | int
    denominator: Decimal | int
    unit: str  # 人 / 元 / 项
    behind_label: str = ""  # what the records behind the shortfall are
    behind: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    # The month is not settled yet (reconciliation/settlement.py): "未到发薪日", "数据未齐" or
    # "宽限期内". The figure is shown but not judged: no colour, not "未落实".
    provisional: str = ""

    @property
    def label(self) -> str:
        return RATE_LABELS[self.key]

    @property
    def percent(self) -> Decimal | None:
        """Per cent with one decimal, None when there is nothing to measure."""
        if not self.denominator:
            return None
        return (Decimal(self.numerator) * HUNDRED / Decimal(self.denominator)).quantize(Decimal("0.1"))

    @property
    def ok(self) -> bool:
        return self.percent is not None and self.percent >= HUNDRED

    @property
    def level(self) -> str:
        """A colour for the page: green at 100 %, orange above 80 %, red below, grey without data
        or while the month is provisional."""
        p = self.percent
        if p is None or self.provisional:
            return ""
        return "green" if p >= HUNDRED else "orange" if p >= 80 else "red"

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "unit": self.unit,
            "percent": self.percent,
            "provisional": self.provisional,
        }


@dataclass
class CheckItem:
    key: str
    label: str
    ok: bool
    note: str
    provisional: str = ""  # judged only once the month is settled


def _active_q(month: date) -> Q:
    return Q(entry_date__lte=month_end(month)) & (Q(exit_date__isnull=True) | Q(exit_date__gte=month))


def _worker_row(pw: ProjectWorker) -> dict:
    return {
        "project_worker_id": pw.pk,
        "name": pw.worker.name,
        "team": pw.team.name if pw.team_id else "",
        "entry_date": pw.entry_date,
        "contract_signed_on": pw.contract_signed_on,
    }


def _one(flag: bool) -> tuple[int, int]:
    return (1 if flag else 0), 1


def project_rates(projects: Iterable, month: date, *, detail: bool = False, states: dict | None = None) -> dict[int, list[Rate]]:
    """The eight rates of each project for `month` (first day), keyed by project id. `states`:
    the month's settlement states of these projects when the caller has them already."""
    projects = list(projects)
    ids = [p.pk for p in projects]
    if not ids:
        return {}
    end = month_end(month)
    start_at, end_at = month_bounds(month)
    attended = Attendance.objects.filter(project_worker=OuterRef("pk"), at__gte=start_at, at__lt=end_at)
    active = ProjectWorker.objects.filter(_active_q(month), project_id__in=ids)

    # 1, 2: the active roster, its contracts and attendance.
    roster_counts: dict[int, dict[str, int]] = defaultdict(lambda: {"active": 0, "contracted": 0, "attending": 0})
    no_contract: dict[int, list[dict]] = defaultdict(list)
    no_attendance: dict[int, list[dict]] = defaultdict(list)
    if detail:
        for pw in active.annotate(attended=Exists(attended)).select_related("worker", "team").order_by("worker__name", "pk"):
            c = roster_counts[pw.project_id]
            c["active"] += 1
            if pw.contract_signed_on and pw.contract_signed_on <= end:
                c["contracted"] += 1
            else:
                no_contract[pw.project_id].append(_worker_row(pw))
            if pw.attended:
                c["attending"] += 1
            else:
                no_attendance[pw.project_id].append(_worker_row(pw))
    else:
        for row in (
            active.annotate(attended=Exists(attended))
            .values("project_id")
            .annotate(
                active=Count("pk"),
                contracted=Count("pk", filter=Q(contract_signed_on__lte=end)),
                attending=Count("pk", filter=Q(attended=True)),
            )
        ):
            roster_counts[row["project_id"]] = row

    # 3, 8: the site record.
    sites = {s.project_id: s for s in SiteRecord.objects.filter(project_id__in=ids)}
    # 4: a deposit held at the end of the month.
    held = set(
        GuaranteeDeposit.objects.filter(project_id__in=ids, deposited_on__lte=end)
        .filter(Q(released_on__isnull=True) | Q(released_on__gt=end))
        .values_list("project_id", flat=True)
    )
    # 5: the special account.
    accounts = set(WageAccount.objects.filter(project_id__in=ids, opened_on__lte=end).values_list("project_id", flat=True))

    # 6: payroll paid through the bank to the worker's own card. Wages of M are paid in M or the
    # month after; a disbursement labelled with its month counts only for that month.
    after = month_next(month_next(month))
    paid_lines = (
        PayrollLine.objects.filter(sheet__project_id__in=ids, sheet__month=month)
        .values_list("sheet__project_id", "project_worker_id", "project_worker__worker__name", "project_worker__bank_card_digest", "amount_paid")
        .order_by("sheet__project_id", "project_worker_id")
    )
    pool: dict[tuple[int, str], Decimal] = {}
    after_at = datetime.combine(after, time(0), tzinfo=SHANGHAI)
    for project_id, digest, total in (
        BankDisbursement.objects.filter(project_id__in=ids)
        .filter(Q(month=month) | Q(month__isnull=True, paid_at__gte=start_at, paid_at__lt=after_at))
        .values("project_id", "payee_account_digest")
        .annotate(total=Sum("amount"))
        .values_list("project_id", "payee_account_digest", "total")
    ):
        pool[(project_id, digest)] = Decimal(total or 0)
    bank = defaultdict(lambda: [Decimal("0"), Decimal("0")])
    unmatched: dict[int, list[dict]] = defaultdict(list)
    for project_id, pw_id, name, digest, paid in paid_lines:
        paid = Decimal(paid or 0)
        available = pool.get((project_id, digest), Decimal("0")) if digest else Decimal("0")
        matched = min(paid, available)
        if digest:
            pool[(project_id, digest)] = available - matched
        bank[project_id][0] += matched
        bank[project_id][1] += paid
        if detail and matched < paid:
            unmatched[project_id].append(
                {"project_worker_id": pw_id, "name": name, "amount_paid": paid, "matched": matched, "no_card": not digest}
            )

    # 7: workers with an open shortfall or late-payment finding this month.
    late_or_short: dict[int, set[int]] = defaultdict(set)
    finding_rows: dict[int, list[dict]] = defaultdict(list)
    for f in Finding.objects.filter(
        project_id__in=ids, month=month, status=Finding.Status.OPEN, kind__in=[FindingKind.SHORTFALL, FindingKind.LATE_PAYMENT]
    ).values("pk", "project_id", "project_worker_id", "kind", "amount", "project_worker__worker__name"):
        if f["project_worker_id"]:
            late_or_short[f["project_id"]].add(f["project_worker_id"])
        if detail:
            finding_rows[f["project_id"]].append(
                {
                    "finding_id": f["pk"],
                    "name": f["project_worker__worker__name"] or "",
                    "kind": FindingKind(f["kind"]).label,
                    "amount": f["amount"],
                }
            )

    # 6 and 7 judge pay: before the month is settled they are provisional, not failures.
    from .reconciliation.settlement import month_states

    if states is None or not set(ids) <= set(states):
        states = month_states(ids, month)
    out: dict[int, list[Rate]] = {}
    for project in projects:
        pid = project.pk
        state = states.get(pid)
        pending = state.label if state is not None and state.provisional else ""
        pending_note = f"{state.short},暂不判定" if pending else ""
        c = roster_counts[pid]
        site = sites.get(pid)
        insured = bool(site and site.work_injury_policy_number and (site.work_injury_insured_on is None or site.work_injury_insured_on <= end))
        board = bool(site and site.rights_board_posted_on and site.rights_board_posted_on <= end)
        affected = len(late_or_short[pid])
        out[pid] = [
            Rate("contracts", c["contracted"], c["active"], "人", "未签订劳动合同的工人", no_contract[pid]),
            Rate("attendance", c["attending"], c["active"], "人", "当月无考勤记录的在册工人", no_attendance[pid]),
            Rate("injury_insurance", *_one(insured), "项", note="" if insured else "项目用工情况中未登记工伤保险保单号"),
            Rate("deposit", *_one(pid in held), "项", note="" if pid in held else "月末无未返还的工资保证金"),
            Rate("wage_account", *_one(pid in accounts), "项", note="" if pid in accounts else "未登记工资专用账户"),
            Rate("bank_payroll", bank[pid][0], bank[pid][1], "元", "未由专户代发到本人工资卡的工资", unmatched[pid],
                 note=pending_note or ("" if bank[pid][1] else "当月无工资表"), provisional=pending),
            Rate("paid_in_full", max(c["active"] - affected, 0), c["active"], "人", "少发或迟发工资的工人", finding_rows[pid],
                 note=pending_note or "以工资核对结果为准", provisional=pending),
            Rate("rights_board", *_one(board), "项", note="" if board else "未登记维权信息告示牌设置日期"),
        ]
    return out


def rates_for(project, month: date, *, state=None) -> list[Rate]:
    """One project's rates with the records behind each (`state`: the month's settlement state)."""
    return project_rates([project], month, detail=True, states={project.pk: state} if state is not None else None)[project.pk]


def checklist(project, month: date, rates: list[Rate]) -> list[CheckItem]:
    """The five wage-payment systems and the guarantee deposit (五项制度+保证金) for a project under
    full supervision, judged from the month's rates and the instalments paid into the account."""
    by_key = {r.key: r for r in rates}
    instalment = (
        LabourCostInstalment.objects.filter(project=project, paid_on__lte=month_end(month)).order_by("-paid_on").values("paid_on", "amount").first()
    )

    def rate_note(rate: Rate) -> str:
        if rate.percent is None:
            return rate.note or "当月无数据"
        text = f"{rate.numerator}/{rate.denominator}{rate.unit},{rate.percent}%"
        return f"{text}({rate.note})" if rate.provisional else text

    contracts, attendance, bank = by_key["contracts"], by_key["attendance"], by_key["bank_payroll"]
    return [
        CheckItem("contracts", "劳动合同制度:全员签订劳动合同", contracts.ok, rate_note(contracts)),
        CheckItem("wage_account", "工资专用账户制度:开设工资专用账户", by_key["wage_account"].ok, by_key["wage_account"].note or "已开设"),
        CheckItem(
            "instalments",
            "人工费用分账管理:人工费单独拨付到专户",
            instalment is not None,
            f"最近一笔 {instalment['paid_on']:%Y-%m-%d} {instalment['amount']} 元" if instalment else "未见人工费拨付记录",
        ),
        CheckItem("bank_payroll", "总包代发制度:施工总承包单位通过银行代发工资", bank.ok, rate_note(bank), provisional=bank.provisional),
        CheckItem("attendance", "实名制管理:实名制考勤", attendance.ok, rate_note(attendance)),
        CheckItem("deposit", "工资保证金制度:存储工资保证金", by_key["deposit"].ok, by_key["deposit"].note or "已存储"),
    ]


# ---------------------------------------------------------------- small projects


@dataclass
class UploadObligation:
    applies: bool  # a project not under full supervision that has been completed
    due_at: datetime | None = None
    done_on: date | None = None

    @property
    def overdue(self) -> bool:
        return bool(self.applies and self.done_on is None and self.due_at and self.due_at < timezone.now())

    @property
    def late(self) -> bool:
        """Uploaded, but after the due date."""
        return bool(self.applies and self.done_on and self.due_at and self.done_on > self.due_at.astimezone(SHANGHAI).date())


def upload_obligation(project, site: SiteRecord | None) -> UploadObligation:
    """Smaller projects (not under full supervision) upload all labour records within the time
    limit `small_project_records_upload` (30 calendar days) of completion."""
    if project.under_full_supervision or site is None or site.completed_on is None:
        return UploadObligation(applies=False)
    start = datetime.combine(site.completed_on, time(12), tzinfo=SHANGHAI)
    return UploadObligation(applies=True, due_at=deadline_for("small_project_records_upload", start).due_at, done_on=site.records_uploaded_on)
