"""Cases and the closed loop: routing rules, assignments (dispatch orders), deadlines,
escalations, callbacks, follow-ups, major-case thresholds and national-platform clue outcomes.

A case's state only changes through `cases.services` against the one transition table in
`cases.lifecycle`; deadlines are stored rows with an indexed `due_at`, so "overdue" is a query.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from wagewatch.core.models import Industry, Organisation, Territory
from wagewatch.registry.models import Enterprise, Project


class CaseState(models.TextChoices):
    REGISTERED = "registered", "已登记"
    DISPATCHED = "dispatched", "已转办"
    ACCEPTED = "accepted", "已签收"
    VERIFYING = "verifying", "核实中"
    HANDLING = "handling", "处置中"
    RESOLVED = "resolved", "已解决待回访"
    CALLED_BACK = "called_back", "已回访"
    CLOSED = "closed", "已结案"
    RETURNED = "returned", "已退回清欠办"
    REOPENED = "reopened", "重新办理"
    MERGED = "merged", "已并案"


OPEN_STATES = frozenset(CaseState) - {CaseState.CLOSED, CaseState.MERGED}
# Sorted plain values, so that partial index conditions compare equal between migrations.
OPEN_STATE_VALUES = sorted(s.value for s in OPEN_STATES)


class RoutingRule(models.Model):
    """"谁主管谁负责" as data: the first active rule (lowest priority number) whose conditions all
    match a case picks the lead unit and who else is involved ("三交办")."""

    class LeadKind(models.TextChoices):
        INDUSTRY_BUREAU = "industry_bureau", "行业主管部门(按行业)"
        STATE_OWNED_OWNER = "state_owned_owner", "国有建设单位(项目业主)"
        TERRITORIAL = "territorial", "属地街道/乡镇"
        ORGANISATION = "organisation", "指定单位"

    name = models.CharField("规则名称", max_length=100)
    priority = models.PositiveIntegerField("优先级(数字小者先匹配)", default=100)
    active = models.BooleanField("启用", default=True)
    industries = models.JSONField("适用行业(空=全部)", default=list, blank=True)
    investment_types = models.JSONField("适用投资类型(空=全部)", default=list, blank=True)
    territory = models.ForeignKey(
        Territory, verbose_name="适用辖区(含下级,空=全部)", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lead_kind = models.CharField("牵头单位", max_length=32, choices=LeadKind.choices)
    lead_organisation = models.ForeignKey(
        Organisation, verbose_name="指定牵头单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assist_territorial = models.BooleanField("属地街道协办", default=False)
    copy_industry_authority = models.BooleanField("抄送行业主管部门", default=True)
    notify_general_contractor = models.BooleanField("告知总承包单位总部", default=True)
    description = models.CharField("说明", max_length=255, blank=True, default="")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "分派规则"
        verbose_name_plural = "分派规则"
        ordering = ["priority", "pk"]

    def __str__(self) -> str:
        return self.name


class MajorCaseThreshold(models.Model):
    """The editable rule for major cases (one row): amount or workers at or above the threshold."""

    min_amount = models.DecimalField("金额标准(元)", max_digits=14, decimal_places=2, default=Decimal("1000000"))
    min_workers = models.PositiveIntegerField("人数标准", default=30)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "重大案件标准"
        verbose_name_plural = "重大案件标准"

    def __str__(self) -> str:
        return f"≥{self.min_amount}元或≥{self.min_workers}人"


class ClueOutcome(models.Model):
    """A verification outcome for clues from the national platform, with its standard reply."""

    code = models.CharField("代码", max_length=32, unique=True)
    name = models.CharField("核查结果", max_length=100)
    reply_text = models.TextField("标准答复")
    active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "线索核查结果"
        verbose_name_plural = "线索核查结果"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    """The handling record of one or more merged complaints."""

    number = models.CharField("案件编号", max_length=24, unique=True)
    state = models.CharField("状态", max_length=16, choices=CaseState.choices, default=CaseState.REGISTERED)
    channel = models.CharField("首次来源渠道", max_length=32)
    territory = models.ForeignKey(Territory, verbose_name="所属辖区", on_delete=models.PROTECT, related_name="cases")
    # Copy of territory.path so that scoping a million cases needs no join.
    territory_path = models.CharField("辖区路径", max_length=255, editable=False)
    industry = models.CharField("行业", max_length=32, choices=Industry.choices, default=Industry.OTHER)
    employer = models.ForeignKey(Enterprise, verbose_name="用人单位", null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    employer_name = models.CharField("用人单位名称", max_length=200)
    employer_name_normalised = models.CharField("用人单位名称(规范化)", max_length=200, db_index=True, editable=False)
    employer_credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True, default="", db_index=True)
    project = models.ForeignKey(Project, verbose_name="项目", null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    project_name = models.CharField("项目名称", max_length=200, blank=True, default="")
    site_address = models.CharField("工地/工作地点", max_length=255, blank=True, default="")
    amount_owed = models.DecimalField("欠薪金额(元)", max_digits=14, decimal_places=2, default=Decimal("0"))
    worker_count = models.PositiveIntegerField("涉及人数", default=1)
    summary = models.TextField("案情摘要", blank=True, default="")

    received_at = models.DateTimeField("收到时间")
    registered_at = models.DateTimeField("登记时间")
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    commitment_letter_issued_at = models.DateTimeField("承诺函出具时间", null=True, blank=True)
    first_contact_at = models.DateTimeField("首日对接时间", null=True, blank=True)

    routing_rule = models.ForeignKey(RoutingRule, verbose_name="适用分派规则", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lead_organisation = models.ForeignKey(
        Organisation, verbose_name="牵头责任单位", null=True, blank=True, on_delete=models.PROTECT, related_name="led_cases"
    )
    dispatched_at = models.DateTimeField("转办时间", null=True, blank=True)
    accepted_at = models.DateTimeField("签收时间", null=True, blank=True)
    facts_clear_at = models.DateTimeField("事实清楚金额明确时间", null=True, blank=True)
    amount_verified = models.DecimalField("核实欠薪金额(元)", max_digits=14, decimal_places=2, null=True, blank=True)
    workers_verified = models.PositiveIntegerField("核实涉及人数", null=True, blank=True)

    resolved_at = models.DateTimeField("解决时间", null=True, blank=True)
    amount_paid = models.DecimalField("已支付金额(元)", max_digits=14, decimal_places=2, null=True, blank=True)
    workers_paid = models.PositiveIntegerField("已支付人数", null=True, blank=True)
    resolution_summary = models.TextField("办理结果", blank=True, default="")
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    reopen_count = models.PositiveIntegerField("重新办理次数", default=0)
    merged_into = models.ForeignKey("self", verbose_name="并入案件", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases")

    is_major = models.BooleanField("重大案件", default=False)
    major_reason = models.CharField("重大案件原因", max_length=200, blank=True, default="")
    major_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="包案领导", null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_major_cases"
    )
    listed_supervision = models.BooleanField("挂牌督办", default=False)

    clue_outcome = models.ForeignKey(ClueOutcome, verbose_name="线索核查结果", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    clue_reply_text = models.TextField("线索答复", blank=True, default="")
    clue_answered_at = models.DateTimeField("线索答复时间", null=True, blank=True)

    worker_rating = models.PositiveSmallIntegerField("劳动者评价(1-5)", null=True, blank=True)
    worker_rating_comment = models.CharField("评价意见", max_length=500, blank=True, default="")
    worker_rated_at = models.DateTimeField("评价时间", null=True, blank=True)

    # The earliest open deadline, kept by the services: lists sort and filter on it.
    next_due_at = models.DateTimeField("最近期限", null=True, blank=True)
    next_due_kind = models.CharField("最近期限类型", max_length=32, blank=True, default="")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "案件"
        verbose_name_plural = "案件"
        ordering = ["-registered_at", "-id"]
        indexes = [
            # Every ledger page is ORDER BY registered_at DESC, id DESC LIMIT n: these need no sort.
            models.Index(fields=["-registered_at", "-id"], name="case_registered"),
            models.Index(fields=["-registered_at", "-id"], name="case_open_registered", condition=Q(state__in=OPEN_STATE_VALUES)),
            models.Index(fields=["state", "-registered_at", "-id"], name="case_state_registered_id"),
            # territory_path LIKE 'prefix%' can use a btree only with the pattern operator class
            # (the database collation is not C); SQLite ignores the operator class.
            models.Index(fields=["territory_path"], name="case_path_pattern", opclasses=["varchar_pattern_ops"]),
            # id too: counting overdue cases joined to a unit's assignments is then an index-only scan.
            models.Index(fields=["next_due_at", "id"], name="case_open_due", condition=Q(state__in=OPEN_STATE_VALUES)),
            models.Index(fields=["lead_organisation", "state", "registered_at"], name="case_unit_state"),
            models.Index(fields=["channel", "registered_at"], name="case_channel_registered"),
            models.Index(fields=["next_due_at"], name="case_next_due", condition=Q(next_due_at__isnull=False)),
            models.Index(fields=["is_major", "registered_at"], name="case_major", condition=Q(is_major=True)),
            models.Index(fields=["employer", "state"], name="case_employer_state"),
            models.Index(fields=["project", "state"], name="case_project_state"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def employer_display_name(self) -> str:
        """The employer as registered (the registry's name), with what the complaint typed in
        brackets when it differs: "益民食品有限公司(投诉填写:益民食品)". Documents and notices
        print this, never the typed name alone, once the case is linked to a registered enterprise."""
        typed = (self.employer_name or "").strip()
        registered = (self.employer.name or "").strip() if self.employer_id and self.employer else ""
        if not registered:
            return typed
        if not typed or typed == registered:
            return registered
        return f"{registered}(投诉填写:{typed})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def complainant_phones(self) -> list[str]:
        """Clear phone numbers of everyone who complained in this case (for messages)."""
        seen: list[str] = []
        for complaint in self.complaints.all():
            if complaint.complainant_phone and complaint.complainant_phone not in seen:
                seen.append(complaint.complainant_phone)
        return seen

    def next_deadline_text(self) -> str:
        from .deadlines import deadline_text

        if not self.next_due_at or not self.is_open:
            return ""
        return deadline_text(self.next_due_kind, self.next_due_at)


class CaseAssignment(models.Model):
    """An organisation's part in a case. The lead assignment is the dispatch order (转办单)
    with the "五个有"; others assist, receive a copy, are notified or act on an escalation.
    Only active assignments give an organisation sight of the case."""

    class Role(models.TextChoices):
        LEAD = "lead", "牵头办理"
        ASSISTING = "assisting", "协助办理"
        COPY = "copy", "抄送(行业主管部门)"
        NOTIFIED = "notified", "告知(总承包单位总部)"
        ESCALATION = "escalation", "移交/提级办理"

    case = models.ForeignKey(Case, verbose_name="案件", on_delete=models.CASCADE, related_name="assignments")
    organisation = models.ForeignKey(Organisation, verbose_name="单位", on_delete=models.PROTECT, related_name="case_assignments")
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    active = models.BooleanField("有效", default=True)
    order_number = models.CharField("转办单号", max_length=24, blank=True, default="")
    responsible_leader = models.CharField("责任领导", max_length=50, blank=True, default="")
    responsible_person = models.CharField("具体责任人", max_length=50, blank=True, default="")
    measures = models.TextField("具体措施", blank=True, default="")
    due_at = models.DateTimeField("完成时限", null=True, blank=True)
    due_provisional = models.BooleanField("时限为暂定", default=False)
    dispatched_at = models.DateTimeField("转办时间")
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="转办人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField("签收时间", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="签收人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    end_reason = models.CharField("结束原因", max_length=500, blank=True, default="")

    class Meta:
        verbose_name = "转办/协办"
        verbose_name_plural = "转办/协办"
        ordering = ["dispatched_at", "pk"]
        indexes = [models.Index(fields=["organisation", "active", "case"], name="assignment_org_active")]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(role="lead", active=True), name="one_active_lead_per_case"),
        ]

    def __str__(self) -> str:
        return f"{self.case} → {self.organisation} ({self.get_role_display()})"


class DeadlineKind(models.TextChoices):
    FIRST_CONTACT = "first_contact", "首日对接"
    RESPOND = "respond", "响应"
    VERIFY = "verify", "核实"
    CLOSE = "close", "办结"
    ADVANCE_PAYMENT_TRIGGER = "advance_payment_trigger", "启动垫付"
    PROPERTY_PRESERVATION = "property_preservation", "诉前财产保全"


class CaseDeadline(models.Model):
    """One time limit running on a case. Open while neither met nor cancelled; `due_at` is
    computed from the time-limit table and the working-day calendar at `started_at`, and
    recomputed when the calendar changes (provisional ones when their year is loaded)."""

    class Status(models.TextChoices):
        OPEN = "open", "计时中"
        MET = "met", "已完成"
        CANCELLED = "cancelled", "已取消"

    case = models.ForeignKey(Case, verbose_name="案件", on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField("期限", max_length=32, choices=DeadlineKind.choices)
    time_limit_key = models.CharField("时限键", max_length=64)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField("起算时间")
    due_at = models.DateTimeField("到期时间")
    provisional = models.BooleanField("暂定(日历未发布)", default=False)
    met_at = models.DateTimeField("完成时间", null=True, blank=True)
    reminded_at = models.DateTimeField("已提醒", null=True, blank=True)
    overdue_at = models.DateTimeField("标记超期时间", null=True, blank=True)
    escalated_at = models.DateTimeField("已按规则升级", null=True, blank=True)

    class Meta:
        verbose_name = "办理期限"
        verbose_name_plural = "办理期限"
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["due_at"], name="deadline_open_due", condition=Q(status="open")),
            models.Index(fields=["case", "kind"], name="deadline_case_kind"),
            # The periodic job's two queries: open deadlines not yet flagged overdue (reminders
            # and overdue flags, by due_at), and flagged ones not yet escalated.
            models.Index(fields=["due_at"], name="deadline_unflagged_due", condition=Q(status="open", overdue_at__isnull=True)),
            models.Index(
                fields=["overdue_at"],
                name="deadline_to_escalate",
                condition=Q(status="open", overdue_at__isnull=False, escalated_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.get_kind_display()} {self.due_at:%Y-%m-%d %H:%M}"


class DeadlineRule(models.Model):
    """What the periodic job does about one kind of deadline (editable by the office): remind the
    handling unit some minutes before it is due; when it is overdue, tell the unit, its leaders,
    the office or the office's leaders; then escalate once by the chosen action."""

    class EscalateAction(models.TextChoices):
        NONE = "none", "不升级"
        LISTED_SUPERVISION = "listed_supervision", "挂牌督办"
        LABOUR_INSPECTION = "labour_inspection", "提请劳动保障监察立案调查"
        PROPOSE_ADVANCE_PAYMENT = "propose_advance_payment", "提请应急周转金垫付"

    kind = models.CharField("期限", max_length=32, choices=DeadlineKind.choices, unique=True)
    active = models.BooleanField("启用", default=True)
    remind_before_minutes = models.PositiveIntegerField(
        "到期前提醒(分钟)", default=0, help_text="到期前多少分钟提醒承办单位(未转办的提醒清欠办);0 表示不提醒。1个工作日可填1440"
    )
    overdue_notify_unit = models.BooleanField("逾期通知承办单位", default=True)
    overdue_notify_unit_leader = models.BooleanField("逾期通知承办单位负责人", default=False)
    overdue_notify_office = models.BooleanField("逾期通知清欠办", default=False)
    overdue_notify_office_leader = models.BooleanField("逾期通知清欠办领导(及包案领导)", default=False)
    escalate_action = models.CharField("逾期后升级", max_length=32, choices=EscalateAction.choices, default=EscalateAction.NONE)
    description = models.CharField("说明", max_length=255, blank=True, default="")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "期限提醒与升级规则"
        verbose_name_plural = "期限提醒与升级规则"
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}期限规则"


class Escalation(models.Model):
    """A path out of the responsible unit's hands: investigation, transfer, meeting, advance
    payment, referral, proposal, legal procedure or legal aid. Runs beside the case state."""

    class Kind(models.TextChoices):
        LABOUR_INSPECTION = "labour_inspection", "劳动保障监察立案调查"
        INDUSTRY_AUTHORITY = "industry_authority", "违法分包转包移交行业主管部门"
        JOINT_MEETING = "joint_meeting", "提交联合接访/会商"
        ADVANCE_PAYMENT = "advance_payment", "应急周转金垫付"
        CRIMINAL_REFERRAL = "criminal_referral", "涉嫌拒不支付劳动报酬罪移送公安"
        BLACKLIST_PROPOSAL = "blacklist_proposal", "提请列入失信联合惩戒名单"
        MEDIATION = "mediation", "调解"
        ARBITRATION = "arbitration", "劳动人事争议仲裁"
        COURT = "court", "诉讼"
        LEGAL_AID = "legal_aid", "法律援助"
        PROPERTY_PRESERVATION = "property_preservation", "诉前财产保全"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "待审批"
        OPEN = "open", "办理中"
        CLOSED = "closed", "已办结"
        REJECTED = "rejected", "未批准"

    case = models.ForeignKey(Case, verbose_name="案件", on_delete=models.CASCADE, related_name="escalations")
    kind = models.CharField("类型", max_length=32, choices=Kind.choices)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.OPEN)
    organisation = models.ForeignKey(
        Organisation, verbose_name="承办单位", null=True, blank=True, on_delete=models.PROTECT, related_name="case_escalations"
    )
    reason = models.TextField("理由")
    opened_at = models.DateTimeField("发起时间")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    amount = models.DecimalField("金额(元)", max_digits=14, decimal_places=2, null=True, blank=True)
    worker_count = models.PositiveIntegerField("人数", null=True, blank=True)
    approved_at = models.DateTimeField("批准时间", null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="批准人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recovered_amount = models.DecimalField("已追偿金额(元)", max_digits=14, decimal_places=2, default=Decimal("0"))
    outcome = models.TextField("结果", blank=True, default="")
    judicial_confirmation = models.BooleanField("已司法确认", default=False)
    approval_note = models.TextField("审批意见", blank=True, default="")
    # Kind-specific facts: grounds of a criminal referral, the court of a preservation
    # application, the date legal aid was requested, the case number of an arbitration...
    details = models.JSONField("其他情况", default=dict, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="办结人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "升级处置"
        verbose_name_plural = "升级处置"
        ordering = ["opened_at", "pk"]
        indexes = [models.Index(fields=["kind", "status"], name="escalation_kind_status")]
        constraints = [
            # One running escalation of each kind per case: a second click, or the periodic job
            # escalating what a person already escalated, cannot open another.
            models.UniqueConstraint(
                fields=["case", "kind"], condition=Q(status__in=["proposed", "open"]), name="one_active_escalation_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.get_kind_display()}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.PROPOSED, self.Status.OPEN)

    @property
    def remaining_amount(self) -> Decimal | None:
        """Advance payments: what is still to be recovered from the debtor."""
        if self.amount is None:
            return None
        return self.amount - (self.recovered_amount or Decimal("0"))


class AdvanceRecovery(models.Model):
    """Money recovered from the debtor after an advance payment (追偿)."""

    escalation = models.ForeignKey(Escalation, verbose_name="垫付", on_delete=models.PROTECT, related_name="recoveries")
    amount = models.DecimalField("追回金额(元)", max_digits=14, decimal_places=2)
    recovered_on = models.DateField("追回日期")
    note = models.CharField("说明", max_length=255, blank=True, default="")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "垫付追偿"
        verbose_name_plural = "垫付追偿"
        ordering = ["recovered_on", "pk"]


class Callback(models.Model):
    """A call to the complainant after resolution (回访)."""

    class Method(models.TextChoices):
        PHONE = "phone", "电话回访"
        SMS = "sms", "短信回访"
        VISIT = "visit", "上门回访"
        WORKER_PAGE = "worker_page", "劳动者在线评价"

    case = models.ForeignKey(Case, verbose_name="案件", on_delete=models.CASCADE, related_name="callbacks")
    method = models.CharField("方式", max_length=16, choices=Method.choices, default=Method.PHONE)
    resolved = models.BooleanField("问题已解决")
    paid_in_full = models.BooleanField("工资已足额支付")
    lawful = models.BooleanField("办理程序合法")
    satisfied = models.BooleanField("满意")
    note = models.TextField("回访记录", blank=True, default="")
    called_at = models.DateTimeField("回访时间")
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="回访人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "回访"
        verbose_name_plural = "回访"
        ordering = ["called_at", "pk"]

    @property
    def confirms_resolution(self) -> bool:
        return self.resolved and self.paid_in_full


class FollowUp(models.Model):
    """A later look at a closed case: a sampled re-check (回头看) or the 3-month follow-up of an
    enterprise that settled."""

    class Kind(models.TextChoices):
        REVIEW = "review", "回头看(抽查复核)"
        SETTLED_ENTERPRISE = "settled_enterprise", "结清企业3个月跟踪"

    class Result(models.TextChoices):
        PENDING = "pending", "待完成"
        CONFIRMED = "confirmed", "无新问题"
        PROBLEM = "problem", "发现问题"

    case = models.ForeignKey(Case, verbose_name="案件", on_delete=models.CASCADE, related_name="follow_ups")
    kind = models.CharField("类型", max_length=32, choices=Kind.choices)
    enterprise = models.ForeignKey(Enterprise, verbose_name="企业", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups")
    organisation = models.ForeignKey(Organisation, verbose_name="负责单位", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups")
    due_at = models.DateTimeField("完成时限")
    result = models.CharField("结果", max_length=16, choices=Result.choices, default=Result.PENDING)
    note = models.TextField("情况说明", blank=True, default="")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    done_at = models.DateTimeField("完成时间", null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="完成人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "回头看/跟踪"
        verbose_name_plural = "回头看/跟踪"
        ordering = ["due_at"]
        indexes = [models.Index(fields=["result", "due_at"], name="follow_up_pending")]


class NumberCounter(models.Model):
    """Per-day counters for case, complaint and order numbers (locked row per prefix and day)."""

    prefix = models.CharField(max_length=4)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "编号计数器"
        verbose_name_plural = "编号计数器"
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="unique_number_counter")]
