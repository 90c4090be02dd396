"""What each printed document says: plain values, so the cases and intake apps fill them without
this package importing any model.

Conventions for every field below: text is shown as given (long text wraps); an empty string or None
for an optional value prints as "—" (not applicable / not given) or "未知" (a fact nobody knows yet, such
as the amount owed). Datetimes must be timezone-aware (they print in Asia/Shanghai); amounts are
`Decimal` yuan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class CommitmentLetter:
    """承诺函: the written promise given to the complainant on the day the complaint is received.

    Fields:
        case_number: the case number the complainant tracks the case by, e.g. "QX-2026-000123".
        complainant_name: who complained (a person's name, or the representative of a group).
        received_at: when the complaint was received (aware datetime).
        employer_name: the employer or project party complained about; "" prints "未知".
        amount_owed: wages owed in yuan, as reported; None prints "未知".
        worker_count: how many workers are owed; None prints "未知".
        time_limit_text: the promised handling time, inserted in "我单位承诺自受理之日起{…}内办结",
            e.g. "7个工作日".
        track_url: the worker page where the case is followed by case number + phone (also printed as a QR code).
        office_name: the office that issues the letter (signature and seal), e.g. "某某区根治欠薪工作领导小组办公室".
        office_phone: the office's contact phone.
        issued_at: the date of the letter (a date, or an aware datetime).
        due_at: the promised completion deadline, printed after the promise; None leaves it out.
        due_provisional: True when `due_at` was computed before the year's official calendar was
            published; the date is then marked "(暂定:日历未发布)".
        project_name: the construction project, if any.
        site_address: where the work was done, if known.
        hotline: the public hotline printed for questions.
        handler_name: the clerk who received the complaint (经办人), if it should be printed.
    """

    case_number: str
    complainant_name: str
    received_at: datetime
    employer_name: str
    amount_owed: Decimal | None
    worker_count: int | None
    time_limit_text: str
    track_url: str
    office_name: str
    office_phone: str
    issued_at: date | datetime
    due_at: datetime | date | None = None
    due_provisional: bool = False
    project_name: str = ""
    site_address: str = ""
    hotline: str = "12345"
    handler_name: str = ""


@dataclass(frozen=True)
class DispatchOrderDoc:
    """转办单: the formal order handing a case to a responsible unit, with the "五个有"
    (有责任单位、有责任领导、有具体责任人、有具体措施、有完成时限).

    Fields:
        order_number: the dispatch order's own number.
        case_number: the case it belongs to.
        issued_at: when the order was issued (aware datetime).
        dispatching_office: the office that dispatches (转办单位), signs and seals the order.
        responsible_unit: 责任单位, e.g. "某某街道办事处" or "区住房和城乡建设局".
        responsible_leader: 责任领导 (name, and post if wanted, e.g. "王某某(副主任)").
        responsible_person: 具体责任人 (name, and phone if wanted).
        measures: 具体措施, free text (wraps).
        due_at: 完成时限 (aware datetime or date); None prints "—".
        due_provisional: True when the deadline was computed before the year's official calendar
            was published: printed "(暂定:日历未发布)".
        time_limit_text: the rule behind the deadline, e.g. "7个工作日", printed beside it; "" leaves it out.
        received_at: when the complaint was received.
        channel: how it came in, as shown to people, e.g. "12345热线".
        complainant_name: the complainant (already masked by the caller if it must be).
        complainant_phone: the complainant's phone, which the unit must call on the day; the
            caller decides whether the reader may see it in full or masked; "" prints "—".
        employer_name: the employer complained about; "" prints "未知".
        employer_credit_code: unified social credit code, if known.
        project_name: the construction project, if any.
        site_address: the site or workplace address, if known.
        amount_owed: wages owed in yuan; None prints "未知".
        worker_count: workers owed; None prints "未知".
        description: what the complainant says (long text wraps, across pages if need be).
        assisting_units: 协办单位 (e.g. the territorial street when the housing bureau leads); any number.
        copy_to: 抄送 (the industry authority, "三交办"); any number.
        general_contractor: the general contractor whose headquarters is told, if any.
        general_contractor_notified: whether that headquarters has been notified (告知总包单位总部).
        is_major: a major case (重大案件: on the key monitoring list, listed supervision).
        issuer_name: 签发人 printed on the signature line, if known.
        office_phone: the dispatching office's phone for questions about the order.
    """

    order_number: str
    case_number: str
    issued_at: datetime
    dispatching_office: str
    responsible_unit: str
    responsible_leader: str
    responsible_person: str
    measures: str
    due_at: datetime | date | None
    due_provisional: bool = False
    time_limit_text: str = ""
    received_at: datetime | None = None
    channel: str = ""
    complainant_name: str = ""
    complainant_phone: str = ""
    employer_name: str = ""
    employer_credit_code: str = ""
    project_name: str = ""
    site_address: str = ""
    amount_owed: Decimal | None = None
    worker_count: int | None = None
    description: str = ""
    assisting_units: list[str] = field(default_factory=list)
    copy_to: list[str] = field(default_factory=list)
    general_contractor: str = ""
    general_contractor_notified: bool = False
    is_major: bool = False
    issuer_name: str = ""
    office_phone: str = ""


@dataclass(frozen=True)
class QrPoster:
    """A printable A4 poster with the QR code that opens the worker's complaint form.

    Fields:
        url: what the QR code opens (the complaint form, for this project or the general one).
        office_name: who posts it, printed at the foot, e.g. "某某区根治欠薪工作领导小组办公室".
        project_name: the construction project the poster is for; "" makes the general poster
            (for every employer and site in the district).
        site_address: the project's site address, printed under its name.
        project_code: the project's number in the register, printed small for the site office.
        hotlines: phone numbers printed as "投诉热线"; 12345 by default.
        office_phone: the office's own phone, printed at the foot if given.
    """

    url: str
    office_name: str
    project_name: str = ""
    site_address: str = ""
    project_code: str = ""
    hotlines: list[str] = field(default_factory=lambda: ["12345"])
    office_phone: str = ""
