"""The columns of each kind of payroll data: the Chinese header a clerk's Excel has, the English
key of the national construction-worker data standard (what the API takes), aliases, and help.

Headers are matched after NFKC normalisation, ignoring case, spaces, a leading "*" and a
parenthesised hint, so "金额(元)", "金额(元)" and "*金额" all find 金额. Unknown columns (序号,
备注…) are ignored. docs/payroll-formats.md documents the same tables.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from wagewatch.core.protected import BANK_CARD, ID_NUMBER, PHONE

from ..models import ImportJob

Kind = ImportJob.Kind


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    help: str = ""
    aliases: tuple[str, ...] = ()
    example: str = ""
    personal: str = ""  # kind of protected data: the value is masked in reports

    @property
    def label(self) -> str:
        return self.header


ID = Column("id_number", "身份证号", True, "18位居民身份证号码,按此找到本项目花名册上的工人", ("证件号码", "身份证号码", "公民身份号码", "idcard", "id_card"), "110105199001011234", ID_NUMBER)
NAME = Column("name", "姓名", False, "核对用,不改变花名册", ("工人姓名", "worker_name"), "张三")
MONTH = Column("month", "月份", True, "如 2026-11 或 2026年11月", ("工资所属月份", "所属月份", "核算月份", "工资月份"), "2026-11")

COLUMNS: dict[str, tuple[Column, ...]] = {
    Kind.TEAMS: (
        Column("name", "班组名称", True, "本项目内不重复", ("班组", "team_name"), "钢筋班"),
        Column("enterprise", "所属企业", False, "统一社会信用代码或企业全称(须已在平台登记)", ("所属企业统一社会信用代码", "用工企业", "分包企业", "corp_code", "enterprise_credit_code"), "东城建工集团有限公司"),
        Column("leader_name", "班组长", False, "", ("班组长姓名", "team_leader"), "李四"),
        Column("leader_id_number", "班组长身份证号", False, "18位", ("team_leader_id_number",), "", ID_NUMBER),
        Column("leader_phone", "班组长手机号", False, "11位手机号", ("班组长电话", "team_leader_phone"), "13900001111", PHONE),
    ),
    Kind.WORKERS: (
        ID,
        Column("name", "姓名", True, "", ("工人姓名", "worker_name"), "张三"),
        Column("phone", "手机号", False, "11位手机号", ("联系电话", "手机号码", "cellphone"), "13900001111", PHONE),
        Column("bank_card", "工资卡号", False, "本人名下的银行卡号,12至19位数字", ("银行卡号", "工资卡号码", "payroll_bank_card_number", "bank_card_number"), "6222020200112233445", BANK_CARD),
        Column("bank_name", "开户银行", False, "", ("工资卡开户行", "payroll_bank_name"), "中国工商银行"),
        Column("trade", "工种", False, "", ("工种名称", "work_type"), "钢筋工"),
        Column("team", "班组", False, "本项目已登记的班组名称(先导入班组)", ("班组名称", "team_name"), "钢筋班"),
        Column("entry_date", "进场日期", True, "如 2026-03-01", ("进场时间", "entry_time"), "2026-03-01"),
        Column("exit_date", "退场日期", False, "不早于进场日期;留空为仍在场", ("退场时间", "exit_time")),
        Column("contract_signed_on", "劳动合同签订日期", False, "留空为未签订", ("合同签订日期", "contract_date")),
        Column("wage_basis", "计薪方式", False, "按日计薪、按月计薪或计件(daily、monthly、piece);留空为按日", ("计薪类型", "wage_type"), "按日计薪"),
        Column("agreed_rate", "工资标准", True, "元/日、元/月或元/计量单位", ("约定工资标准", "日工资", "单价", "unit_price", "rate"), "350"),
        Column("settled_on", "退场结算日期", False, "", ("结算日期",)),
        Column("settlement_confirmed_on", "工人确认结算日期", False, "", ("确认结算日期",)),
    ),
    Kind.ATTENDANCE: (
        ID,
        NAME,
        Column("time", "考勤时间", True, "日期和时刻(北京时间),如 2026-11-03 07:58:12;带时区的ISO时间亦可", ("打卡时间", "刷卡时间", "date", "check_time", "at"), "2026-11-03 07:58:12"),
        Column("direction", "方向", True, "进 或 出(也可填 1/2、in/out)", ("进出方向", "方向(进/出)", "进出"), "进"),
        Column("terminal", "设备编号", False, "考勤机或闸机编号,不超过64个字符", ("考勤设备", "设备", "device_id", "device"), "GATE-01"),
        Column("location", "位置", False, "不超过128个字符", ("考勤位置", "地点", "address"), "1号门"),
        Column("face_score", "人脸比对分", False, "0至100的整数", ("比对分", "score"), "96"),
    ),
    Kind.QUANTITIES: (
        ID,
        NAME,
        MONTH,
        Column("quantity", "数量", True, "本月完成的工程量", ("工程量", "完成量"), "120.5"),
        Column("unit", "计量单位", False, "", ("单位",), "平方米"),
    ),
    Kind.PAYROLL: (
        ID,
        NAME,
        MONTH,
        Column("days", "出勤天数", False, "最多一位小数", ("出勤天", "work_days"), "22"),
        Column("hours", "工时", False, "最多一位小数", ("工作时长", "work_hours"), "176"),
        Column("amount_due", "应发金额", True, "单位:元", ("应发工资", "应发", "total_pay_amount"), "7700"),
        Column("amount_paid", "实发金额", True, "单位:元", ("实发工资", "实发", "actual_amount"), "7700"),
        Column("back_pay", "补发", False, "是 或 否;留空为否", ("是否补发", "is_back_pay"), "否"),
    ),
    Kind.DISBURSEMENTS: (
        Column("reference", "银行流水号", True, "银行交易流水号,本项目内唯一;重复推送按此识别", ("流水号", "交易流水号", "bank_serial", "serial_number"), "B202612100001"),
        Column("paid_at", "付款时间", True, "日期和时刻(北京时间),如 2026-12-10 10:00:00", ("交易时间", "代发时间", "pay_time"), "2026-12-10 10:00:00"),
        Column("payee_name", "收款人", True, "", ("收款人姓名", "户名", "payee"), "张三"),
        Column("payee_account", "收款账号", True, "12至19位数字", ("收款卡号", "收款人账号", "account"), "6222020200112233445", BANK_CARD),
        Column("amount", "金额", True, "单位:元,大于0", ("交易金额", "代发金额"), "7700"),
        Column("month", "工资所属月份", False, "如 2026-11;留空按付款时间的上月", ("月份", "所属月份"), "2026-11"),
    ),
    Kind.INSTALMENTS: (
        Column("reference", "流水号", True, "本项目内唯一;重复推送按此识别", ("银行流水号", "交易流水号", "serial_number"), "R202611050001"),
        Column("paid_on", "拨付日期", True, "如 2026-11-05", ("到账日期", "拨付时间"), "2026-11-05"),
        Column("amount", "金额", True, "单位:元,大于0", ("拨付金额",), "300000"),
        Column("payer", "拨付单位", False, "", ("付款单位",), "西城置业有限公司"),
    ),
}


def header_key(text) -> str:
    text = unicodedata.normalize("NFKC", "" if text is None else str(text)).strip().lower()
    text = text.lstrip("*").replace(" ", "").replace("\u3000", "")
    return text


def _without_hint(text: str) -> str:
    return re.sub(r"\(.*?\)", "", text)


def header_lookup(kind: str) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in COLUMNS[kind]:
        for name in (column.key, column.header, *column.aliases):
            lookup.setdefault(header_key(name), column.key)
    return lookup


def map_headers(kind: str, headers: list) -> tuple[dict[int, str], list[str]]:
    """Position -> column key for the headers found; and file-level problems (missing required
    columns, a column given twice)."""
    lookup = header_lookup(kind)
    found: dict[int, str] = {}
    seen: dict[str, int] = {}
    problems: list[str] = []
    by_key = {c.key: c for c in COLUMNS[kind]}
    for index, cell in enumerate(headers):
        key = header_key(cell)
        target = lookup.get(key) or lookup.get(_without_hint(key))
        if not target:
            continue
        if target in seen:
            problems.append(f"“{by_key[target].header}”列出现了两次(第{seen[target] + 1}列和第{index + 1}列):请删去一列")
            continue
        seen[target] = index
        found[index] = target
    missing = [c for c in COLUMNS[kind] if c.required and c.key not in seen]
    if missing:
        problems.append("缺少必填列:" + "、".join(f"“{c.header}”({c.key})" for c in missing) + ";第1行应为列标题")
    return found, problems


def column(kind: str, key: str) -> Column:
    for c in COLUMNS[kind]:
        if c.key == key:
            return c
    raise KeyError(key)
