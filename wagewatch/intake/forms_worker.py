"""Forms of the worker's phone pages: short labels in plain Chinese, phone keyboards where they
help (`inputmode`), and every message saying what to fix."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

from wagewatch.core.forms import Form
from wagewatch.core.models import Territory
from wagewatch.core.protected import PHONE, normalise
from wagewatch.documents.uploads import evidence_max_bytes, evidence_validate
from wagewatch.notify.sms import is_mobile

MAX_FILES = 5
CASE_NUMBER_RE = re.compile(r"[A-Z]{2}\d{8,20}")


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class EvidenceFilesField(forms.FileField):
    """Several photos or PDFs in one input; each is checked by content (not by name)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf", "multiple": True}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > MAX_FILES:
            raise ValidationError(f"一次最多上传{MAX_FILES}个文件")
        cleaned, errors = [], []
        for upload in files:
            upload = super().clean(upload, initial)
            try:
                evidence_validate(upload)
            except ValidationError as exc:
                errors.append(f"“{_short_name(upload.name)}”:{exc.messages[0]}")
                continue
            cleaned.append(upload)
        if errors:
            raise ValidationError(errors)
        return cleaned


def size_text(limit: int) -> str:
    megabytes = limit / (1024 * 1024)
    return f"{megabytes:g}MB" if megabytes >= 1 else f"{max(1, limit // 1024)}KB"


def _short_name(name: str) -> str:
    name = (name or "").rsplit("/", 1)[-1]
    return name if len(name) <= 30 else name[:12] + "…" + name[-12:]


def clean_mobile(value: str) -> str:
    phone = normalise(PHONE, value or "")
    if not phone:
        raise ValidationError("请填写手机号")
    if not is_mobile(phone):
        raise ValidationError("手机号不正确:应为以1开头的11位数字(验证码会发到这个手机)")
    return phone


def parse_month(value: str) -> date | None:
    """'2026-08', '2026年8月', '2026.8', '2026/08/15' → the first day of that month."""
    text = (value or "").strip()
    if not text:
        return None
    found = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月)?(?:\s*[-/.]?\s*\d{1,2}\s*日?)?", text)
    if not found:
        raise ValidationError("请按“年-月”填写,例如 2026-08")
    year, month = int(found.group(1)), int(found.group(2))
    if not 1 <= month <= 12 or year < 1990:
        raise ValidationError("请按“年-月”填写,例如 2026-08")
    return date(year, month, 1)


UNKNOWN_STREET = "不清楚在哪个街道(由工作人员核实)"


def territory_choices() -> list:
    """Streets of the district, each with its communities, as grouped choices."""
    rows = list(Territory.objects.filter(level__in=[Territory.Level.STREET, Territory.Level.COMMUNITY]).order_by("path"))
    streets = [t for t in rows if t.level == Territory.Level.STREET]
    choices: list = [("", "请选择")]
    district = next((t for t in Territory.objects.filter(level=Territory.Level.DISTRICT).order_by("path")[:1]), None)
    if district is not None:
        # A worker who does not know the street is not turned away: the office finds out and assigns it.
        choices.append((str(district.pk), UNKNOWN_STREET))
    for street in streets:
        options = [(str(street.pk), f"{street.name}(不清楚哪个社区)")]
        options += [(str(t.pk), f"{street.name} · {t.name}") for t in rows if t.parent_id == street.pk]
        choices.append((street.name, options))
    return choices


class ComplaintForm(Form):
    complainant_name = forms.CharField(label="您的姓名", max_length=50, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    complainant_phone = forms.CharField(
        label="您的手机号",
        max_length=20,
        help_text="用来接收验证码和办理进度短信",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "type": "tel"}),
    )
    worker_count = forms.IntegerField(
        label="一共几个人被欠工资(算上您自己)",
        min_value=1,
        max_value=100000,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"required": "请填写人数", "invalid": "人数请填数字", "min_value": "人数至少为1"},
    )
    amount_owed = forms.CharField(
        label="一共被欠多少钱(元)",
        max_length=20,
        help_text="不清楚可以填大概数",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={"required": "请填写被欠的钱数,不清楚可以填大概数"},
    )
    period_start = forms.CharField(
        label="从哪个月开始欠的",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "例如 2026-08"}),
    )
    employer_name = forms.CharField(
        label="欠钱的老板或公司",
        max_length=200,
        help_text="不知道公司全称,填老板姓名或简称也可以",
        error_messages={"required": "请填写欠钱的老板或公司,不知道全称可填简称或老板姓名"},
    )
    subcontracting_chain = forms.CharField(label="包工头或班组长(可不填)", required=False, max_length=500)
    project_name = forms.CharField(label="在哪个工地、工厂或店里干活", required=False, max_length=200)
    site_address = forms.CharField(label="干活的地址(可不填)", required=False, max_length=255)
    territory_id = forms.ChoiceField(
        label="干活的地方属于哪个街道",
        choices=(),
        error_messages={"required": "请选择干活的地方属于哪个街道(乡镇)", "invalid_choice": "请重新选择街道"},
    )
    description = forms.CharField(
        label="简单说说情况(可不填)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "例如:干了3个月,老板一直拖着不给"}),
    )
    legal_aid_requested = forms.BooleanField(label="我需要免费的法律援助", required=False)
    files = EvidenceFilesField(label="证据照片或PDF")

    def __init__(self, *args, project=None, stashed_files: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.stashed_files = stashed_files
        self.fields["files"].help_text = (
            f"工资条、欠条、聊天记录、考勤照片等,最多{MAX_FILES}个,每个不超过{size_text(evidence_max_bytes())}"
        )
        if project is not None:
            # The poster names the project: its site and district are known, the employer may
            # default to the general contractor ("总承包总负责").
            for name in ("project_name", "site_address", "territory_id"):
                del self.fields[name]
            self.fields["employer_name"].required = False
            self.fields["employer_name"].help_text = "不知道可以不填,由工作人员核实"
        else:
            self.fields["territory_id"].choices = territory_choices()

    def clean_complainant_phone(self):
        return clean_mobile(self.cleaned_data.get("complainant_phone"))

    def clean_complainant_name(self):
        name = (self.cleaned_data.get("complainant_name") or "").strip()
        if not name:
            raise ValidationError("请填写您的姓名")
        return name

    def clean_amount_owed(self):
        text = (self.cleaned_data.get("amount_owed") or "").strip()
        text = text.replace(",", "").replace(",", "").replace("元", "").replace("¥", "").strip()
        multiplier = 1
        if text.endswith("万"):
            text, multiplier = text[:-1].strip(), 10000
        try:
            amount = Decimal(text) * multiplier
        except (InvalidOperation, ValueError):
            raise ValidationError("钱数请填数字,例如 18000") from None
        if amount <= 0:
            raise ValidationError("钱数应大于0")
        return str(amount.quantize(Decimal("0.01")))

    def clean_period_start(self):
        value = parse_month(self.cleaned_data.get("period_start"))
        if value is not None and value > date.today():
            raise ValidationError("开始欠薪的月份不能晚于本月")
        return value.isoformat() if value else ""

    def clean(self):
        cleaned = super().clean()
        files = cleaned.get("files") or []
        if len(files) + self.stashed_files > MAX_FILES:
            self.add_error("files", f"证据文件最多{MAX_FILES}个(已上传{self.stashed_files}个)")
        return cleaned

    def complaint_data(self) -> dict:
        """Cleaned values as plain strings (kept in the session between the two steps)."""
        c = self.cleaned_data
        data = {
            key: c.get(key, "")
            for key in (
                "complainant_name",
                "complainant_phone",
                "amount_owed",
                "period_start",
                "employer_name",
                "subcontracting_chain",
                "project_name",
                "site_address",
                "territory_id",
                "description",
            )
        }
        data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
        data["worker_count"] = c.get("worker_count") or 1
        data["legal_aid_requested"] = bool(c.get("legal_aid_requested"))
        return data


class CodeForm(Form):
    code = forms.CharField(
        label="短信验证码",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}),
        error_messages={"required": "请填写短信里的6位验证码", "min_length": "验证码是6位数字", "max_length": "验证码是6位数字"},
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=128)

    def clean_code(self):
        code = re.sub(r"\s", "", self.cleaned_data.get("code") or "")
        if not re.fullmatch(r"\d{6}", code):
            raise ValidationError("验证码是6位数字")
        return code


def normalise_case_number(value: str) -> str:
    return re.sub(r"[\s\-_]", "", value or "").upper()


class TrackForm(Form):
    number = forms.CharField(
        label="案件编号",
        max_length=40,
        help_text="登记成功后短信里的编号,以AJ开头",
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off", "placeholder": "例如 AJ2026112300012"}),
        error_messages={"required": "请填写案件编号"},
    )
    phone = forms.CharField(
        label="投诉时填的手机号",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "type": "tel"}),
        error_messages={"required": "请填写手机号"},
    )

    def clean_number(self):
        number = normalise_case_number(self.cleaned_data.get("number"))
        if not CASE_NUMBER_RE.fullmatch(number):
            raise ValidationError("案件编号格式不对:以两个字母开头,后面是数字,例如 AJ2026112300012")
        return number

    def clean_phone(self):
        return clean_mobile(self.cleaned_data.get("phone"))


class EvidenceForm(Form):
    files = EvidenceFilesField(label="选择照片或PDF", required=True)
    description = forms.CharField(label="说明(可不填)", required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].error_messages["required"] = "请选择要上传的照片或PDF"
        self.fields["files"].help_text = f"最多{MAX_FILES}个,每个不超过{size_text(evidence_max_bytes())}"


RATING_CHOICES = [
    ("5", "★★★★★ 非常满意"),
    ("4", "★★★★ 满意"),
    ("3", "★★★ 一般"),
    ("2", "★★ 不满意"),
    ("1", "★ 非常不满意"),
]


class RatingForm(Form):
    rating = forms.TypedChoiceField(
        label="您对办理结果满意吗",
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择几颗星", "invalid_choice": "请选择1至5颗星"},
    )
    comment = forms.CharField(label="想说的话(可不填)", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
