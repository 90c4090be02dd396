"""Import of enterprises and projects from .xlsx or .csv (UTF-8 with or without BOM, or GBK).

All or nothing: every row is checked, and if any row is rejected nothing is saved and the report
lists every rejected row with its number and reasons. Re-importing the same file changes nothing:
enterprises are matched by credit code, else by normalised name + territory; projects by code;
rows equal to what is on file count as "unchanged" and write no event. Blank cells leave the
value on file as it is. The column template is documented in wagewatch/registry/IMPORT.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from wagewatch.core.models import Industry, Organisation, Territory
from wagewatch.core.protected import ID_NUMBER, PHONE, normalise
from wagewatch.core.redact import redact_data, redact_text
from wagewatch.core.text import MULTILINE_KEYS, text_problem
from wagewatch.history.services import event_append

from . import services
from .models import Enterprise, Project
from .rules import clean_credit_code, normalise_name
from .selectors import enterprise_list, project_list, territories_in_scope

MAX_ROWS = 50_000


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    help: str = ""
    aliases: tuple[str, ...] = ()
    text: bool = False  # formatted as text in the template (long digit strings)
    example: str = ""


def _choices_text(choices) -> str:
    return "、".join(label for _, label in choices)


ENTERPRISE_COLUMNS = (
    Column("name", "企业名称", True, "营业执照上的全称", example="示范区宏达建筑劳务有限公司"),
    Column("credit_code", "统一社会信用代码", False, "18位;暂不知道可留空(将标记为缺少信用代码)", ("信用代码",), True, "91110105MA01ABCD26"),
    Column("legal_representative", "法定代表人", example="张三"),
    Column("legal_representative_id_number", "法定代表人身份证号", False, "18位身份证号", ("法人身份证号",), True),
    Column("contact_phone", "联系电话", False, "手机号或带区号的固定电话", ("电话",), True, "13800000000"),
    Column("address", "地址", False, "", ("企业地址", "注册地址"), example="东城街道东花路1号"),
    Column("territory", "所属辖区", True, "辖区编码或名称(名称重复时请填编码)", ("辖区", "辖区编码"), True, "110105001"),
    Column("industry", "行业", False, _choices_text(Industry.choices) + ";留空为“其他”", example="房屋建筑"),
    Column("size", "规模", False, _choices_text(Enterprise.Size.choices), ("企业规模",), example="小型"),
    Column("employee_count", "职工人数", False, "整数", ("从业人数",), example="35"),
)

PROJECT_COLUMNS = (
    Column("name", "项目名称", True, example="西城花园三期"),
    Column("code", "项目编号", True, "全区唯一,重复导入时按编号匹配", text=True, example="P-2026-001"),
    Column("territory", "所属辖区", True, "辖区编码或名称(名称重复时请填编码)", ("辖区", "辖区编码"), True, "110105002"),
    Column("owner", "建设单位", False, "已登记企业的统一社会信用代码或名称", text=True),
    Column("owner_organisation", "国有建设单位(平台单位)", False, "平台上的国有建设单位名称或简称", ("国有建设单位",)),
    Column("general_contractor", "施工总承包单位", False, "已登记企业的统一社会信用代码或名称", ("总承包单位", "总包单位"), True),
    Column("investment_type", "投资类型", False, _choices_text(Project.InvestmentType.choices) + ";留空为“社会投资”", example="社会投资"),
    Column("contract_value", "合同价款(元)", True, "单位:元,不小于0", ("合同价款", "合同金额(元)", "合同金额"), example="5200000"),
    Column("planned_start", "计划开工日期", False, "如 2026-03-01", ("开工日期",), example="2026-03-01"),
    Column("planned_end", "计划竣工日期", False, "不早于开工日期", ("竣工日期",), example="2027-06-30"),
    Column("industry", "行业", False, _choices_text(Industry.choices) + ";留空为“房屋建筑”", example="房屋建筑"),
    Column("industry_authority", "行业主管部门", False, "平台上的单位名称或简称", ("主管部门",), example="示范区住房和城乡建设局"),
    Column("site_address", "项目地址", False, "", ("地址",)),
    Column("status", "状态", False, _choices_text(Project.Status.choices) + ";留空为“在建”", ("项目状态",), example="在建"),
)

KINDS = {"enterprises": ("企业", ENTERPRISE_COLUMNS), "projects": ("建设项目", PROJECT_COLUMNS)}


# ---------------------------------------------------------------- report


@dataclass
class RowProblem:
    row: int
    reasons: list[str]

    def __post_init__(self):
        # Reasons quote cells ("…“110101…”不存在"): no clear personal number in any report.
        self.reasons = [redact_text(r) for r in self.reasons]


@dataclass
class ImportReport:
    kind: str
    filename: str
    sha256: str
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.file_errors

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind][0]

    def reject(self, row: int, reasons: list[str]) -> None:
        self.rejected.append(RowProblem(row, reasons))

    def to_dict(self) -> dict:
        return redact_data({
            "kind": self.kind,
            "filename": self.filename,
            "sha256": self.sha256,
            "saved": self.ok,
            "total_rows": self.total_rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "file_errors": list(self.file_errors),
            "rejected": [{"row": p.row, "reasons": list(p.reasons)} for p in self.rejected],
        })


# ---------------------------------------------------------------- reading files


class FileProblem(Exception):
    pass


def _header_key(text) -> str:
    text = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"[\s*]", "", text)


def read_table(data: bytes, filename: str) -> list[list]:
    """All rows of the first sheet (or the CSV) as lists of cell values, header first."""
    name = (filename or "").lower()
    if data[:4] == b"PK\x03\x04" or name.endswith(".xlsx"):
        return _read_xlsx(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or name.endswith(".xls"):
        raise FileProblem("不支持旧版 .xls 文件:请在Excel中“另存为”.xlsx 或 CSV 后再导入")
    return _read_csv(data)


def _read_xlsx(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise FileProblem("无法读取该Excel文件:请确认是 .xlsx 格式且未损坏") from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                raise FileProblem(f"文件超过{MAX_ROWS}行,请拆分后分批导入")
        return rows
    finally:
        workbook.close()


def _read_csv(data: bytes) -> list[list]:
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="strict")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                # GB18030 is a superset of GBK/GB2312, which Chinese office software exports.
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise FileProblem("无法识别文件编码:请保存为 UTF-8 或 GBK 编码的 CSV") from None
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if len(rows) > MAX_ROWS + 1:
        raise FileProblem(f"文件超过{MAX_ROWS}行,请拆分后分批导入")
    return rows


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    return unicodedata.normalize("NFKC", str(value)).strip() if not isinstance(value, date) else value.isoformat()


def _map_headers(header_row: list, columns: tuple[Column, ...]) -> tuple[dict[str, int], list[str]]:
    lookup = {}
    for column in columns:
        for name in (column.header, *column.aliases):
            lookup[_header_key(name)] = column.key
    positions: dict[str, int] = {}
    for index, cell in enumerate(header_row):
        key = lookup.get(_header_key(cell))
        if key and key not in positions:
            positions[key] = index
    problems = [f"缺少必填列“{c.header}”" for c in columns if c.required and c.key not in positions]
    return positions, problems


# ---------------------------------------------------------------- cell parsing


def _choice(value: str, choices, label: str) -> str:
    for stored, shown in choices:
        if value in (shown, stored):
            return stored
    raise ValidationError(f"{label}“{value}”不在可选范围内:可填 {_choices_text(choices)}")


def _decimal(value, label: str) -> Decimal:
    text = _text(value).replace(",", "").replace("元", "")
    try:
        result = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{label}“{text}”不是数字") from None
    if not result.is_finite():
        raise ValidationError(f"{label}“{text}”不是数字")
    return result


def _integer(value, label: str) -> int:
    text = _text(value).replace(",", "")
    if not re.fullmatch(r"\d+", text):
        raise ValidationError(f"{label}“{text}”应为不小于0的整数")
    return int(text)


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _date(value, label: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    match = _DATE.fullmatch(text) or (re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text))
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise ValidationError(f"{label}“{text}”不是有效日期:请填写如 2026-03-01")


class _Territories:
    """Territory by code or name, limited to the user's subtree."""

    def __init__(self, user):
        self.in_scope = list(territories_in_scope(user))
        self.by_code = {t.code: t for t in self.in_scope}
        self.by_name: dict[str, list[Territory]] = {}
        for t in self.in_scope:
            self.by_name.setdefault(t.name, []).append(t)

    def get(self, text: str) -> Territory:
        if text in self.by_code:
            return self.by_code[text]
        named = self.by_name.get(text, [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise ValidationError(f"所属辖区名称“{text}”对应多个辖区,请改填辖区编码")
        if Territory.objects.filter(Q(code=text) | Q(name=text)).exists():
            raise ValidationError(f"所属辖区“{text}”不在您的管辖范围内")
        raise ValidationError(f"所属辖区“{text}”不存在:请填写辖区编码或名称")


class _Organisations:
    def __init__(self):
        self.by_name: dict[str, list[Organisation]] = {}
        for org in Organisation.objects.filter(is_active=True):
            for name in {org.name, org.short_name} - {""}:
                self.by_name.setdefault(name, []).append(org)

    def get(self, text: str, label: str) -> Organisation:
        found = self.by_name.get(text, [])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ValidationError(f"{label}“{text}”对应多个单位,请填写单位全称")
        raise ValidationError(f"{label}“{text}”不是平台上的单位:请填写单位全称")


class _EnterpriseRefs:
    """Enterprises named by credit code or name, among those the user may see. Loaded in one query."""

    def __init__(self, user, texts: set[str]):
        codes, names, keys = set(), set(), set()
        for text in texts:
            try:
                code = clean_credit_code(text)
            except ValidationError:
                code = None
            if code:
                codes.add(code)
            else:
                names.add(text)
                keys.add(normalise_name(text))
        self.found = list(
            enterprise_list(user=user).filter(Q(credit_code__in=codes) | Q(name__in=names) | Q(name_normalised__in=keys))
        ) if texts else []

    def get(self, text: str, label: str) -> Enterprise:
        try:
            code = clean_credit_code(text)
        except ValidationError:
            code = None
        if code:
            matches = [e for e in self.found if e.credit_code == code]
            if not matches:
                raise ValidationError(f"{label}:统一社会信用代码为{code}的企业尚未登记,请先导入企业")
            return matches[0]
        exact = [e for e in self.found if e.name == text]
        matches = exact or [e for e in self.found if e.name_normalised == normalise_name(text)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ValidationError(f"{label}“{text}”匹配到多家企业,请改填统一社会信用代码")
        raise ValidationError(f"{label}“{text}”尚未登记,请先导入企业或填写统一社会信用代码")


# ---------------------------------------------------------------- running an import


def _reasons(exc: ValidationError, columns: tuple[Column, ...]) -> list[str]:
    labels = {c.key: c.header for c in columns}
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    out = []
    for key, messages in exc.message_dict.items():
        label = labels.get(key, "")
        for message in messages:
            out.append(message if not label or message.startswith(label) or label in message[:12] else f"{label}:{message}")
    return out


def _rows(report: ImportReport, data: bytes, columns) -> list[tuple[int, dict]] | None:
    """(row number, {key: raw cell}) of every non-blank data row, or None after a file error."""
    try:
        table = read_table(data, report.filename)
    except FileProblem as exc:
        report.file_errors.append(str(exc))
        return None
    except UnicodeDecodeError:
        report.file_errors.append("文件以UTF-8 BOM开头但内容不是UTF-8编码,请重新保存")
        return None
    header_index = next((i for i, row in enumerate(table) if any(_text(c) for c in row)), None)
    if header_index is None:
        report.file_errors.append("文件是空的:第1行应为列标题,从第2行起每行一条记录")
        return None
    positions, problems = _map_headers(table[header_index], columns)
    if problems:
        report.file_errors.extend(problems + ["请下载导入模板,核对第1行列标题"])
        return None
    rows = []
    for number, row in enumerate(table[header_index + 1 :], start=header_index + 2):
        cells = {key: row[index] if index < len(row) else None for key, index in positions.items()}
        if any(_text(v) for v in cells.values()):
            rows.append((number, cells))
    report.total_rows = len(rows)
    if not rows:
        report.file_errors.append("文件中没有数据行")
        return None
    return rows


def _finish(report: ImportReport, *, actor, action: str) -> None:
    if report.ok:
        event_append(
            actor=actor,
            action=action,
            obj=("registry.import", report.sha256),
            payload={
                "filename": report.filename,
                "sha256": report.sha256,
                "rows": report.total_rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            },
        )
    else:
        transaction.set_rollback(True)


def _record_rejection(report: ImportReport, *, actor, action: str) -> None:
    """A rejected run saves no data, but the attempt is still on record."""
    with transaction.atomic():
        event_append(
            actor=actor,
            action=action,
            obj=("registry.import", report.sha256),
            payload={
                "filename": report.filename,
                "sha256": report.sha256,
                "rows": report.total_rows,
                "rejected_rows": len(report.rejected),
                "file_errors": len(report.file_errors),
            },
        )


def _new_report(kind: str, data: bytes, filename: str) -> ImportReport:
    return ImportReport(kind=kind, filename=filename or "", sha256=hashlib.sha256(data).hexdigest())


def enterprises_import(*, actor, data: bytes, filename: str) -> ImportReport:
    """Import enterprises as `actor` (who must see the territories and matched enterprises)."""
    report = _new_report("enterprises", data, filename)
    columns = ENTERPRISE_COLUMNS
    rows = _rows(report, data, columns)
    if rows is not None:
        with transaction.atomic():
            _enterprise_rows(report, rows, actor=actor)
            _finish(report, actor=actor, action="enterprise.imported")
    if not report.ok:
        report.created = report.updated = report.unchanged = 0
        _record_rejection(report, actor=actor, action="enterprise.import_rejected")
    return report


def _parse_row(cells: dict, columns, convert) -> tuple[dict, list[str]]:
    """Values of one row's present cells through `convert(key, text, raw, header)`, and every
    reason to reject it (a required cell empty, a value that does not convert)."""
    values, reasons = {}, []
    for column in columns:
        if column.key not in cells:
            continue
        raw = cells[column.key]
        text = _text(raw)
        if not text:
            if column.required:
                reasons.append(f"{column.header}必填")
            continue
        problem = text_problem(text, multiline=column.key in MULTILINE_KEYS)
        if problem:
            reasons.append(f"{column.header}{problem}")
            continue
        try:
            values[column.key] = convert(column.key, text, raw, column.header)
        except ValidationError as exc:
            reasons.extend(exc.messages)
    return values, reasons


def _enterprise_parse(cells: dict, territories: _Territories) -> tuple[dict, list[str]]:
    def convert(key, text, raw, header):
        if key == "credit_code":
            return clean_credit_code(text)
        if key == "territory":
            return territories.get(text)
        if key == "industry":
            return _choice(text, Industry.choices, header)
        if key == "size":
            return _choice(text, Enterprise.Size.choices, header)
        if key == "employee_count":
            return _integer(raw, header)
        if key == "legal_representative_id_number":
            return normalise(ID_NUMBER, text)
        if key == "contact_phone":
            return normalise(PHONE, text)
        return text

    return _parse_row(cells, ENTERPRISE_COLUMNS, convert)


def _enterprise_rows(report: ImportReport, rows, *, actor) -> None:
    territories = _Territories(actor)
    parsed = []
    for number, cells in rows:
        values, reasons = _enterprise_parse(cells, territories)
        parsed.append((number, values, reasons))
    codes = {v["credit_code"] for _, v, _ in parsed if v.get("credit_code")}
    keys = {normalise_name(v["name"]) for _, v, _ in parsed if v.get("name")}
    existing = list(Enterprise.objects.filter(Q(credit_code__in=codes) | Q(name_normalised__in=keys)))
    visible = set(enterprise_list(user=actor).filter(pk__in=[e.pk for e in existing]).values_list("pk", flat=True))
    by_code = {e.credit_code: e for e in existing if e.credit_code}
    by_key: dict[tuple[str, int], list[Enterprise]] = {}
    for e in existing:
        by_key.setdefault((e.name_normalised, e.territory_id), []).append(e)
    seen_codes: dict[str, int] = {}
    seen_keys: dict[tuple[str, int], int] = {}
    for number, values, reasons in parsed:
        code = values.get("credit_code")
        key = (normalise_name(values["name"]), values["territory"].pk) if "name" in values and "territory" in values else None
        if code:
            if code in seen_codes:
                reasons.append(f"统一社会信用代码与第{seen_codes[code]}行重复")
            seen_codes.setdefault(code, number)
        elif key:
            if key in seen_keys:
                reasons.append(f"与第{seen_keys[key]}行是同一辖区的同名企业(均未填信用代码)")
            seen_keys.setdefault(key, number)
        match = None
        if code and code in by_code:
            match = by_code[code]
        elif key:
            candidates = [e for e in by_key.get(key, []) if not code or not e.credit_code]
            if len(candidates) > 1:
                reasons.append("同一辖区有多家同名企业,请填写统一社会信用代码以便区分")
            match = candidates[0] if len(candidates) == 1 else None
        if match is not None and match.pk not in visible:
            reasons.append("该企业已登记在您的管辖范围以外,不能通过导入修改")
        if reasons:
            report.reject(number, reasons)
            continue
        _apply_row(
            report,
            number,
            match,
            values,
            create=lambda v: services.enterprise_create(actor=actor, **v),
            update=lambda m, c: services.enterprise_update(actor=actor, enterprise=m, **c),
            columns=ENTERPRISE_COLUMNS,
        )


def _apply_row(report: ImportReport, number: int, match, values: dict, *, create, update, columns) -> None:
    """Create the row's record, or update only the fields that differ; an unchanged row writes
    nothing (so a re-import records no events). A row the service refuses is reported."""
    try:
        with transaction.atomic():
            if match is None:
                create(values)
                report.created += 1
                return
            changes = {f: v for f, v in values.items() if services._comparable(f, getattr(match, f)) != services._comparable(f, v)}
            if not changes:
                report.unchanged += 1
                return
            update(match, changes)
            report.updated += 1
    except ValidationError as exc:
        report.reject(number, _reasons(exc, columns))


def projects_import(*, actor, data: bytes, filename: str) -> ImportReport:
    report = _new_report("projects", data, filename)
    rows = _rows(report, data, PROJECT_COLUMNS)
    if rows is not None:
        with transaction.atomic():
            _project_rows(report, rows, actor=actor)
            _finish(report, actor=actor, action="project.imported")
    if not report.ok:
        report.created = report.updated = report.unchanged = 0
        _record_rejection(report, actor=actor, action="project.import_rejected")
    return report


def _project_rows(report: ImportReport, rows, *, actor) -> None:
    territories = _Territories(actor)
    organisations = _Organisations()
    refs = {_text(cells.get(k)) for _, cells in rows for k in ("owner", "general_contractor")} - {""}
    enterprises = _EnterpriseRefs(actor, refs)
    codes = {_text(cells.get("code")) for _, cells in rows} - {""}
    existing = {p.code: p for p in Project.objects.filter(code__in=codes)}
    visible = set(project_list(user=actor).filter(code__in=codes).values_list("pk", flat=True))
    seen: dict[str, int] = {}

    def convert(key, text, raw, header):
        if key == "territory":
            return territories.get(text)
        if key in ("owner", "general_contractor"):
            return enterprises.get(text, header)
        if key in ("owner_organisation", "industry_authority"):
            return organisations.get(text, header)
        if key == "investment_type":
            return _choice(text, Project.InvestmentType.choices, header)
        if key == "industry":
            return _choice(text, Industry.choices, header)
        if key == "status":
            return _choice(text, Project.Status.choices, header)
        if key == "contract_value":
            return _decimal(raw, header)
        if key in ("planned_start", "planned_end"):
            return _date(raw, header)
        return text

    for number, cells in rows:
        values, reasons = _parse_row(cells, PROJECT_COLUMNS, convert)
        code = values.get("code")
        if code:
            if code in seen:
                reasons.append(f"项目编号与第{seen[code]}行重复")
            seen.setdefault(code, number)
        match = existing.get(code) if code else None
        if match is not None and match.pk not in visible:
            reasons.append(f"项目编号“{code}”已被您管辖范围以外的项目使用")
        if reasons:
            report.reject(number, reasons)
            continue
        _apply_row(
            report,
            number,
            match,
            values,
            create=lambda v: services.project_create(actor=actor, **v),
            update=lambda m, c: services.project_update(actor=actor, project=m, **c),
            columns=PROJECT_COLUMNS,
        )


def run_import(*, kind: str, actor, data: bytes, filename: str) -> ImportReport:
    return {"enterprises": enterprises_import, "projects": projects_import}[kind](actor=actor, data=data, filename=filename)


def template_workbook(kind: str) -> bytes:
    """The import template: the header row, one example row, and a sheet explaining each column."""
    from openpyxl.styles import Font

    from wagewatch.core.export import new_workbook, workbook_bytes

    label, columns = KINDS[kind]
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = f"{label}导入"
    sheet.append([c.header for c in columns])
    sheet.append([c.example for c in columns])
    for index, column in enumerate(columns, start=1):
        header = sheet.cell(row=1, column=index)
        header.font = Font(bold=True, color="C0392B" if column.required else "000000")
        letter = header.column_letter
        sheet.column_dimensions[letter].width = max(14, len(column.header) * 2 + 4)
        if column.text:
            for row in range(2, 1002):  # text format keeps 18-digit codes from turning into 1.2E+17
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("填写说明")
    notes.append(["列标题", "是否必填", "说明"])
    for column in columns:
        notes.append([column.header, "必填" if column.required else "选填", column.help])
    notes.append([])
    notes.append(["说明", "", "第1行为列标题(红色为必填),第2行为示例,导入前请删除或替换示例行。"])
    notes.append(["", "", "也可另存为CSV(UTF-8或GBK编码均可)导入。任何一行有误则整个文件不导入,结果页列出全部问题行。"])
    notes.append(["", "", "重复导入同一文件不会产生变化;空白单元格不会覆盖已登记的值。"])
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["C"].width = 80
    return workbook_bytes(workbook)
