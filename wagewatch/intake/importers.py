"""Batch import of clues from the 12345 hotline, 110, petitions (信访) and the national clue
platform: an .xlsx or .csv file (UTF-8, UTF-8 with BOM, or GBK), one clue per row, Chinese column
headers (the template is `template_workbook()`).

All or nothing, like every import of the platform: the rows are registered through
`complaint_register` in one transaction, and if any row is rejected (listed with its line number
and Chinese reasons) none of the file is registered, so a file is never half in. Every row must carry the channel's own id (渠道编号), which is what makes a re-import safe:
a clue already registered is counted as "已登记过" and left alone, so the corrected file can be
imported again whole and only the missing rows are registered. The same holds for a big file:
one run registers at most `MAX_NEW_ROWS` new clues (the request must end well inside the web
server's timeout) and the report asks for the same file again to go on. Each run is an
`ImportBatch` with its report. Reading files and parsing cells reuses the registry importer's
helpers.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils.dateparse import parse_datetime

from wagewatch.core.models import Industry, Role
from wagewatch.core.redact import redact_data, redact_text
from wagewatch.core.text import MULTILINE_KEYS, text_problem
from wagewatch.core.values import received_at_check
from wagewatch.history.services import event_append
from wagewatch.registry.importers import (
    Column,
    FileProblem,
    _choice,
    _choices_text,
    _header_key,
    _map_headers,
    _reasons,
    _Territories,
    _text,
    read_table,
)
from wagewatch.registry.models import Project

from .models import EXTERNAL_CHANNELS, Channel, Complaint, ImportBatch
from .services import ComplaintInput, complaint_clean, complaint_register

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_ROWS = 20000
# Rows are registered one by one inside the request (registration with duplicate check, routing
# and deadlines takes tens of milliseconds). A run registers at most this many new clues and
# leaves the rest for the next run of the same file: re-importing it is safe and cheap.
MAX_NEW_ROWS = 500

IMPORT_ROLES = {Role.WINDOW_CLERK, Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR}
BATCH_CHANNELS = [c for c in Channel if c in EXTERNAL_CHANNELS]

ACTION_LABELS = {"import_batch.recorded": "批量导入投诉线索"}


def may_import(user) -> bool:
    return bool(user and user.is_authenticated and user.role in IMPORT_ROLES)


COLUMNS = (
    Column("external_id", "渠道编号", True, "热线工单号、警情编号、信访件编号或平台线索编号;重复导入时按此识别", ("工单编号", "工单号", "线索编号", "编号"), True, "12345-20261120-0001"),
    Column("received_at", "收到时间", True, "日期和时刻,如 2026-11-20 09:30(北京时间)", ("受理时间", "来电时间", "接收时间"), True, "2026-11-20 09:30"),
    Column("complainant_name", "投诉人姓名", True, "", ("投诉人", "来电人"), example="张三"),
    Column("complainant_phone", "投诉人电话", True, "11位手机号", ("联系电话", "投诉人手机号", "来电号码"), True, "13900001111"),
    Column("complainant_id_number", "身份证号", False, "18位;不清楚可留空", ("投诉人身份证号",), True),
    Column("worker_count", "涉及人数", False, "整数,留空为1", ("人数",), example="3"),
    Column("amount_owed", "欠薪金额", True, "单位:元,不清楚可填估计数", ("欠薪金额(元)", "金额"), example="18000"),
    Column("period_start", "欠薪期间起", False, "如 2026-08-01", ("欠薪开始时间",), example="2026-08-01"),
    Column("period_end", "欠薪期间止", False, "不早于欠薪期间起", ("欠薪结束时间",), example="2026-10-31"),
    Column("employer_name", "用人单位", True, "欠薪单位全称、简称或老板姓名", ("用人单位名称", "被投诉单位", "欠薪单位"), example="东花服装厂"),
    Column("employer_credit_code", "统一社会信用代码", False, "18位;不清楚可留空", ("信用代码",), True),
    Column("project_name", "项目名称", False, "", ("工程名称",)),
    Column("project_code", "项目编号", False, "平台已登记项目的编号;不清楚可留空", (), True),
    Column("site_address", "工地地址", False, "", ("工作地点", "地址")),
    Column(
        "territory", "所属街道", False, "辖区编码或名称;留空时按项目或用人单位所在辖区", ("所属街道(辖区编码或名称)", "所属辖区", "辖区", "街道"), True, "东城街道"
    ),
    Column("industry", "行业", False, _choices_text(Industry.choices) + ";留空按项目或用人单位的行业", example="制造业"),
    Column("subcontracting_chain", "分包链条", False, "包工头、班组长等", ("包工头/班组长",)),
    Column("description", "投诉内容", False, "", ("诉求内容", "来电内容", "反映内容", "内容"), example="三个月工资未发"),
    Column("legal_aid_requested", "申请法律援助", False, "是/否,留空为否", ("法律援助",)),
)

# Service field → column key, so a service message lands on the right column.
_SERVICE_FIELDS = {"territory_id": "territory", "project_id": "project_code"}


# ---------------------------------------------------------------- cells


_RECEIVED = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*[T\s]?\s*(\d{1,2})\s*[:时点]\s*(\d{1,2})\s*(?:[:分]\s*(\d{1,2})(?:\.\d+)?\s*秒?)?\s*分?"
)
_DATE_ONLY = re.compile(r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|\d{8}")
_RECEIVED_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?")
RECEIVED_HINT = "收到时间应包含日期和时刻,如 2026-11-20 09:30 或 2026-11-20T09:30:00+08:00"


def received_at_parse(value) -> datetime:
    """A received time from a file cell or an API field. Without a time zone it is Beijing time.
    A date without a time is refused: deadlines run from the hour of receipt."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        raise ValidationError(RECEIVED_HINT)
    else:
        text = _text(value)
        if not text:
            raise ValidationError("请填写收到时间")
        if _DATE_ONLY.fullmatch(text):
            raise ValidationError(f"收到时间“{text}”缺少时刻:{RECEIVED_HINT}")
        moment = None
        try:
            moment = parse_datetime(text)
        except ValueError:
            moment = None
        if moment is None:
            match = _RECEIVED.fullmatch(text) or _RECEIVED_COMPACT.fullmatch(text)
            if match is None:
                raise ValidationError(f"收到时间“{text}”格式不正确:{RECEIVED_HINT}")
            try:
                moment = datetime.combine(
                    date(int(match[1]), int(match[2]), int(match[3])), time(int(match[4]), int(match[5]), int(match[6] or 0))
                )
            except ValueError:
                raise ValidationError(f"收到时间“{text}”不是有效的日期时间") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    try:
        return received_at_check(moment)
    except ValueError as exc:
        raise ValidationError(f"收到时间{exc}") from None


def _external_id(raw) -> str:
    if isinstance(raw, float) and raw >= 1e15:
        # Excel keeps 15 significant digits: a long id typed as a number has lost its last digits.
        raise ValidationError("渠道编号在Excel中被存成了数字,末几位可能已丢失:请把该列设为“文本”格式后重新填写")
    text = _text(raw)
    if len(text) > 64:
        raise ValidationError("渠道编号不超过64个字符")
    return text


def _boolean(text: str, label: str) -> bool:
    if text in ("是", "Y", "y", "1", "true", "True", "TRUE", "申请", "需要"):
        return True
    if text in ("否", "N", "n", "0", "false", "False", "FALSE", "不申请", "不需要", "无"):
        return False
    raise ValidationError(f"{label}应填“是”或“否”")


# ---------------------------------------------------------------- report


@dataclass
class RowResult:
    row: int
    external_id: str
    complaint_number: str
    case_number: str
    case_id: int
    relation: str
    dispatch_note: str = ""


@dataclass
class RowProblem:
    row: int
    external_id: str
    reasons: list[str]

    def __post_init__(self):
        # Reasons quote cells ("…“110101…”不存在"): no clear personal number in any report.
        self.reasons = [redact_text(r) for r in self.reasons]


@dataclass
class BatchReport:
    channel: str
    filename: str
    sha256: str
    dispatch: bool = True
    total_rows: int = 0
    registered: list[RowResult] = field(default_factory=list)  # new case or linked to an open one
    unchanged: list[tuple[int, str]] = field(default_factory=list)  # (row, external id) registered before
    rejected: list[RowProblem] = field(default_factory=list)
    deferred: list[tuple[int, str]] = field(default_factory=list)  # (row, external id) left for the next run
    file_errors: list[str] = field(default_factory=list)
    batch_id: int | None = None
    undone: int = 0  # rows that were fine but not registered because another row was rejected

    @property
    def channel_label(self) -> str:
        return Channel(self.channel).label if self.channel in Channel.values else self.channel

    @property
    def created_count(self) -> int:
        return sum(1 for r in self.registered if r.relation == Complaint.Relation.ORIGIN)

    @property
    def linked_count(self) -> int:
        return sum(1 for r in self.registered if r.relation != Complaint.Relation.ORIGIN)

    @property
    def unchanged_count(self) -> int:
        return len(self.unchanged)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.file_errors and not self.deferred

    @property
    def summary(self) -> str:
        if self.file_errors:
            return "文件无法导入:" + ";".join(self.file_errors)
        if self.rejected:
            return f"有 {self.rejected_count} 行有误,本次未登记任何线索:请按行号改正后重新导入整个文件(已登记过 {self.unchanged_count})"
        text = f"新登记 {self.created_count},并入已有案件 {self.linked_count},已登记过 {self.unchanged_count},退回 {self.rejected_count}"
        if self.deferred:
            text += f";另有 {len(self.deferred)} 行超过单次{MAX_NEW_ROWS}条的上限未处理,请再次导入同一文件继续"
        return text

    def to_dict(self) -> dict:
        return redact_data({
            "batch_id": self.batch_id,
            "channel": self.channel,
            "filename": self.filename,
            "sha256": self.sha256,
            "dispatch": self.dispatch,
            "total_rows": self.total_rows,
            "created": self.created_count,
            "linked": self.linked_count,
            "unchanged": self.unchanged_count,
            "rejected_count": self.rejected_count,
            "deferred_count": len(self.deferred),
            "summary": self.summary,
            "file_errors": list(self.file_errors),
            "rejected": [{"row": p.row, "external_id": p.external_id, "reasons": list(p.reasons)} for p in self.rejected],
            "registered": [
                {
                    "row": r.row,
                    "external_id": r.external_id,
                    "complaint_number": r.complaint_number,
                    "case_number": r.case_number,
                    "case_id": r.case_id,
                    "relation": r.relation,
                    "dispatch_note": r.dispatch_note,
                }
                for r in self.registered
            ],
            "already_registered": [{"row": row, "external_id": ext} for row, ext in self.unchanged],
            "deferred": [{"row": row, "external_id": ext} for row, ext in self.deferred],
        })


# ---------------------------------------------------------------- reading


def _rows(report: BatchReport, data: bytes) -> list[tuple[int, dict]]:
    """(line number, {column key: raw cell}) of every non-blank data row; file errors go on the report."""
    try:
        table = read_table(data, report.filename)
    except FileProblem as exc:
        report.file_errors.append(str(exc))
        return []
    except UnicodeDecodeError:
        report.file_errors.append("文件以UTF-8 BOM开头但内容不是UTF-8编码,请重新保存")
        return []
    header_index = next((i for i, row in enumerate(table) if any(_text(c) for c in row)), None)
    if header_index is None:
        report.file_errors.append("文件是空的:第1行应为列标题,从第2行起每行一条线索")
        return []
    positions, problems = _map_headers(table[header_index], COLUMNS)
    if problems:
        known = {_header_key(n) for c in COLUMNS for n in (c.header, *c.aliases)}
        unknown = [str(c) for c in table[header_index] if _text(c) and _header_key(c) not in known]
        if unknown:
            problems.append("无法识别的列:" + "、".join(unknown[:10]))
        report.file_errors.extend(problems + ["请下载导入模板,核对第1行列标题"])
        return []
    rows = []
    for number, row in enumerate(table[header_index + 1 :], start=header_index + 2):
        cells = {key: row[index] if index < len(row) else None for key, index in positions.items()}
        if any(_text(v) for v in cells.values()):
            rows.append((number, cells))
    report.total_rows = len(rows)
    if not rows:
        report.file_errors.append("文件中没有数据行")
    elif len(rows) > MAX_ROWS:
        report.file_errors.append(f"文件有{len(rows)}行,超过{MAX_ROWS}行:请拆分后分批导入")
        return []
    return rows


@dataclass
class _Parsed:
    row: int
    external_id: str
    received_at: datetime | None
    data: ComplaintInput | None
    reasons: list[str]
    bad_columns: set[str] = field(default_factory=set)


class _Projects:
    def __init__(self, codes: set[str]):
        self.by_code = {p.code: p for p in Project.objects.filter(code__in=codes)} if codes else {}

    def get(self, code: str) -> Project:
        project = self.by_code.get(code)
        if project is None:
            raise ValidationError(f"项目编号“{code}”未在平台登记:请核对,或留空只填项目名称")
        return project


def _parse(number: int, cells: dict, *, territories: _Territories, projects: _Projects) -> _Parsed:
    headers = {c.key: c.header for c in COLUMNS}
    values: dict = {}
    reasons: list[str] = []
    bad_columns: set[str] = set()
    for column in COLUMNS:
        raw = cells.get(column.key)
        text = _text(raw)
        problem = text_problem(text, multiline=column.key in MULTILINE_KEYS)
        if problem:
            bad_columns.add(column.key)
            reasons.append(f"{column.header}{problem}")
            continue
        try:
            if column.key == "external_id":
                values["external_id"] = _external_id(raw)
            elif column.key == "received_at":
                values["received_at"] = received_at_parse(raw) if text or isinstance(raw, datetime) else None
            elif not text:
                continue
            elif column.key == "territory":
                values["territory_id"] = territories.get(text).pk
            elif column.key == "project_code":
                values["project_id"] = projects.get(text).pk
            elif column.key == "industry":
                values["industry"] = _choice(text, Industry.choices, column.header)
            elif column.key == "legal_aid_requested":
                values["legal_aid_requested"] = _boolean(text, column.header)
            elif column.key in ("period_start", "period_end") and isinstance(raw, datetime):
                values[column.key] = raw.date()
            else:
                values[column.key] = text
        except ValidationError as exc:
            bad_columns.add(column.key)
            reasons.extend(m if m.startswith(column.header) or column.header in m[:12] else f"{headers[column.key]}:{m}" for m in exc.messages)
    external_id = values.pop("external_id", "")
    received_at = values.pop("received_at", None)
    if not external_id and not any(r.startswith("渠道编号") for r in reasons):
        reasons.insert(0, "渠道编号必填:批量导入的线索须有渠道自己的编号(工单号),以免重复登记")
    if received_at is None and not any(r.startswith("收到时间") for r in reasons):
        reasons.append("收到时间必填")
    data = ComplaintInput(
        complainant_name=values.pop("complainant_name", ""),
        complainant_phone=values.pop("complainant_phone", ""),
        employer_name=values.pop("employer_name", ""),
        **values,
    )
    return _Parsed(number, external_id, received_at, data, reasons, bad_columns)


def _more_reasons(p: _Parsed) -> None:
    """A row already rejected: add what the service would also say, so that the office fixes
    the whole row in one go (columns that already have a reason are not repeated)."""
    try:
        complaint_clean(p.data)
    except ValidationError as exc:
        found = {_SERVICE_FIELDS.get(k, k): v for k, v in exc.error_dict.items()} if hasattr(exc, "error_dict") else {}
        extra = {k: v for k, v in found.items() if k not in p.bad_columns}
        if extra:
            p.reasons.extend(_service_reasons(ValidationError(extra)))


def _service_reasons(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        exc = ValidationError({_SERVICE_FIELDS.get(k, k): v for k, v in exc.error_dict.items()})
    return _reasons(exc, COLUMNS)


# ---------------------------------------------------------------- running an import


def complaints_import(*, actor, channel: str, data: bytes, filename: str, dispatch: bool = True) -> BatchReport:
    """Import one file of clues of `channel` as `actor` (who may see the territories named).
    All or nothing: a rejected row leaves the whole run unregistered; see the module docstring."""
    report = BatchReport(channel=channel, filename=(filename or "")[-255:], sha256=hashlib.sha256(data).hexdigest(), dispatch=dispatch)
    if channel not in EXTERNAL_CHANNELS:
        report.file_errors.append("批量导入只适用于12345热线、110警情、信访和全国根治欠薪线索反映平台的线索")
        import_batch_record(actor=actor, report=report)
        return report
    rows = _rows(report, data)
    if rows:
        territories = _Territories(actor)
        projects = _Projects({_text(cells.get("project_code")) for _, cells in rows} - {""})
        parsed = [_parse(number, cells, territories=territories, projects=projects) for number, cells in rows]
        ids = [p.external_id for p in parsed if p.external_id]
        known = set(Complaint.objects.filter(channel=channel, external_id__in=ids).values_list("external_id", flat=True))
        try:
            with transaction.atomic():
                _register_rows(report, parsed, known, actor=actor, channel=channel, dispatch=dispatch)
                if report.rejected:
                    raise _Undo
        except _Undo:
            report.undone = len(report.registered)
            report.registered = []
    import_batch_record(actor=actor, report=report)
    return report


class _Undo(Exception):
    """A row was rejected: undo the rows registered before it."""


def _register_rows(report: BatchReport, parsed: list, known: set, *, actor, channel: str, dispatch: bool) -> None:
    first_row: dict[str, int] = {}
    attempts = 0
    for p in parsed:
        if p.external_id in known:
            # Registered before (an earlier import of this file, the API): left as it is,
            # whatever the row says now.
            report.unchanged.append((p.row, p.external_id))
            continue
        if p.external_id:
            if p.external_id in first_row:
                p.reasons.insert(0, f"渠道编号“{p.external_id}”与第{first_row[p.external_id]}行重复")
            first_row.setdefault(p.external_id, p.row)
        if p.reasons:
            _more_reasons(p)
            report.rejected.append(RowProblem(p.row, p.external_id, p.reasons))
            continue
        if attempts >= MAX_NEW_ROWS:
            report.deferred.append((p.row, p.external_id))
            continue
        attempts += 1
        _register_row(report, p, actor=actor, channel=channel, dispatch=dispatch)


def _register_row(report: BatchReport, p: _Parsed, *, actor, channel: str, dispatch: bool) -> None:
    try:
        with transaction.atomic():
            result = complaint_register(
                actor=actor, channel=channel, data=p.data, received_at=p.received_at, external_id=p.external_id, dispatch=dispatch
            )
            if not result.complaint_created:  # registered meanwhile (another import, the API)
                report.unchanged.append((p.row, p.external_id))
                return
            case, note = result.case, result.dispatch_note
    except ValidationError as exc:
        report.rejected.append(RowProblem(p.row, p.external_id, _service_reasons(exc)))
        return
    except DataError:
        # What the database cannot store (a NUL in a text on PostgreSQL, a number past its column).
        report.rejected.append(RowProblem(p.row, p.external_id, ["该行含有无法保存的内容(如空字符或过大的数字),请检查后重新导入"]))
        return
    except IntegrityError:
        # The same clue registered at this very moment by someone else (unique channel id).
        if Complaint.objects.filter(channel=channel, external_id=p.external_id).exists():
            report.unchanged.append((p.row, p.external_id))
            return
        raise
    report.registered.append(
        RowResult(p.row, p.external_id, result.complaint.number, case.number, case.pk, result.complaint.relation, note)
    )


def import_batch_record(*, actor, report: BatchReport) -> ImportBatch:
    """Keep the run and its report (also a run that registered nothing): who imported which file
    when, and what became of every row."""
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            channel=report.channel if report.channel in Channel.values else "",
            file_name=report.filename,
            file_sha256=report.sha256,
            row_count=report.total_rows,
            created_count=report.created_count,
            linked_count=report.linked_count,
            unchanged_count=report.unchanged_count,
            rejected_count=report.rejected_count,
            imported_by=actor if getattr(actor, "pk", None) else None,
        )
        report.batch_id = batch.pk
        batch.report = report.to_dict()
        batch.save(update_fields=["report"])
        numbers = [r.complaint_number for r in report.registered]
        if numbers:
            Complaint.objects.filter(number__in=numbers, batch__isnull=True).update(batch=batch)
        event_append(
            actor=actor,
            action="import_batch.recorded",
            obj=batch,
            payload={
                "channel": report.channel,
                "filename": report.filename,
                "sha256": report.sha256,
                "rows": report.total_rows,
                "created": report.created_count,
                "linked": report.linked_count,
                "unchanged": report.unchanged_count,
                "rejected": report.rejected_count,
                "file_errors": len(report.file_errors),
            },
        )
        return batch


# ---------------------------------------------------------------- template


def template_workbook() -> bytes:
    """The import template: header row (required columns in red), one example row, and a sheet
    explaining each column."""
    from openpyxl.styles import Font

    from wagewatch.core.export import new_workbook, workbook_bytes

    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = "投诉线索导入"
    sheet.append([c.header for c in COLUMNS])
    sheet.append([c.example for c in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        header = sheet.cell(row=1, column=index)
        header.font = Font(bold=True, color="C0392B" if column.required else "000000")
        sheet.column_dimensions[header.column_letter].width = max(14, len(column.header) * 2 + 4)
        if column.text:
            for row in range(2, 1002):  # text format keeps long ids and phone numbers intact
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("填写说明")
    notes.append(["列标题", "是否必填", "说明"])
    for column in COLUMNS:
        notes.append([column.header, "必填" if column.required else "选填", column.help])
    notes.append([])
    notes.append(["说明", "", "第1行为列标题(红色为必填),第2行为示例,导入前请删除或替换示例行。一个文件只放一个渠道的线索,导入时选择渠道。"])
    notes.append(["", "", "也可另存为CSV(UTF-8或GBK编码均可)导入。正确的行直接登记;有误的行退回,结果页列出行号和原因。"])
    notes.append(["", "", "改正后可重新导入整个文件:已登记过的线索(按渠道编号识别)不会重复登记,只登记此前退回的行。"])
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["C"].width = 90
    return workbook_bytes(workbook)
