"""Forms of the case detail page's actions. They only parse input; the services validate and
write, and their Chinese field errors are put back next to the inputs (`apply_service_errors`)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from wagewatch.core.forms import Form
from wagewatch.core.models import Organisation, Role, User
from wagewatch.intake.models import Evidence

from .models import Callback, ClueOutcome

YES_NO = [("1", "是"), ("0", "否")]

# Organisations that can lead a case (the office may override the routing rules' choice).
LEAD_KINDS = [
    Organisation.Kind.STREET_GOVERNMENT,
    Organisation.Kind.INDUSTRY_BUREAU,
    Organisation.Kind.STATE_OWNED_OWNER,
    Organisation.Kind.LABOUR_INSPECTION,
]


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's field errors next to the matching inputs (others at the top)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, messages in exc.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def _text(label: str, *, required: bool = True, max_length: int | None = None, rows: int | None = None, **kwargs) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=widget,
        error_messages={"required": f"请填写{label}", "max_length": f"{label}不超过%(limit_value)d字"},
        **kwargs,
    )


def _amount(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
        error_messages={
            "required": f"请填写{label}",
            "invalid": f"{label}应为数字(单位:元)",
            "min_value": f"{label}不能为负数",
            "max_decimal_places": f"{label}最多保留两位小数",
            "max_digits": f"{label}过大",
            "max_whole_digits": f"{label}过大",
        },
    )


def _count(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=1,
        widget=forms.NumberInput(attrs={"min": "1", "inputmode": "numeric"}),
        error_messages={"required": f"请填写{label}", "invalid": f"{label}应为整数", "min_value": f"{label}不能小于1"},
    )


def _yes_no(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        error_messages={"required": f"请选择“{label}”", "invalid_choice": f"请选择“{label}”"},
    )


class ActionForm(Form):
    """Every action form: a prefix per action, so two forms on one page never share ids."""

    action = ""

    def __init__(self, *args, case=None, user=None, **kwargs):
        kwargs.setdefault("prefix", self.action or None)
        super().__init__(*args, **kwargs)
        self.case, self.user = case, user


# ---------------------------------------------------------------- lifecycle transitions


class DispatchForm(ActionForm):
    action = "dispatch"
    lead = forms.ModelChoiceField(
        Organisation.objects.none(),
        label="牵头责任单位",
        error_messages={"required": "请选择牵头责任单位", "invalid_choice": "所选单位不存在或已停用"},
    )
    responsible_leader = _text("责任领导", required=False, max_length=50, help_text="留空则为单位登记的负责领导")
    responsible_person = _text("具体责任人", required=False, max_length=50, help_text="留空则由签收单位指定")
    measures = _text("具体措施", required=False, rows=3, help_text="留空则使用标准措施")

    def __init__(self, *args, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = Organisation.objects.filter(is_active=True, kind__in=LEAD_KINDS).order_by("kind", "name")
        if plan is not None and plan.decision.lead is not None and not self.is_bound:
            self.initial.setdefault("lead", plan.decision.lead.pk)
            self.fields["responsible_leader"].widget.attrs["placeholder"] = plan.decision.lead.leader_name or ""


class AcceptForm(ActionForm):
    action = "accept"
    responsible_person = _text("具体责任人", required=False, max_length=50, help_text="留空则为您本人")


class ReturnForm(ActionForm):
    action = "return"
    reason = _text("退回理由", rows=2, max_length=500, help_text="写明为何不属于本单位,应由哪个单位办理")


class VerifyForm(ActionForm):
    action = "verify"
    note = _text("核实安排", required=False, rows=2, max_length=500)


class FactsForm(ActionForm):
    action = "handle"
    amount_verified = _amount("核实欠薪金额(元)")
    workers_verified = _count("核实涉及人数")
    facts_clear = _yes_no("事实清楚、金额明确")
    note = _text("核实情况", required=False, rows=2, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is not None and not self.is_bound:
            self.initial.setdefault("amount_verified", self.case.amount_owed)
            self.initial.setdefault("workers_verified", self.case.worker_count)
            self.initial.setdefault("facts_clear", "1")


class ResolveForm(ActionForm):
    action = "resolve"
    amount_paid = _amount("已支付金额(元)")
    workers_paid = _count("已支付人数")
    summary = _text("办理结果", rows=3, max_length=2000, help_text="如何解决、何时以何种方式支付")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is not None and not self.is_bound:
            self.initial.setdefault("amount_paid", self.case.amount_verified if self.case.amount_verified is not None else self.case.amount_owed)
            self.initial.setdefault("workers_paid", self.case.workers_verified or self.case.worker_count)


class CallbackForm(ActionForm):
    action = "callback"
    method = forms.ChoiceField(label="回访方式", choices=Callback.Method.choices, initial=Callback.Method.PHONE)
    resolved = _yes_no("问题已解决")
    paid_in_full = _yes_no("工资已足额支付")
    lawful = _yes_no("办理程序合法")
    satisfied = _yes_no("满意")
    note = _text("回访记录", required=False, rows=2, max_length=2000)


class ReopenForm(ActionForm):
    action = "reopen"
    reason = _text("重新办理理由", rows=2, max_length=500)


class CloseForm(ActionForm):
    action = "close"
    note = _text("结案意见", required=False, rows=2, max_length=2000)


class CloseNoArrearsForm(ActionForm):
    action = "close_no_arrears"
    note = _text("核实情况", rows=2, max_length=2000, help_text="如何核实无欠薪,例如:重新核对后考勤、工资表与银行代发一致")


class MergeForm(ActionForm):
    action = "merge"
    into = _text("并入案件编号", max_length=24, help_text="例如 AJ20261102000001;本案的投诉、材料和金额并入该案")
    reason = _text("并案理由", required=False, rows=2, max_length=500)

    def clean_into(self):
        return self.cleaned_data["into"].strip().upper()


# ---------------------------------------------------------------- other records on a case


class FirstContactForm(ActionForm):
    action = "first_contact"
    note = _text("联系情况", rows=2, max_length=2000, help_text="联系方式、时间、对方诉求")


class NoteForm(ActionForm):
    action = "note"
    text = _text("办理情况", rows=3, max_length=2000)


class EvidenceForm(ActionForm):
    action = "evidence"
    purpose = forms.ChoiceField(
        label="材料用途",
        choices=[(Evidence.Purpose.HANDLING, Evidence.Purpose.HANDLING.label), (Evidence.Purpose.CLOSURE, Evidence.Purpose.CLOSURE.label)],
        error_messages={"required": "请选择材料用途", "invalid_choice": "材料用途不正确"},
    )
    file = forms.FileField(
        label="文件",
        help_text="照片(JPG/PNG/WebP/HEIC)或PDF,不超过10MB",
        error_messages={"required": "请选择要上传的文件", "empty": "上传的文件是空的", "invalid": "未收到文件,请重新选择"},
    )
    description = _text("说明", required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = "image/*,application/pdf"
        if self.case is not None and not self.is_bound and self.case.state == "handling":
            self.initial.setdefault("purpose", Evidence.Purpose.CLOSURE)


class MajorForm(ActionForm):
    action = "major"
    is_major = _yes_no("列为重大案件(挂牌督办)")
    leader = forms.ModelChoiceField(
        User.objects.none(), label="包案领导", required=False, error_messages={"invalid_choice": "所选包案领导不存在"}
    )
    reason = _text("原因", required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = (
            User.objects.filter(is_active=True, role__in=[Role.OFFICE_LEADER, Role.UNIT_LEADER])
            .select_related("organisation")
            .order_by("organisation__name", "full_name", "username")
        )
        self.fields["leader"].label_from_instance = lambda u: f"{u.full_name or u.username}({u.organisation or u.get_role_display()})"
        if self.case is not None and not self.is_bound:
            self.initial.setdefault("is_major", "1")
            if self.case.major_leader_id:
                self.initial.setdefault("leader", self.case.major_leader_id)
            self.initial.setdefault("reason", self.case.major_reason)


class ClueForm(ActionForm):
    action = "clue"
    outcome = forms.ModelChoiceField(
        ClueOutcome.objects.none(), label="核查结果", error_messages={"required": "请选择核查结果", "invalid_choice": "所选核查结果不存在或已停用"}
    )
    reply_text = _text("答复内容", required=False, rows=4, max_length=4000, help_text="默认为所选核查结果的标准答复,可修改")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        outcomes = ClueOutcome.objects.filter(active=True)
        self.fields["outcome"].queryset = outcomes
        if self.case is not None:
            # Choosing an outcome puts its standard reply in the text box (htmx; without
            # JavaScript an empty box also means the standard reply).
            self.fields["outcome"].widget.attrs.update(
                {
                    "hx-get": reverse("cases:action", args=[self.case.pk, "clue_reply"]),
                    "hx-trigger": "change",
                    "hx-target": f"#{self.auto_id % self.add_prefix('reply_text')}",
                    "hx-swap": "outerHTML",
                }
            )
        if not self.is_bound:
            chosen = None
            if self.case is not None and self.case.clue_outcome_id:
                chosen = self.case.clue_outcome
            chosen = chosen or outcomes.first()
            if chosen is not None:
                self.initial.setdefault("outcome", chosen.pk)
                reply = self.case.clue_reply_text if self.case is not None and self.case.clue_outcome_id else ""
                self.initial.setdefault("reply_text", reply or chosen.reply_text)


class SplitForm(ActionForm):
    action = "split"
    complaint = forms.ModelChoiceField(
        None, label="拆分出的投诉", error_messages={"required": "请选择要拆分出去的投诉", "invalid_choice": "所选投诉不属于本案"}
    )
    reason = _text("拆分理由", rows=2, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from wagewatch.intake.models import Complaint

        qs = Complaint.objects.filter(case=self.case) if self.case is not None else Complaint.objects.none()
        self.fields["complaint"].queryset = qs.order_by("received_at", "pk")
        self.fields["complaint"].label_from_instance = lambda c: f"{c.number} {c.complainant_name}({c.get_relation_display()})"


# ---------------------------------------------------------------- escalations and follow-ups


def _date(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": f"请填写{label}", "invalid": f"{label}应为日期,格式 YYYY-MM-DD"},
    )


class EscalationOpenForm(ActionForm):
    """Open an escalation path. Which fields matter depends on the kind (help texts say which)."""

    action = "escalate"
    kind = forms.ChoiceField(label="升级处置类型", choices=[], error_messages={"required": "请选择升级处置类型", "invalid_choice": "该类型当前不能发起"})
    reason = _text("理由", rows=3, max_length=4000, help_text="不少于4个字")
    organisation = forms.ModelChoiceField(
        Organisation.objects.none(),
        label="承办单位",
        required=False,
        empty_label="按类型自动确定",
        help_text="不选则按类型自动确定(监察大队、行业主管部门、公安机关、调解中心、法院等)",
        error_messages={"invalid_choice": "所选单位不存在或已停用"},
    )
    amount = _amount("金额(元)")
    worker_count = _count("人数")
    grounds = forms.MultipleChoiceField(
        label="移送理由(移送公安时必选)",
        required=False,
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "移送理由不正确"},
    )
    requested_on = _date("法律援助申请日期", required=False)

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        from .escalations import CRIMINAL_GROUNDS
        from .models import Escalation

        self.fields["kind"].choices = [("", "请选择")] + [(k, Escalation.Kind(k).label) for k in kinds]
        self.fields["organisation"].queryset = Organisation.objects.filter(is_active=True).exclude(
            kind__in=[Organisation.Kind.DATA_PROVIDER, Organisation.Kind.GENERAL_CONTRACTOR]
        ).order_by("kind", "name")
        self.fields["amount"].required = False
        self.fields["amount"].help_text = "应急周转金垫付时必填,不超过核实欠薪金额"
        self.fields["worker_count"].required = False
        self.fields["worker_count"].help_text = "应急周转金垫付时必填,不超过核实涉及人数"
        self.fields["grounds"].choices = list(CRIMINAL_GROUNDS.items())
        self.fields["requested_on"].help_text = "投诉时未申请法律援助的,填写劳动者提出申请的日期"

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        kwargs = {
            "kind": d["kind"],
            "reason": d["reason"],
            "organisation": d["organisation"],
            "amount": d["amount"],
            "worker_count": d["worker_count"],
        }
        if d["grounds"]:
            kwargs["grounds"] = d["grounds"]
        if d["requested_on"]:
            kwargs["requested_on"] = d["requested_on"]
        return kwargs


class ItemForm(ActionForm):
    """A form acting on one row of the case (an escalation, a follow-up): ids stay unique on a page
    with many rows, and the row's id travels in the hidden `item` field."""

    def __init__(self, *args, item=None, **kwargs):
        if item is not None:
            kwargs.setdefault("auto_id", f"id_{self.action}_{item.pk}_%s")
        super().__init__(*args, **kwargs)
        self.item = item


class EscalationApproveForm(ItemForm):
    action = "escalation_approve"
    approved = _yes_no("批准垫付")
    note = _text("审批意见", required=False, rows=2, max_length=4000, help_text="不予批准的须写明理由")


class EscalationCloseForm(ItemForm):
    action = "escalation_close"
    outcome = _text("办理结果", rows=2, max_length=4000)
    judicial_confirmation = forms.BooleanField(label="调解协议已司法确认", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.item is not None and self.item.kind != "mediation":
            del self.fields["judicial_confirmation"]


class RecoveryForm(ItemForm):
    action = "escalation_recovery"
    amount = _amount("追回金额(元)")
    recovered_on = _date("追回日期")
    note = _text("说明", required=False, max_length=255)


class FollowUpForm(ItemForm):
    action = "follow_up"
    result = forms.ChoiceField(
        label="结果",
        choices=[("confirmed", "无新问题"), ("problem", "发现问题")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择结果:无新问题或发现问题", "invalid_choice": "请选择结果:无新问题或发现问题"},
    )
    note = _text("情况说明", required=False, rows=2, max_length=2000, help_text="发现问题的须写明具体情况")
