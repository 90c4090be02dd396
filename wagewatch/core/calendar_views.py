"""Pages for the working-day calendar (office roles view, administrators load years) and the
time-limit table (office staff, office leaders and administrators edit)."""

from __future__ import annotations

import calendar as stdlib_calendar
from datetime import timedelta
from itertools import groupby

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from .calendar import WEEKDAY_NAMES_ZH, office_periods, working_calendar
from .calendar_services import (
    CALENDAR_LOADER_ROLES,
    CALENDAR_VIEWER_ROLES,
    MAX_YEAR,
    MIN_YEAR,
    TIME_LIMIT_EDITOR_ROLES,
    calendar_text_parse,
    calendar_year_load,
    calendar_year_preview,
    office_hours_text,
    office_hours_update,
    time_limit_update,
)
from .forms import Form
from .models import CalendarDay, CalendarYear, Role, TimeLimit

MAX_UPLOAD_BYTES = 64 * 1024
MONTH_NAMES = [f"{m}月" for m in range(1, 13)]


def _require(user, roles, message: str) -> None:
    if user.role not in roles:
        raise PermissionDenied(message)


@login_required
def calendar_view(request):
    _require(request.user, CALENDAR_VIEWER_ROLES, "只有清欠办和系统管理员可以查看工作日历")
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        raise Http404("年度格式不正确") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404("年度超出范围")
    cal = working_calendar()
    months = []
    for month in range(1, 13):
        weeks = []
        for week in stdlib_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            weeks.append([(cal.day(d), d.month == month, d == today) for d in week])
        months.append({"name": MONTH_NAMES[month - 1], "weeks": weeks})
    loaded = CalendarYear.objects.select_related("loaded_by").order_by("-year")
    this_year = next((y for y in loaded if y.year == year), None)
    return render(
        request,
        "core/calendar.html",
        {
            "year": year,
            "this_year": this_year,
            "months": months,
            "weekday_names": [n[-1] for n in WEEKDAY_NAMES_ZH],
            "summary": _year_summary(year) if this_year else [],
            "loaded_years": loaded,
            "previous_year": year - 1 if year > MIN_YEAR else None,
            "next_year": year + 1 if year < MAX_YEAR else None,
            "may_load": request.user.role in CALENDAR_LOADER_ROLES,
        },
    )


def _year_summary(year: int) -> list[dict]:
    """Holiday ranges and make-up working days of a loaded year, for the list under the grid."""
    rows = CalendarDay.objects.filter(year=year).exclude(holiday_name="", is_makeup_working_day=False).order_by("date")
    summary = []
    holidays = [r for r in rows if r.holiday_name and not r.is_working_day]
    for _, group in groupby(_consecutive(holidays), key=lambda pair: pair[0]):
        days = [r for _, r in group]
        summary.append({"kind": "holiday", "name": days[0].holiday_name, "first": days[0].date, "last": days[-1].date, "count": len(days)})
    for r in rows:
        if r.is_makeup_working_day:
            summary.append({"kind": "makeup", "name": r.makeup_for, "first": r.date, "last": r.date, "count": 1})
    summary.sort(key=lambda item: item["first"])
    return summary


def _consecutive(rows):
    """Pairs (range id, row): consecutive dates with the same name share a range id."""
    range_id = 0
    previous = None
    for row in rows:
        if previous is None or row.date != previous.date + timedelta(days=1) or row.holiday_name != previous.holiday_name:
            range_id += 1
        previous = row
        yield range_id, row


class CalendarYearLoadForm(Form):
    year = forms.IntegerField(
        label="年度",
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        error_messages={
            "required": "请填写年度",
            "invalid": "年度应为四位数字,如 2027",
            "min_value": f"年度应在{MIN_YEAR}至{MAX_YEAR}之间",
            "max_value": f"年度应在{MIN_YEAR}至{MAX_YEAR}之间",
        },
    )
    text = forms.CharField(
        label="放假安排",
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "placeholder": "2027-01-01~2027-01-03 元旦\n调休 2027-02-07 春节"}),
    )
    upload = forms.FileField(label="或上传文本文件(.txt,UTF-8 或 GBK 编码)", required=False)

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if not upload:
            return ""
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(f"文件过大,放假安排文本不应超过{MAX_UPLOAD_BYTES // 1024}KB")
        raw = upload.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise ValidationError("无法读取文件,请上传 UTF-8 或 GBK 编码的文本文件")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        text = cleaned.get("upload") or cleaned.get("text") or ""
        if not text.strip():
            self.add_error("text", "请填写放假安排,或上传文本文件")
            return cleaned
        cleaned["text"] = text
        try:
            cleaned["arrangement"] = calendar_text_parse(year=cleaned["year"], text=text)
        except ValidationError as exc:
            for message in exc.messages:
                self.add_error("text", message)
        return cleaned


def calendar_year_as_text(year: int) -> str:
    """A loaded year written in the load format, so an administrator can correct it."""
    lines = []
    for item in _year_summary(year):
        if item["kind"] == "holiday":
            span = item["first"].isoformat() if item["count"] == 1 else f"{item['first'].isoformat()}~{item['last'].isoformat()}"
            lines.append(f"{span} {item['name']}")
        else:
            lines.append(f"调休 {item['first'].isoformat()} {item['name']}".rstrip())
    return "\n".join(lines)


@login_required
def calendar_year_load_view(request):
    _require(request.user, CALENDAR_LOADER_ROLES, "只有系统管理员可以导入工作日历")
    context = {"format_examples": "2027-01-01~2027-01-03 元旦\n调休 2027-02-07 春节"}
    if request.method != "POST":
        try:
            year = int(request.GET.get("year") or timezone.localdate().year + 1)
        except ValueError:
            year = timezone.localdate().year + 1
        initial = {"year": year}
        if CalendarYear.objects.filter(year=year).exists():
            initial["text"] = calendar_year_as_text(year)
        context["form"] = CalendarYearLoadForm(initial=initial)
        return render(request, "core/calendar_load.html", context)
    if request.POST.get("action") == "edit":
        context["form"] = CalendarYearLoadForm(initial={"year": request.POST.get("year"), "text": request.POST.get("text", "")})
        return render(request, "core/calendar_load.html", context)
    form = CalendarYearLoadForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "core/calendar_load.html", context, status=422)
    arrangement = form.cleaned_data["arrangement"]
    if request.POST.get("action") == "confirm":
        calendar_year_load(actor=request.user, year=arrangement.year, arrangement=arrangement)
        messages.success(
            request,
            f"已导入{arrangement.year}年工作日历:放假{len(arrangement.holidays)}天,调休上班{len(arrangement.makeup)}天。"
            "涉及该年度的临时期限将重新计算。",
        )
        return redirect(f"{reverse('core:calendar')}?year={arrangement.year}")
    context.update(
        {
            "preview": True,
            "year": arrangement.year,
            "text": form.cleaned_data["text"],
            "changes": calendar_year_preview(arrangement=arrangement),
            "holiday_count": len(arrangement.holidays),
            "makeup_count": len(arrangement.makeup),
            "already_loaded": CalendarYear.objects.filter(year=arrangement.year).first(),
        }
    )
    return render(request, "core/calendar_load_preview.html", context)


@login_required
def time_limit_list_view(request):
    if request.user.role == Role.DATA_PROVIDER:
        raise PermissionDenied("数据接口用户不能查看此页面")
    return render(
        request,
        "core/time_limits.html",
        {
            "limits": TimeLimit.objects.order_by("key"),
            "may_edit": request.user.role in TIME_LIMIT_EDITOR_ROLES,
            "office_hours": office_hours_text(office_periods()),
            "office_form": OfficeHoursForm(initial={"periods": office_hours_text(office_periods())}),
        },
    )


class OfficeHoursForm(Form):
    periods = forms.CharField(
        label="办公时间(工作日)",
        max_length=200,
        help_text="如 08:30-12:00,13:30-17:30;按“工作小时”计的时限只在这些时段内计时",
        error_messages={"required": "请填写办公时间,如 08:30-12:00,13:30-17:30"},
    )


@login_required
def office_hours_edit_view(request):
    _require(request.user, TIME_LIMIT_EDITOR_ROLES, "只有清欠办工作人员、清欠办领导和系统管理员可以修改办公时间")
    form = OfficeHoursForm(request.POST or None, initial={"periods": office_hours_text(office_periods())})
    if request.method == "POST" and form.is_valid():
        try:
            row = office_hours_update(actor=request.user, periods=form.cleaned_data["periods"])
        except ValidationError as exc:
            for message in exc.message_dict.get("periods", exc.messages):
                form.add_error("periods", message)
        else:
            messages.success(request, f"办公时间已改为 {row.periods}。新的时间适用于此后产生的期限。")
            return redirect("core:time_limits")
    return render(request, "core/office_hours_edit.html", {"form": form}, status=422 if form.errors else 200)


class TimeLimitForm(Form):
    amount = forms.IntegerField(
        label="时限数值",
        min_value=1,
        error_messages={"required": "请填写时限数值", "invalid": "时限数值应为整数", "min_value": "时限数值应不小于1"},
    )
    unit = forms.ChoiceField(
        label="单位",
        choices=TimeLimit.Unit.choices,
        error_messages={"required": "请选择单位", "invalid_choice": "单位应为分钟、小时、工作小时、自然日或工作日"},
    )
    includes_start_day = forms.BooleanField(
        label="起算当日计入(按日计算时把起算当日算作第1天)",
        required=False,
    )
    description = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))


@login_required
def time_limit_edit_view(request, key: str):
    _require(request.user, TIME_LIMIT_EDITOR_ROLES, "只有清欠办工作人员、清欠办领导和系统管理员可以修改办理时限")
    limit = get_object_or_404(TimeLimit, key=key)
    if request.method == "POST":
        form = TimeLimitForm(request.POST)
        if form.is_valid():
            try:
                time_limit_update(actor=request.user, limit=limit, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, f"已保存“{limit.name}”。新的时限适用于此后产生的期限。")
                return redirect("core:time_limits")
    else:
        form = TimeLimitForm(
            initial={
                "amount": limit.amount,
                "unit": limit.unit,
                "includes_start_day": limit.includes_start_day,
                "description": limit.description,
            }
        )
    return render(request, "core/time_limit_edit.html", {"form": form, "limit": limit}, status=422 if form.errors else 200)
