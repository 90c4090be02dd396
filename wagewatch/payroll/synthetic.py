"""Synthetic construction projects for one month, with planted anomalies of every finding kind.

    result = synthetic.build(month=date(2026, 9, 1), territory=t, general_contractor=e)
    result.planted   # [Planted(kind, project_code, subject, amount, ...)] what the engine must find
    result.clean_project_ids

Small sizes (tests, the demo) and the bench's 1,000,000 worker-months use the same code: rows are
made as tuples with explicit ids and written with COPY on PostgreSQL (executemany on SQLite).

Protected values: every worker gets its own valid ID number, phone and bank card, and the digest
columns are the real keyed hashes of those values (HMAC is cheap), so lookups and the engine's
account matching work. Encrypting is the slow part (AES-GCM per value): at small sizes every
value is encrypted; with `cipher_pool=N` (the bench) the ciphertexts are drawn from N encrypted
values made once, so a revealed value of a bench worker is some other synthetic worker's. Bench
data is synthetic and never shown to anyone, so that is stated here rather than hidden.

What is clean (no finding): daily workers paid days × rate to their own card before the pay day,
a monthly worker entering mid-month (paid pro rata), a piece worker (quantity × rate), a payment
whose bank statement leaves the month empty (paid in the following month before the pay day), and
a punch at 00:30 local time (counted on its local date). Each anomaly is planted in a project of
its own; `Planted.side_kinds` lists the other kinds that anomaly necessarily brings on that project
(a worker paid to a foreman is also short of pay on his own card).
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from wagewatch.core.protected import BANK_CARD, ID_NUMBER, PHONE, encrypt, lookup_digest
from wagewatch.payroll.models import (
    Attendance,
    BankDisbursement,
    PayrollLine,
    PayrollSheet,
    ProjectWorker,
    WageAccount,
    Worker,
    WorkQuantity,
)
from wagewatch.registry.models import Project

LOCAL = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红海波鹏飞斌春林宇浩凯辉龙翔亮健峰晨东"
TRADES = ["木工", "钢筋工", "混凝土工", "砌筑工", "架子工", "电工", "焊工", "普工"]

KINDS_PLANTED = [
    "shortfall", "late_payment", "paid_to_other", "shared_account", "no_outflow_on_pay_day", "attendance_without_wage",
    "wage_without_attendance", "no_wage_from_account", "low_average_pay", "fewer_paid_than_attending",
    "large_payment_to_one", "exit_without_settlement", "missing_wage_records",
]


@dataclass
class Planted:
    kind: str
    project_code: str
    subject: str  # "pw:<project worker id>", "acct:<payee account digest>" or "project"
    amount: Decimal | None
    level: str = ""
    side_kinds: set[str] = field(default_factory=set)
    project_id: int = 0


@dataclass
class Result:
    month: date
    project_ids: list[int]
    clean_project_ids: list[int]
    planted: list[Planted]
    worker_months: int = 0
    attendance_rows: int = 0


def worker_name(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i // len(SURNAMES)) % len(GIVEN)] + GIVEN[(i // (len(SURNAMES) * len(GIVEN))) % len(GIVEN)]


def id_number(n: int) -> str:
    from stdnum.cn import ric

    birth = date(1960, 1, 1) + timedelta(days=(n // 1000) % 16000)
    body = f"110105{birth:%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # the function ignores the last character


def bank_card(n: int) -> str:
    return f"6222{n:012d}"


def phone(n: int) -> str:
    return f"13{n % 10**9:09d}"


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def work_days(month: date, count: int = 22, *, until: date | None = None, since: date | None = None) -> list[date]:
    """The first `count` weekdays of the month (within since..until)."""
    days = calendar.monthrange(month.year, month.month)[1]
    out = []
    for d in range(1, days + 1):
        day = month.replace(day=d)
        if day.weekday() < 5 and (until is None or day <= until) and (since is None or day >= since):
            out.append(day)
    return out[:count]


def pay_day_of(month: date, pay_day: int = 15) -> date:
    n = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return n.replace(day=min(pay_day, calendar.monthrange(n.year, n.month)[1]))


@lru_cache(maxsize=4096)
def local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=LOCAL).astimezone(UTC)


class _Ids:
    def __init__(self):
        self.next = {}
        for model in (Worker, ProjectWorker, PayrollSheet, PayrollLine, BankDisbursement, Attendance, WorkQuantity, WageAccount):
            last = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            self.next[model] = last + 1

    def take(self, model) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


class Builder:
    """Collects rows of one month; `write()` stores them."""

    def __init__(self, month: date, *, cipher_pool: int = 0, punches_per_day: int = 2, pay_day: int = 15, until: date | None = None):
        self.month = month.replace(day=1)
        self.until = until  # payments after this day are not made (they lie in the future)
        self.pay_day = pay_day
        self.payday = pay_day_of(self.month, pay_day)
        self.punches_per_day = punches_per_day
        self.ids = _Ids()
        self.now = timezone.now()
        self.pool = [encrypt(f"{i:018d}") for i in range(cipher_pool)] if cipher_pool else None
        self._pool_cycle = itertools.cycle(self.pool) if self.pool else None
        self.contacts: dict[int, tuple] = {}
        self.rows: dict[type, list[tuple]] = {m: [] for m in (Worker, ProjectWorker, PayrollSheet, PayrollLine, BankDisbursement, WorkQuantity, WageAccount)}
        self.attendance: list[tuple[int, int, list[date], list[tuple[int, int]]]] = []  # project, pw, days, extra (hh, mm)
        self.attendance_rows = 0
        self.worker_months = 0
        self._refs = itertools.count(1)

    def _enc(self, value: str) -> str:
        return next(self._pool_cycle) if self._pool_cycle else encrypt(value)

    # ------------------------------------------------------------ rows

    def wage_account(self, project_id: int) -> None:
        card = f"6217{project_id:012d}"
        self.rows[WageAccount].append(
            (self.ids.take(WageAccount), project_id, "示范银行城东支行", self._enc(card), lookup_digest(BANK_CARD, card), self.month - timedelta(days=120), self.pay_day)
        )

    def worker(self, index: int, *, card: str | None = None) -> tuple[int, str, str]:
        wid = self.ids.take(Worker)
        name = worker_name(index)
        card = card or bank_card(wid)
        idn, ph = id_number(wid), phone(wid)
        self.rows[Worker].append((wid, name, self._enc(idn), lookup_digest(ID_NUMBER, idn), self.now, self.now))
        # Phone, card, bank and trade are each employment's own: every project of this worker gets them.
        self.contacts[wid] = (
            self._enc(ph), lookup_digest(PHONE, ph), self._enc(card), lookup_digest(BANK_CARD, card), "示范银行", TRADES[wid % len(TRADES)],
        )
        return wid, name, card

    def project_worker(self, project_id: int, worker_id: int, *, basis="daily", rate=Decimal("300"), entry=None, exit=None) -> int:
        pwid = self.ids.take(ProjectWorker)
        entry = entry or self.month - timedelta(days=60)
        self.rows[ProjectWorker].append((
            pwid, project_id, worker_id, None, *self.contacts[worker_id], entry, exit, entry, basis, Decimal(rate), None, None, self.now, self.now,
        ))
        self.worker_months += 1
        return pwid

    def attend(self, project_id: int, pwid: int, days: list[date], extra: list[tuple[int, int]] | None = None) -> None:
        self.attendance.append((project_id, pwid, days, extra or []))
        self.attendance_rows += len(days) * self.punches_per_day + len(extra or [])

    def sheet(self, project_id: int) -> int:
        sid = self.ids.take(PayrollSheet)
        self.rows[PayrollSheet].append((sid, project_id, self.month, self.now, None))
        return sid

    def line(self, sheet_id: int, pwid: int, days: int, due: Decimal, paid: Decimal | None = None) -> None:
        self.rows[PayrollLine].append((self.ids.take(PayrollLine), sheet_id, pwid, Decimal(days), Decimal(days * 8), due, due if paid is None else paid, False))

    def pay(self, project_id: int, name: str, card: str, amount: Decimal, *, when: date | None = None, month: date | None | bool = True) -> int:
        when = when or self.payday - timedelta(days=2)
        if self.until is not None and when > self.until:
            return 0  # not paid yet (the demo's current month)
        did = self.ids.take(BankDisbursement)
        self.rows[BankDisbursement].append((
            did, project_id, local(when, 10), name, self._enc(card), lookup_digest(BANK_CARD, card), amount,
            f"SYN{project_id:06d}{self.month:%Y%m}{next(self._refs):07d}", self.month if month is True else None,
        ))
        return did

    def quantity(self, pwid: int, qty: Decimal) -> None:
        self.rows[WorkQuantity].append((self.ids.take(WorkQuantity), pwid, self.month, qty, "m³"))

    # ------------------------------------------------------------ projects

    def project(self, project: Project, *, workers: int, plant: str | None = None, variety: bool = False,
                staff: list[dict] | None = None) -> list[Planted]:
        """One project's month: `workers` daily workers, all paid right, then `plant` applied.
        `staff` (the `last_staff` of an earlier month's builder) continues the same daily workers
        into this month (plants that change a worker's terms need new staff)."""
        pid = project.pk
        sid = self.sheet(pid)
        days = work_days(self.month)
        if staff is None:
            self.wage_account(pid)
            staff = []
            for i in range(workers):
                wid, name, card = self.worker(i)
                rate = Decimal("80") if plant == "low_average_pay" else Decimal("300") + 10 * (i % 5)
                staff.append({"name": name, "card": card, "wid": wid, "rate": rate, "days": days, "basis": "daily"})
        else:
            staff = [{k: s[k] for k in ("name", "card", "wid", "rate", "basis", "pw")} | {"days": days} for s in staff]
        self.last_staff = staff
        planted: list[Planted] = []
        code = project.code
        s0 = staff[0]
        if plant == "large_payment_to_one":
            s0.update(basis="monthly", rate=Decimal("60000"))
        if plant == "exit_without_settlement":
            exit_day = self.month.replace(day=10)
            s0.update(exit=exit_day, days=work_days(self.month, until=exit_day))
        if plant == "wage_without_attendance":
            s0.update(days=[], basis="daily", due=Decimal("6000.00"))
        if variety:
            # a monthly worker entering on the 11th (pro rata), a piece worker, a night punch.
            mdays = calendar.monthrange(self.month.year, self.month.month)[1]
            entry = self.month.replace(day=11)
            staff[1].update(basis="monthly", rate=Decimal("6000"), entry=entry, days=work_days(self.month, since=entry))
            staff[1]["due"] = _money(Decimal("6000") * (mdays - 10) / mdays)
            staff[2].update(basis="piece", rate=Decimal("45"), quantity=Decimal("120.500"), due=_money(Decimal("45") * Decimal("120.5")))
            staff[3]["night"] = True
            staff[4]["month_empty"] = True
        for s in staff:
            if "pw" not in s:
                s["pw"] = self.project_worker(pid, s["wid"], basis=s["basis"], rate=s["rate"], entry=s.get("entry"), exit=s.get("exit"))
            else:
                self.worker_months += 1
            extra = []
            if s.get("night"):
                # 00:30 local on the first Saturday: a new local date (the previous day in UTC).
                sat = next(d for d in (self.month + timedelta(days=k) for k in range(7)) if d.weekday() == 5)
                extra = [(sat, 0, 30)]
            if s["days"] or extra:
                self.attend(pid, s["pw"], s["days"], extra)
            n_days = len(s["days"]) + len(extra)
            if "due" not in s:
                s["due"] = _money(s["rate"] * n_days) if s["basis"] == "daily" else s["rate"]
            if s.get("quantity") is not None:
                self.quantity(s["pw"], s["quantity"])
        total = sum((s["due"] for s in staff), Decimal("0"))
        # what is paid, anomaly by anomaly
        no_line = set()
        unpaid = set()
        if plant == "shortfall":
            s0["paid"] = s0["due"] - 1000
            planted.append(Planted("shortfall", code, f"pw:{s0['pw']}", Decimal("1000.00")))
        elif plant == "late_payment":
            s0["when"] = self.payday + timedelta(days=5)
            planted.append(Planted("late_payment", code, f"pw:{s0['pw']}", s0["due"]))
        elif plant == "paid_to_other":
            # a foreman (not on the roster) receives the pay of three workers in one payment.
            foreman_card = f"6230{pid:012d}"
            lump = sum((s["due"] for s in staff[:3]), Decimal("0"))
            unpaid |= {0, 1, 2}
            self.pay(pid, "包工头" + worker_name(pid), foreman_card, lump)
            side = {"shortfall"}
            planted.append(Planted("paid_to_other", code, "acct:" + lookup_digest(BANK_CARD, foreman_card), lump, side_kinds=side))
            planted.append(Planted("fewer_paid_than_attending", code, "project", None, side_kinds=side | {"paid_to_other"}))
        elif plant == "shared_account":
            s1 = staff[1]
            s1["card_paid"] = s0["card"]
            planted.append(Planted("shared_account", code, "acct:" + lookup_digest(BANK_CARD, s0["card"]), s0["due"] + s1["due"],
                                   side_kinds={"paid_to_other", "shortfall", "fewer_paid_than_attending"}))
            planted.append(Planted("paid_to_other", code, f"pw:{s1['pw']}", s1["due"], side_kinds={"shared_account", "shortfall", "fewer_paid_than_attending"}))
        elif plant == "no_outflow_on_pay_day":
            for s in staff:
                s["when"] = self.payday + timedelta(days=3)
            planted.append(Planted("no_outflow_on_pay_day", code, "project", total, side_kinds={"late_payment"}))
        elif plant == "attendance_without_wage":
            no_line.add(0)
            unpaid.add(0)
            planted.append(Planted("attendance_without_wage", code, f"pw:{s0['pw']}", s0["due"], side_kinds={"shortfall", "fewer_paid_than_attending"}))
        elif plant == "wage_without_attendance":
            planted.append(Planted("wage_without_attendance", code, f"pw:{s0['pw']}", s0["due"]))
        elif plant == "no_wage_from_account":
            unpaid |= set(range(workers))
            attending_total = sum((s["due"] for s in staff if s["days"]), Decimal("0"))
            planted.append(Planted("no_wage_from_account", code, "project", attending_total,
                                   side_kinds={"no_outflow_on_pay_day", "shortfall", "fewer_paid_than_attending"}))
        elif plant == "low_average_pay":
            planted.append(Planted("low_average_pay", code, "project", _money(total / workers)))
        elif plant == "large_payment_to_one":
            planted.append(Planted("large_payment_to_one", code, "acct:" + lookup_digest(BANK_CARD, s0["card"]), Decimal("60000.00")))
        elif plant == "exit_without_settlement":
            planted.append(Planted("exit_without_settlement", code, f"pw:{s0['pw']}", None))
        elif plant == "missing_wage_records":
            missing = set(range(max(3, workers // 5 + 1)))  # over 10% of the attending workers
            no_line |= missing
            unpaid |= missing
            planted.append(Planted("missing_wage_records", code, "project", None,
                                   side_kinds={"attendance_without_wage", "shortfall", "fewer_paid_than_attending"}))
        elif plant is not None:
            raise ValueError(f"unknown anomaly {plant}")
        for i, s in enumerate(staff):
            if i not in no_line:
                self.line(sid, s["pw"], len(s["days"]), s["due"], s.get("sheet_paid"))
            if i not in unpaid:
                self.pay(pid, s["name"], s.get("card_paid", s["card"]), s.get("paid", s["due"]), when=s.get("when"), month=not s.get("month_empty"))
        for p in planted:
            p.project_id = pid
        return planted

    # ------------------------------------------------------------ storage

    def _attendance_rows(self) -> Iterator[tuple]:
        aid = self.ids.next[Attendance]
        for pid, pwid, days, extra in self.attendance:
            for day in days:
                yield (aid, pid, pwid, local(day, 7, 30), 1, "GATE-1", "大门", 95)
                aid += 1
                if self.punches_per_day > 1:
                    yield (aid, pid, pwid, local(day, 17, 30), 2, "GATE-1", "大门", 95)
                    aid += 1
            for day, hh, mm in extra:
                yield (aid, pid, pwid, local(day, hh, mm), 1, "GATE-2", "侧门", 93)
                aid += 1

    def write(self) -> None:
        with transaction.atomic():
            write_rows(Worker, ["id", "name", "id_number", "id_number_digest", "created_at", "updated_at"], self.rows[Worker])
            write_rows(WageAccount, ["id", "project_id", "bank_name", "account_number", "account_number_digest", "opened_on", "pay_day"], self.rows[WageAccount])
            write_rows(ProjectWorker, ["id", "project_id", "worker_id", "team_id", "phone", "phone_digest", "bank_card", "bank_card_digest",
                                       "bank_name", "trade", "entry_date", "exit_date", "contract_signed_on", "wage_basis",
                                       "agreed_rate", "settled_on", "settlement_confirmed_on", "created_at", "updated_at"], self.rows[ProjectWorker])
            write_rows(WorkQuantity, ["id", "project_worker_id", "month", "quantity", "unit"], self.rows[WorkQuantity])
            write_rows(PayrollSheet, ["id", "project_id", "month", "submitted_at", "submitted_by_id"], self.rows[PayrollSheet])
            write_rows(PayrollLine, ["id", "sheet_id", "project_worker_id", "days", "hours", "amount_due", "amount_paid", "back_pay"], self.rows[PayrollLine])
            write_rows(BankDisbursement, ["id", "project_id", "paid_at", "payee_name", "payee_account", "payee_account_digest", "amount",
                                          "reference", "month"], self.rows[BankDisbursement])
            write_rows(Attendance, ["id", "project_id", "project_worker_id", "at", "direction", "terminal", "location", "face_score"],
                       self._attendance_rows())
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    for model in (Worker, WageAccount, ProjectWorker, WorkQuantity, PayrollSheet, PayrollLine, BankDisbursement, Attendance):
                        table = model._meta.db_table
                        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce((SELECT max(id) FROM {table}), 1))")


def _sqlite_value(value):
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def write_rows(model, columns: list[str], rows) -> int:
    """COPY on PostgreSQL, executemany in batches on SQLite. Rows hold database values."""
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(columns)
    count = 0
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.connection.cursor() as cursor, cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
    batch = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) >= 5000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def make_projects(*, count: int, territory, general_contractor, prefix: str = "SYN") -> list[Project]:
    existing = Project.objects.filter(code__startswith=f"{prefix}-").count()
    projects = [
        Project(
            name=f"合成测试项目{existing + i + 1:05d}号楼", code=f"{prefix}-{existing + i + 1:06d}", territory=territory,
            general_contractor=general_contractor, contract_value=Decimal("50000000"), under_full_supervision=True,
            planned_start=date(2025, 1, 1), planned_end=date(2027, 12, 31), site_address=f"示范区合成路{existing + i + 1}号",
        )
        for i in range(count)
    ]
    Project.objects.bulk_create(projects, batch_size=1000)
    if connection.vendor == "postgresql" or any(p.pk is None for p in projects):
        codes = [p.code for p in projects]
        by_code = dict(Project.objects.filter(code__in=codes).values_list("code", "pk"))
        for p in projects:
            p.pk = p.id = by_code[p.code]
    return projects


def build(*, month: date, territory, general_contractor, workers_per_project: int = 12, clean_projects: int = 2,
          anomalies: list[str] | None = None, prefix: str = "SYN") -> Result:
    """Small synthetic month for tests and the demo: `clean_projects` clean projects and one project
    per anomaly kind (every kind by default)."""
    anomalies = [k for k in KINDS_PLANTED if k != "fewer_paid_than_attending"] if anomalies is None else anomalies
    projects = make_projects(count=clean_projects + len(anomalies), territory=territory, general_contractor=general_contractor, prefix=prefix)
    builder = Builder(month)
    planted: list[Planted] = []
    for i, project in enumerate(projects[:clean_projects]):
        builder.project(project, workers=workers_per_project, variety=i == 0)
    for project, kind in zip(projects[clean_projects:], anomalies, strict=True):
        planted += builder.project(project, workers=workers_per_project, plant=kind)
    builder.write()
    return Result(month.replace(day=1), [p.pk for p in projects], [p.pk for p in projects[:clean_projects]], planted,
                  builder.worker_months, builder.attendance_rows)


def build_bulk(*, month: date, territory, general_contractor, worker_months: int, workers_per_project: int = 100,
               anomaly_every: int = 50, cipher_pool: int = 1000, punches_per_day: int = 1, prefix: str = "BENCH",
               progress=None) -> Result:
    """The bench's month: `worker_months` workers on projects of `workers_per_project`, one
    planted anomaly (kinds in turn) every `anomaly_every` projects, written in slices of projects."""
    n_projects = max(1, worker_months // workers_per_project)
    anomalies = [k for k in KINDS_PLANTED if k != "fewer_paid_than_attending"]
    planted: list[Planted] = []
    total_wm = total_att = 0
    slice_size = 500
    for start in range(0, n_projects, slice_size):
        count = min(slice_size, n_projects - start)
        projects = make_projects(count=count, territory=territory, general_contractor=general_contractor, prefix=prefix)
        builder = Builder(month, cipher_pool=cipher_pool, punches_per_day=punches_per_day)
        for j, project in enumerate(projects):
            k = start + j
            plant = anomalies[(k // anomaly_every) % len(anomalies)] if k % anomaly_every == anomaly_every - 1 else None
            planted += builder.project(project, workers=workers_per_project, plant=plant, variety=k == 0)
        builder.write()
        total_wm += builder.worker_months
        total_att += builder.attendance_rows
        if progress:
            progress(start + count, n_projects, total_att)
    return Result(month.replace(day=1), [], [], planted, total_wm, total_att)
