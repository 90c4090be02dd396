"""Construction projects' wage-payment systems: the real-name roster, attendance, payroll sheets,
bank disbursements from the wage special account, labour-cost instalments into it, the guarantee
deposit, and what the monthly reconciliation finds.

Object names follow the national construction-worker data standard (项目、参建单位、班组、工人、
项目工人、进退场、考勤、工资单及明细). A month is stored as the first day of that month.
Attendance is the one big table (tens of millions of rows): it is written by COPY and read in
bulk by the reconciliation engine, never row by row.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from wagewatch.core.protected import BANK_CARD, ID_NUMBER, PHONE, DigestField, ProtectedField
from wagewatch.core.redact import RedactedJSONField, RedactedTextField
from wagewatch.registry.models import Enterprise, Project

MONEY = {"max_digits": 14, "decimal_places": 2}


class WageBasis(models.TextChoices):
    DAILY = "daily", "按日计薪"
    MONTHLY = "monthly", "按月计薪"
    PIECE = "piece", "计件"


class Worker(models.Model):
    """A construction worker (建筑工人): the person's identity, one record across every project,
    found by the digest of the ID number. Only the identity is here (ID number and the name on
    it); the phone, wage card, bank and trade each contractor records are its own, on its
    ProjectWorker, so that one contractor can never rewrite what another project relies on
    (docs/DEVELOPING.md, "一人多项目")."""

    name = models.CharField("姓名", max_length=50)
    id_number = ProtectedField("身份证号", kind=ID_NUMBER)
    id_number_digest = DigestField(source="id_number", kind=ID_NUMBER, unique=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "建筑工人"
        verbose_name_plural = "建筑工人"

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A work team (班组) on a project, employed by a subcontractor (or the general contractor)."""

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="teams")
    name = models.CharField("班组名称", max_length=100)
    enterprise = models.ForeignKey(
        Enterprise, verbose_name="所属企业", null=True, blank=True, on_delete=models.PROTECT, related_name="payroll_teams"
    )
    leader_name = models.CharField("班组长", max_length=50, blank=True)
    leader_id_number = ProtectedField("班组长身份证号", kind=ID_NUMBER)
    leader_id_number_digest = DigestField(source="leader_id_number", kind=ID_NUMBER)
    leader_phone = ProtectedField("班组长手机号", kind=PHONE)
    leader_phone_digest = DigestField(source="leader_phone", kind=PHONE)

    class Meta:
        verbose_name = "班组"
        verbose_name_plural = "班组"
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="unique_team_name_per_project")]

    def __str__(self) -> str:
        return self.name


class ProjectWorker(models.Model):
    """A worker on one project (项目工人): entry and exit, labour contract, agreed rate, and the
    phone, wage card, bank and trade this project registered for him (the bank's rows of this
    project are matched with this card; the worker's pay pages are opened with this phone). A
    worker who leaves is settled (结算) and confirms it (确认); rule 5 looks for exits without both."""

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="project_workers")
    worker = models.ForeignKey(Worker, verbose_name="工人", on_delete=models.PROTECT, related_name="project_workers")
    team = models.ForeignKey(Team, verbose_name="班组", null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    phone = ProtectedField("手机号", kind=PHONE)
    phone_digest = DigestField(source="phone", kind=PHONE)
    bank_card = ProtectedField("工资卡号", kind=BANK_CARD)
    bank_card_digest = DigestField(source="bank_card", kind=BANK_CARD)
    bank_name = models.CharField("开户银行", max_length=100, blank=True)
    trade = models.CharField("工种", max_length=50, blank=True)
    entry_date = models.DateField("进场日期")
    exit_date = models.DateField("退场日期", null=True, blank=True)
    contract_signed_on = models.DateField("劳动合同签订日期", null=True, blank=True)
    wage_basis = models.CharField("计薪方式", max_length=16, choices=WageBasis.choices, default=WageBasis.DAILY)
    agreed_rate = models.DecimalField("约定工资标准(元/日、元/月或元/单位)", **MONEY)
    settled_on = models.DateField("退场结算日期", null=True, blank=True)
    settlement_confirmed_on = models.DateField("工人确认结算日期", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "项目工人"
        verbose_name_plural = "项目工人"
        constraints = [models.UniqueConstraint(fields=["project", "worker"], name="unique_worker_per_project")]
        indexes = [models.Index(fields=["project", "team"], name="project_worker_team")]

    def __str__(self) -> str:
        return f"{self.project} / {self.worker}"

    @property
    def contract_signed(self) -> bool:
        return self.contract_signed_on is not None


class Attendance(models.Model):
    """One clock-in or clock-out (考勤) at a site gate. Unique per worker, time and direction, so
    a gate device that sends the same records again adds nothing."""

    class Direction(models.IntegerChoices):
        IN = 1, "进"
        OUT = 2, "出"

    # No database foreign-key constraints on this table: PostgreSQL checks them one trigger per row
    # per key at commit, which halved the import speed (bench/attendance_import_bench.py). Every
    # row is checked against the project's roster by the import before it is written, and deletes
    # cascade through Django as for any other model.
    id = models.BigAutoField(primary_key=True)
    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    project_worker = models.ForeignKey(
        ProjectWorker, verbose_name="项目工人", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    at = models.DateTimeField("考勤时间")
    direction = models.PositiveSmallIntegerField("方向", choices=Direction.choices)
    terminal = models.CharField("考勤设备", max_length=64, blank=True)
    location = models.CharField("位置", max_length=128, blank=True)
    face_score = models.PositiveSmallIntegerField("人脸比对分", null=True, blank=True)

    class Meta:
        verbose_name = "考勤记录"
        verbose_name_plural = "考勤记录"
        constraints = [models.UniqueConstraint(fields=["project_worker", "at", "direction"], name="unique_attendance_punch")]
        indexes = [models.Index(fields=["project", "at"], name="attendance_project_at")]


class WorkQuantity(models.Model):
    """Quantities a piece-rate worker completed in a month (计件工程量), priced at the agreed rate."""

    project_worker = models.ForeignKey(ProjectWorker, verbose_name="项目工人", on_delete=models.CASCADE, related_name="quantities")
    month = models.DateField("月份")
    quantity = models.DecimalField("数量", max_digits=14, decimal_places=3)
    unit = models.CharField("计量单位", max_length=20, blank=True)

    class Meta:
        verbose_name = "计件工程量"
        verbose_name_plural = "计件工程量"
        constraints = [models.UniqueConstraint(fields=["project_worker", "month"], name="unique_quantity_month")]


class PayrollSheet(models.Model):
    """A project's payroll sheet for one month (工资表), made by the general contractor."""

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="payroll_sheets")
    month = models.DateField("工资所属月份")
    submitted_at = models.DateTimeField("提交时间", auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="提交人", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "工资表"
        verbose_name_plural = "工资表"
        constraints = [models.UniqueConstraint(fields=["project", "month"], name="unique_payroll_sheet_month")]

    def __str__(self) -> str:
        return f"{self.project} {self.month:%Y年%m月}工资表"


class PayrollLine(models.Model):
    """One worker's line on a payroll sheet (工资单明细)."""

    sheet = models.ForeignKey(PayrollSheet, verbose_name="工资表", on_delete=models.CASCADE, related_name="lines")
    project_worker = models.ForeignKey(ProjectWorker, verbose_name="项目工人", on_delete=models.PROTECT, related_name="payroll_lines")
    days = models.DecimalField("出勤天数", max_digits=5, decimal_places=1, default=Decimal("0"))
    hours = models.DecimalField("工时", max_digits=6, decimal_places=1, default=Decimal("0"))
    amount_due = models.DecimalField("应发金额", **MONEY)
    amount_paid = models.DecimalField("实发金额", **MONEY)
    back_pay = models.BooleanField("补发", default=False)

    class Meta:
        verbose_name = "工资表明细"
        verbose_name_plural = "工资表明细"
        constraints = [models.UniqueConstraint(fields=["sheet", "project_worker"], name="unique_payroll_line")]


class WageAccount(models.Model):
    """The project's wage special account (工资专用账户) and the pay day agreed for it: wages of a
    month are due by this day of the following month."""

    project = models.OneToOneField(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="wage_account")
    bank_name = models.CharField("开户银行", max_length=100)
    account_number = ProtectedField("账号", kind=BANK_CARD)
    account_number_digest = DigestField(source="account_number", kind=BANK_CARD)
    opened_on = models.DateField("开户日期")
    pay_day = models.PositiveSmallIntegerField("发薪日(次月几日)", default=15)

    class Meta:
        verbose_name = "工资专用账户"
        verbose_name_plural = "工资专用账户"


class BankDisbursement(models.Model):
    """A payment out of the wage special account as the bank reports it (代发流水). `reference` is
    the bank's transaction number: unique per project, so a resent statement adds nothing."""

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="+", db_index=False)
    paid_at = models.DateTimeField("付款时间")
    payee_name = models.CharField("收款人", max_length=50)
    payee_account = ProtectedField("收款账号", kind=BANK_CARD)
    payee_account_digest = DigestField(source="payee_account", kind=BANK_CARD, db_index=False)
    amount = models.DecimalField("金额", **MONEY)
    reference = models.CharField("银行流水号", max_length=64)
    month = models.DateField("工资所属月份", null=True, blank=True)

    class Meta:
        verbose_name = "代发工资流水"
        verbose_name_plural = "代发工资流水"
        constraints = [models.UniqueConstraint(fields=["project", "reference"], name="unique_disbursement_reference")]
        indexes = [
            models.Index(fields=["project", "paid_at"], name="disbursement_project_paid"),
            models.Index(fields=["payee_account_digest"], name="disbursement_payee"),
        ]


class LabourCostInstalment(models.Model):
    """Labour cost paid into the wage special account separately from progress payments (人工费拨付)."""

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="labour_cost_instalments")
    paid_on = models.DateField("拨付日期")
    amount = models.DecimalField("金额", **MONEY)
    payer = models.CharField("拨付单位", max_length=200, blank=True)
    reference = models.CharField("流水号", max_length=64)

    class Meta:
        verbose_name = "人工费拨付"
        verbose_name_plural = "人工费拨付"
        constraints = [models.UniqueConstraint(fields=["project", "reference"], name="unique_instalment_reference")]


class GuaranteeDeposit(models.Model):
    """The wage guarantee deposit (工资保证金) a general contractor keeps for a project."""

    class Form(models.TextChoices):
        CASH = "cash", "现金存储"
        BANK_GUARANTEE = "bank_guarantee", "银行保函"
        INSURANCE = "insurance", "工程担保/保证保险"

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="guarantee_deposits")
    amount = models.DecimalField("金额", **MONEY)
    bank_name = models.CharField("存储银行/出具机构", max_length=100)
    form = models.CharField("形式", max_length=16, choices=Form.choices, default=Form.CASH)
    deposited_on = models.DateField("存储日期")
    released_on = models.DateField("返还日期", null=True, blank=True)

    class Meta:
        verbose_name = "工资保证金"
        verbose_name_plural = "工资保证金"


class SiteRecord(models.Model):
    """What a project states about itself beyond the payroll data: the work-injury policy and the
    rights information board (维权信息告示牌), for the "8个100%" rates."""

    project = models.OneToOneField(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="site_record")
    work_injury_policy_number = models.CharField("工伤保险(按项目参保)保单号", max_length=64, blank=True)
    work_injury_insured_on = models.DateField("参保日期", null=True, blank=True)
    rights_board_posted_on = models.DateField("维权告示牌设置日期", null=True, blank=True)
    completed_on = models.DateField("竣工日期", null=True, blank=True)
    records_uploaded_on = models.DateField("用工资料上传完成日期", null=True, blank=True)

    class Meta:
        verbose_name = "项目用工情况"
        verbose_name_plural = "项目用工情况"


class FindingKind(models.TextChoices):
    SHORTFALL = "shortfall", "少发工资"
    LATE_PAYMENT = "late_payment", "迟发工资"
    PAID_TO_OTHER = "paid_to_other", "工资未发到本人账户"
    SHARED_ACCOUNT = "shared_account", "一个账户代收多人工资"
    NO_OUTFLOW_ON_PAY_DAY = "no_outflow_on_pay_day", "发薪日专户无支出"
    ATTENDANCE_WITHOUT_WAGE = "attendance_without_wage", "有考勤无工资记录"
    WAGE_WITHOUT_ATTENDANCE = "wage_without_attendance", "有工资记录无考勤"
    # The six published rules (DOMAIN.md section 10).
    NO_WAGE_FROM_ACCOUNT = "no_wage_from_account", "专户当月及次月未发放工资"
    LOW_AVERAGE_PAY = "low_average_pay", "工资表人均工资过低"
    FEWER_PAID_THAN_ATTENDING = "fewer_paid_than_attending", "发薪人数少于考勤人数"
    LARGE_PAYMENT_TO_ONE = "large_payment_to_one", "单人发放金额过大"
    EXIT_WITHOUT_SETTLEMENT = "exit_without_settlement", "退场未结算确认"
    MISSING_WAGE_RECORDS = "missing_wage_records", "考勤人员无工资记录比例过高"


class WarningLevel(models.TextChoices):
    YELLOW = "yellow", "黄色"
    ORANGE = "orange", "橙色"
    RED = "red", "红色"


LEVEL_RANK = {WarningLevel.YELLOW: 1, WarningLevel.ORANGE: 2, WarningLevel.RED: 3}


class FindingRule(models.Model):
    """One kind of finding as the office configures it: on or off, its warning level and its
    thresholds (their meaning is in `description`)."""

    kind = models.CharField("类型", max_length=32, choices=FindingKind.choices, unique=True)
    enabled = models.BooleanField("启用", default=True)
    level = models.CharField("预警等级", max_length=8, choices=WarningLevel.choices)
    threshold = models.DecimalField("阈值", max_digits=14, decimal_places=4, null=True, blank=True)
    threshold_secondary = models.DecimalField("第二阈值", max_digits=14, decimal_places=4, null=True, blank=True)
    description = models.CharField("规则说明", max_length=300)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "核对规则"
        verbose_name_plural = "核对规则"
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()

    @staticmethod
    def _plain(value) -> str:
        return "" if value is None else format(value.normalize(), "f")

    @property
    def threshold_text(self) -> str:
        """The threshold as a person writes it: 1890, 0.1, 50000 (not 1890.0000)."""
        return self._plain(self.threshold)

    @property
    def threshold_secondary_text(self) -> str:
        return self._plain(self.threshold_secondary)


class CaseOpeningRule(models.Model):
    """When a project-month's warning opens a case in the closed loop (one row, editable): the
    thresholds, and when a month is settled enough to open one (pay day + grace, data complete)."""

    min_level = models.CharField("达到该预警等级即立案", max_length=8, choices=WarningLevel.choices, default=WarningLevel.RED)
    min_shortfall_total = models.DecimalField("或少发工资合计达到(元)", **MONEY, default=Decimal("50000"))
    min_workers_affected = models.PositiveIntegerField("或涉及工人数达到", default=10)
    # A month is settled (may open a case) once its pay day plus these days has passed and its data
    # is complete; with data still missing, this many days more (see reconciliation/settlement.py).
    grace_days = models.PositiveSmallIntegerField("发薪日后宽限天数", default=5)
    incomplete_wait_days = models.PositiveSmallIntegerField("数据未齐时再等天数", default=10)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "自动立案规则"
        verbose_name_plural = "自动立案规则"


class ReconciliationRun(models.Model):
    """One run of the monthly reconciliation over a set of projects."""

    class Status(models.TextChoices):
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    # What a run may become from each state (core.jobs.transition).
    TRANSITIONS = {Status.RUNNING: frozenset({Status.DONE, Status.FAILED}), Status.DONE: frozenset(), Status.FAILED: frozenset()}

    month = models.DateField("核对月份")
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.RUNNING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    projects_total = models.PositiveIntegerField("项目数", default=0)
    projects_done = models.PositiveIntegerField("已完成项目数", default=0)
    findings_count = models.PositiveIntegerField("发现问题数", default=0)
    error = RedactedTextField("错误", blank=True)
    # Beaten by whichever chunk is running (core.jobs); the job sweep ends a silent run.
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    # The office's own run of a month (page, API without project ids): it may open cases from
    # months still provisional. Runs after imports, the schedule and a project's own run may not.
    opens_provisional = models.BooleanField("未结算月份也可立案(清欠办发起)", default=False)

    class Meta:
        verbose_name = "工资核对批次"
        verbose_name_plural = "工资核对批次"
        ordering = ["-started_at"]


class ReconciliationChunk(models.Model):
    """One piece of a run: the projects one task reconciles. A task claims it once (queued →
    running); the job sweep puts a chunk whose heartbeat stopped back in the queue (a chunk is
    idempotent: findings are upserted by key) or, after JOB_MAX_ATTEMPTS runs, ends it and its run.
    The run counts a chunk's projects once, when the chunk becomes done."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    # What a chunk may become from each state (core.jobs.transition).
    TRANSITIONS = {
        Status.QUEUED: frozenset({Status.RUNNING, Status.FAILED}),
        Status.RUNNING: frozenset({Status.QUEUED, Status.DONE, Status.FAILED}),
        Status.DONE: frozenset(),
        Status.FAILED: frozenset(),
    }

    run = models.ForeignKey(ReconciliationRun, verbose_name="核对批次", on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField("序号")
    project_ids = models.JSONField("项目", default=list)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField("已运行次数", default=0)
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    findings_count = models.PositiveIntegerField("发现问题数", default=0)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "工资核对分片"
        verbose_name_plural = "工资核对分片"
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="recon_chunk_run_number")]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="recon_chunk_status_beat")]


class Finding(models.Model):
    """What the reconciliation found for a project and month, with the rows that show it.
    `subject` identifies what it is about (a project worker, a payee account, the project) so
    that a re-run updates the same finding instead of adding another."""

    class Status(models.TextChoices):
        OPEN = "open", "未处理"
        RESOLVED = "resolved", "已消除"

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="payroll_findings")
    enterprise = models.ForeignKey(Enterprise, verbose_name="责任企业", null=True, blank=True, on_delete=models.PROTECT, related_name="payroll_findings")
    month = models.DateField("月份")
    kind = models.CharField("类型", max_length=32, choices=FindingKind.choices)
    level = models.CharField("预警等级", max_length=8, choices=WarningLevel.choices)
    subject = models.CharField("对象", max_length=80)
    project_worker = models.ForeignKey(ProjectWorker, verbose_name="项目工人", null=True, blank=True, on_delete=models.CASCADE, related_name="findings")
    amount = models.DecimalField("涉及金额", **MONEY, null=True, blank=True)
    workers_affected = models.PositiveIntegerField("涉及人数", default=1)
    detail = models.JSONField("核对数据", default=dict)
    evidence = models.JSONField("证据记录", default=dict)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.OPEN)
    first_found_at = models.DateTimeField("首次发现")
    last_found_at = models.DateTimeField("最近核对")
    run = models.ForeignKey(ReconciliationRun, verbose_name="核对批次", null=True, blank=True, on_delete=models.SET_NULL, related_name="findings")

    class Meta:
        verbose_name = "核对发现"
        verbose_name_plural = "核对发现"
        constraints = [models.UniqueConstraint(fields=["project", "month", "kind", "subject"], name="unique_finding")]
        indexes = [
            models.Index(fields=["project", "month"], name="finding_project_month"),
            models.Index(fields=["enterprise", "status"], name="finding_enterprise_status"),
        ]


class PayrollWarning(models.Model):
    """The warning a project carries for a month: the highest level among its open findings. Past
    the case-opening rule it opens a case (channel: reconciliation), once."""

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="payroll_warnings")
    enterprise = models.ForeignKey(Enterprise, verbose_name="责任企业", null=True, blank=True, on_delete=models.PROTECT, related_name="payroll_warnings")
    month = models.DateField("月份")
    level = models.CharField("预警等级", max_length=8, choices=WarningLevel.choices)
    findings_count = models.PositiveIntegerField("问题数", default=0)
    shortfall_total = models.DecimalField("少发工资合计", **MONEY, default=Decimal("0"))
    workers_affected = models.PositiveIntegerField("涉及工人数", default=0)
    case = models.ForeignKey("cases.Case", verbose_name="自动立案", null=True, blank=True, on_delete=models.SET_NULL, related_name="payroll_warnings")
    active = models.BooleanField("有效", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "欠薪预警"
        verbose_name_plural = "欠薪预警"
        constraints = [models.UniqueConstraint(fields=["project", "month"], name="unique_warning_month")]
        indexes = [models.Index(fields=["enterprise", "active"], name="warning_enterprise_active")]


class PayMonthConfirmation(models.Model):
    """A worker's answer to one month's pay record on the phone pages: confirmed, or disputed (a
    dispute becomes a complaint)."""

    class Answer(models.TextChoices):
        CONFIRMED = "confirmed", "确认无误"
        DISPUTED = "disputed", "有异议"

    project_worker = models.ForeignKey(ProjectWorker, verbose_name="项目工人", on_delete=models.CASCADE, related_name="confirmations")
    month = models.DateField("月份")
    answer = models.CharField("答复", max_length=16, choices=Answer.choices)
    note = models.CharField("说明", max_length=500, blank=True)
    answered_at = models.DateTimeField("答复时间")
    complaint = models.ForeignKey("intake.Complaint", verbose_name="转为投诉", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "工资确认"
        verbose_name_plural = "工资确认"
        constraints = [models.UniqueConstraint(fields=["project_worker", "month"], name="unique_pay_month_answer")]


class ImportJob(models.Model):
    """One uploaded file (or API push) of payroll data: its progress for the page's progress bar,
    and every rejected row with its reason. A file with any rejected row imports nothing."""

    class Kind(models.TextChoices):
        TEAMS = "teams", "班组"
        WORKERS = "workers", "工人花名册(项目工人)"
        ATTENDANCE = "attendance", "考勤"
        QUANTITIES = "quantities", "计件工程量"
        PAYROLL = "payroll", "工资表"
        DISBURSEMENTS = "disbursements", "银行代发流水"
        INSTALMENTS = "instalments", "人工费拨付"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "处理中"
        DONE = "done", "已导入"
        REJECTED = "rejected", "有错误,未导入"
        FAILED = "failed", "处理失败"

    # What a job may become from each state (core.jobs.transition). running → queued is the job
    # sweep resuming a job whose worker died: the file is stored and nothing of it was written.
    TRANSITIONS = {
        Status.QUEUED: frozenset({Status.RUNNING, Status.FAILED}),
        Status.RUNNING: frozenset({Status.QUEUED, Status.DONE, Status.REJECTED, Status.FAILED}),
        Status.DONE: frozenset(),
        Status.REJECTED: frozenset(),
        Status.FAILED: frozenset(),
    }

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="payroll_imports")
    kind = models.CharField("数据类型", max_length=16, choices=Kind.choices)
    file_name = models.CharField("文件名", max_length=255, blank=True)
    file_sha256 = models.CharField("文件SHA-256", max_length=64, blank=True)
    source = models.CharField("来源", max_length=16, default="page")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField("总行数", default=0)
    rows_done = models.PositiveIntegerField("已处理行数", default=0)
    rows_created = models.PositiveIntegerField("新增", default=0)
    rows_unchanged = models.PositiveIntegerField("重复(未变)", default=0)
    rows_updated = models.PositiveIntegerField("更新", default=0)
    rejected = RedactedJSONField("被拒绝的行", default=list)
    error = RedactedTextField("错误", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="导入人", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # Last sign of life: queued, claimed, then beaten while processing (core.jobs).
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("已处理次数", default=0)

    class Meta:
        verbose_name = "工资数据导入"
        verbose_name_plural = "工资数据导入"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["project", "kind", "-created_at"], name="import_project_kind"),
            models.Index(fields=["status", "heartbeat_at"], name="import_status_beat"),
        ]


OPEN_FINDING = Q(status=Finding.Status.OPEN)
