"""The worker's own monthly pay on the phone pages (/w/pay/): SMS code + the last 6 characters of
the ID number, his own months only (never another worker's, also not by guessing URLs), confirm
with history, a dispute becomes exactly one complaint and case, rate limits answer 429."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from stdnum.cn import ric

from wagewatch.cases.models import Case
from wagewatch.core.protected import PHONE, lookup_digest
from wagewatch.history.models import Event
from wagewatch.intake.models import Channel, Complaint
from wagewatch.notify import clock
from wagewatch.notify.models import WorkerMessage
from wagewatch.notify.testing import last_sms_code, memory_sms
from wagewatch.payroll import views_worker
from wagewatch.payroll.models import (
    Attendance,
    BankDisbursement,
    Finding,
    FindingKind,
    PayMonthConfirmation,
    PayrollLine,
    PayrollSheet,
    ProjectWorker,
    Team,
    WageBasis,
    WarningLevel,
    Worker,
)
from wagewatch.payroll.services.confirmations import pay_month, pay_month_answer, pay_months

PHONE_A = "13912340001"  # worker A, and (shared phone) his wife C
PHONE_B = "13912340002"  # worker B on the same project
CARD_A = "6222020200001111"
CARD_B = "6222020200002222"
CARD_FOREMAN = "6222020200009999"


def id_number(serial: int, born: str = "19850301") -> str:
    body = f"110105{born}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def months_back(n: int) -> date:
    today = timezone.localdate()
    year, month = today.year, today.month - n
    while month < 1:
        year, month = year - 1, month + 12
    while month > 12:
        year, month = year + 1, month - 12
    return date(year, month, 1)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


@dataclass
class PayWorld:
    world: object
    month: date  # the month with a shortfall (A), two months ago
    later_month: date  # the month after (A: paid in full)
    a: ProjectWorker
    b: ProjectWorker
    c: ProjectWorker
    ids: dict = field(default_factory=dict)


def punch_days(pw: ProjectWorker, month: date, days: int) -> None:
    rows = []
    for d in range(1, days + 1):
        day = date(month.year, month.month, d)
        rows.append(Attendance(project=pw.project, project_worker=pw, at=local(day, 7, 30), direction=Attendance.Direction.IN, terminal="gate-1"))
        rows.append(Attendance(project=pw.project, project_worker=pw, at=local(day, 17, 30), direction=Attendance.Direction.OUT, terminal="gate-1"))
    Attendance.objects.bulk_create(rows)


def build_pay_world(world) -> PayWorld:
    """Three workers on housing_b: A (daily 300元, 3 days in `month`, payroll 900 due/900 paid, the
    bank paid 600 to his card and 300 to the foreman: a shortfall finding of 300; the next month
    paid in full), B (another phone, his own months), C (A's wife: same phone, another ID)."""
    project = world.projects["housing_b"]
    month, later_month = months_back(2), months_back(1)
    team = Team.objects.create(project=project, name="钢筋班", leader_name="王班长", leader_phone="13900009999")
    ids = {"a": id_number(11), "b": id_number(22), "c": id_number(33, born="19880712")}
    wa = Worker.objects.create(name="张三", id_number=ids["a"])
    wb = Worker.objects.create(name="李四", id_number=ids["b"])
    wc = Worker.objects.create(name="赵六", id_number=ids["c"])
    entry = month - timedelta(days=20)
    a = ProjectWorker.objects.create(
        project=project, worker=wa, team=team, entry_date=entry, contract_signed_on=entry, agreed_rate=Decimal("300"),
        phone=PHONE_A, bank_card=CARD_A, bank_name="农业银行", trade="钢筋工",
    )
    b = ProjectWorker.objects.create(
        project=project, worker=wb, team=team, entry_date=entry, contract_signed_on=entry, agreed_rate=Decimal("350"),
        phone=PHONE_B, bank_card=CARD_B, bank_name="农业银行", trade="木工",
    )
    c = ProjectWorker.objects.create(
        project=project, worker=wc, entry_date=entry, contract_signed_on=entry, wage_basis=WageBasis.MONTHLY, agreed_rate=Decimal("5200"),
        phone=PHONE_A, bank_card="6222020200003333", trade="杂工",
    )
    punch_days(a, month, 3)
    punch_days(a, later_month, 2)
    punch_days(b, month, 5)
    punch_days(c, month, 4)
    sheet = PayrollSheet.objects.create(project=project, month=month)
    sheet2 = PayrollSheet.objects.create(project=project, month=later_month)
    PayrollLine.objects.create(sheet=sheet, project_worker=a, days=3, amount_due=Decimal("900"), amount_paid=Decimal("900"))
    PayrollLine.objects.create(sheet=sheet2, project_worker=a, days=2, amount_due=Decimal("600"), amount_paid=Decimal("600"))
    PayrollLine.objects.create(sheet=sheet, project_worker=b, days=5, amount_due=Decimal("1750"), amount_paid=Decimal("1750"))
    PayrollLine.objects.create(sheet=sheet, project_worker=c, days=4, amount_due=Decimal("5200"), amount_paid=Decimal("5200"))
    pay_day = later_month.replace(day=15)
    BankDisbursement.objects.create(project=project, paid_at=local(pay_day, 10), payee_name="张三", payee_account=CARD_A, amount=Decimal("600"), reference="BK-A-1", month=month)
    BankDisbursement.objects.create(project=project, paid_at=local(pay_day, 10, 1), payee_name="王班长", payee_account=CARD_FOREMAN, amount=Decimal("300"), reference="BK-F-1", month=month)
    BankDisbursement.objects.create(project=project, paid_at=local(pay_day, 10, 2), payee_name="李四", payee_account=CARD_B, amount=Decimal("1750"), reference="BK-B-1", month=month)
    BankDisbursement.objects.create(project=project, paid_at=local(pay_day, 10, 3), payee_name="赵六", payee_account="6222020200003333", amount=Decimal("5200"), reference="BK-C-1", month=month)
    # The next month's pay without a month label: counted for the month before the payment.
    next_pay = (later_month + timedelta(days=32)).replace(day=1)
    BankDisbursement.objects.create(project=project, paid_at=local(next_pay, 0, 30), payee_name="张三", payee_account=CARD_A, amount=Decimal("600"), reference="BK-A-2")
    now = timezone.now()
    Finding.objects.create(
        project=project, enterprise=project.general_contractor, month=month, kind=FindingKind.SHORTFALL, level=WarningLevel.ORANGE,
        subject=f"pw:{a.pk}", project_worker=a, amount=Decimal("300"), first_found_at=now, last_found_at=now,
        evidence={"disbursements": ["BK-A-1"]},
    )
    Finding.objects.create(
        project=project, enterprise=project.general_contractor, month=month, kind=FindingKind.PAID_TO_OTHER, level=WarningLevel.RED,
        subject=f"pw:{b.pk}", project_worker=b, amount=Decimal("999"), first_found_at=now, last_found_at=now,
    )
    return PayWorld(world, month, later_month, a, b, c, ids)


@pytest.fixture
def pay(world):
    return build_pay_world(world)


@pytest.fixture(autouse=True)
def outbox():
    with memory_sms() as messages:
        yield messages


@pytest.fixture(autouse=True)
def later(monkeypatch):
    offset = [timedelta(0)]
    monkeypatch.setattr(clock, "now", lambda: timezone.now() + offset[0])

    def advance(seconds: float):
        offset[0] += timedelta(seconds=seconds)

    return advance


def sign_in(client, capture, *, phone=PHONE_A, id_tail="", pay=None, who="a"):
    """Phone + ID tail → code → the worker's own page (returns the last response)."""
    id_tail = id_tail or pay.ids[who][-6:]
    with capture(execute=True):
        response = client.post(reverse("worker_pay:start"), {"phone": phone, "id_tail": id_tail})
    assert response.status_code == 302 and response.url == reverse("worker_pay:confirm"), response.content.decode()[:1500]
    code = last_sms_code(phone)
    assert code
    return client.post(reverse("worker_pay:confirm"), {"code": code})


def month_url(pw, month):
    return reverse("worker_pay:month", args=[pw.pk, month.year, month.month])


def answer_url(pw, month):
    return reverse("worker_pay:answer", args=[pw.pk, month.year, month.month])


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# ------------------------------------------------------------------------------------ reading


def test_the_month_as_the_worker_sees_it(pay):
    pm = pay_month(pay.a, pay.month)
    assert pm.days_attended == 3
    assert (pm.amount_due, pm.amount_paid) == (Decimal("900"), Decimal("900"))
    assert pm.bank_paid == Decimal("600") and [p.reference for p in pm.bank_payments] == ["BK-A-1"]
    assert pm.bank_payments[0].account_masked.endswith("1111") and CARD_A not in pm.bank_payments[0].account_masked
    assert pm.estimate == Decimal("900.00") and pm.gap == Decimal("300")
    assert [f.kind for f in pm.findings] == [FindingKind.SHORTFALL]
    assert pm.suggested_dispute_amount == Decimal("300.00")
    later_month = pay_month(pay.a, pay.later_month)
    assert later_month.bank_paid == Decimal("600") and later_month.gap == 0  # paid without a month label, the month after
    assert [m.month for m in pay_months(pay.a)] == [pay.later_month, pay.month]
    assert pay_month(pay.a, months_back(6)) is None
    # A monthly-rate worker: the monthly rate when he attended.
    assert pay_month(pay.c, pay.month).estimate == Decimal("5200.00")


def test_start_page_speaks_plain_chinese_and_needs_no_script(client, world):
    response = client.get(reverse("worker_pay:start"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "查看我的工资记录" in html and "身份证号后6位" in html and "<script" not in html


def test_full_flow_shows_his_own_months(client, pay, django_capture_on_commit_callbacks):
    response = sign_in(client, django_capture_on_commit_callbacks, pay=pay)
    assert response.status_code == 302 and response.url == reverse("worker_pay:mine")
    page = client.get(reverse("worker_pay:mine"))
    text = text_of(page)
    assert page.status_code == 200 and "<script" not in page.content.decode()
    assert "西城花园二期" in text and "钢筋班" in text
    assert f"{pay.month.year}年{pay.month.month}月" in text and f"{pay.later_month.year}年{pay.later_month.month}月" in text
    assert "待您确认" in text and "比应得少 300.00元" in text
    # Nobody else's: not B's amounts, not C's (same phone, other ID), not the foreman's card.
    assert "1750" not in text and "5200" not in text and "李四" not in text and "赵六" not in text
    detail = client.get(month_url(pay.a, pay.month))
    text = text_of(detail)
    assert detail.status_code == 200
    assert "出勤天数 3天" in text and "工资表应发 900.00元" in text and "银行发到您卡上 600.00元" in text
    assert "少发工资" in text and "约300.00元" in text and "工资少发了" in text
    assert "**** **** **** 1111" in text and CARD_A not in detail.content.decode()
    assert "9999" not in text and "王班长" not in text  # the foreman's payment is not shown as his
    assert "999" not in text.replace("9999", "")  # B's finding amount


def test_shared_phone_the_id_tail_decides_whose_records(client, pay, django_capture_on_commit_callbacks):
    sign_in(client, django_capture_on_commit_callbacks, pay=pay, who="c")
    text = text_of(client.get(reverse("worker_pay:mine")))
    assert "5200" in text and "钢筋班" not in text and "900.00" not in text
    assert client.get(month_url(pay.a, pay.month)).status_code == 404
    assert client.get(month_url(pay.c, pay.month)).status_code == 200


def test_wrong_id_tail_finds_nothing_and_offers_the_complaint_form(client, pay, django_capture_on_commit_callbacks):
    response = sign_in(client, django_capture_on_commit_callbacks, pay=pay, id_tail="99999X")
    text = text_of(response)
    assert response.status_code == 200 and "没有找到您的工资记录" in text and "身份证后6位填错了" in text
    assert reverse("worker:complain") in response.content.decode()
    assert client.get(reverse("worker_pay:mine")).status_code == 403
    assert client.get(month_url(pay.a, pay.month)).status_code == 403


def test_a_phone_with_no_roster_is_told_kindly(client, pay, django_capture_on_commit_callbacks):
    response = sign_in(client, django_capture_on_commit_callbacks, phone="13700001111", id_tail="12345X", pay=pay)
    assert "没有找到您的工资记录" in text_of(response) and reverse("worker:complain") in response.content.decode()
    # A worker on record with no project: no project registered his phone, so the same kind page.
    Worker.objects.create(name="钱七", id_number=id_number(44))
    client.post(reverse("worker_pay:leave"))
    response = sign_in(client, django_capture_on_commit_callbacks, phone="13700002222", id_tail=id_number(44)[-6:], pay=pay)
    assert response.status_code == 200 and "没有找到您的工资记录" in text_of(response)


def test_the_code_is_sent_to_any_mobile_so_the_form_tells_nothing(client, pay, django_capture_on_commit_callbacks, outbox):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("worker_pay:start"), {"phone": "13700003333", "id_tail": "123456"})
    assert response.status_code == 302 and last_sms_code("13700003333")


def test_form_errors_are_chinese_and_send_no_code(client, pay, django_capture_on_commit_callbacks, outbox):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("worker_pay:start"), {"phone": "12345", "id_tail": "12A"})
    text = text_of(response)
    assert response.status_code == 400 and "手机号不正确" in text and "身份证号的最后6位" in text
    assert not outbox


def test_wrong_code_is_refused(client, pay, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("worker_pay:start"), {"phone": PHONE_A, "id_tail": pay.ids["a"][-6:]})
    code = last_sms_code(PHONE_A)
    response = client.post(reverse("worker_pay:confirm"), {"code": "000000" if code != "000000" else "111111"})
    assert response.status_code == 400 and "验证码不正确或已失效" in text_of(response)
    assert client.get(reverse("worker_pay:mine")).status_code == 403


def test_pending_lookup_is_encrypted_in_the_session(client, pay, django_capture_on_commit_callbacks):
    from django.contrib.sessions.models import Session

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("worker_pay:start"), {"phone": PHONE_A, "id_tail": pay.ids["a"][-6:]})
    stored = Session.objects.get().session_data
    decoded = str(Session.objects.get().get_decoded())
    assert PHONE_A not in stored and PHONE_A not in decoded and pay.ids["a"][-6:] not in decoded


def test_another_workers_records_are_never_visible_by_url(client, pay, django_capture_on_commit_callbacks):
    sign_in(client, django_capture_on_commit_callbacks, pay=pay)
    assert client.get(month_url(pay.b, pay.month)).status_code == 404
    assert client.get(month_url(pay.c, pay.month)).status_code == 404
    assert client.get(reverse("worker_pay:month", args=[999999, pay.month.year, pay.month.month])).status_code == 404
    assert client.get(month_url(pay.a, months_back(8))).status_code == 404
    assert client.get(reverse("worker_pay:month", args=[pay.a.pk, pay.month.year, 13])).status_code == 404
    for answer in ("confirmed", "disputed"):
        response = client.post(answer_url(pay.b, pay.month), {"answer": answer, "amount": "500"})
        assert response.status_code == 404
    assert not PayMonthConfirmation.objects.exists() and not Complaint.objects.exists()


def test_pages_need_the_grant(client, pay):
    assert client.get(reverse("worker_pay:mine")).status_code == 403
    assert client.get(month_url(pay.a, pay.month)).status_code == 403
    assert client.post(answer_url(pay.a, pay.month), {"answer": "confirmed"}).status_code == 403
    assert not PayMonthConfirmation.objects.exists()


def test_grant_expires_and_follows_the_phone(client, pay, django_capture_on_commit_callbacks, later):
    sign_in(client, django_capture_on_commit_callbacks, pay=pay)
    assert client.get(reverse("worker_pay:mine")).status_code == 200
    # The project registers another phone for him (a changed number): the old grant no longer opens it.
    pw = pay.a
    pw.phone = "13600001234"
    pw.save()
    assert client.get(reverse("worker_pay:mine")).status_code == 403
    pw.phone = PHONE_A
    pw.save()
    assert client.get(reverse("worker_pay:mine")).status_code == 200
    later(2 * 3600 + 1)
    assert client.get(reverse("worker_pay:mine")).status_code == 403


def test_leaving_forgets_the_grant(client, pay, django_capture_on_commit_callbacks):
    sign_in(client, django_capture_on_commit_callbacks, pay=pay)
    response = client.post(reverse("worker_pay:leave"))
    assert response.status_code == 302
    assert client.get(reverse("worker_pay:mine")).status_code == 403


# ------------------------------------------------------------------------------------ answers


def test_confirm_is_recorded_with_history(client, pay, django_capture_on_commit_callbacks):
    sign_in(client, django_capture_on_commit_callbacks, pay=pay)
    response = client.post(answer_url(pay.a, pay.later_month), {"answer": "confirmed"})
    assert response.status_code == 302
    answer = PayMonthConfirmation.objects.get()
    assert (answer.project_worker, answer.month, answer.answer, answer.complaint) == (pay.a, pay.later_month, "confirmed", None)
    event = Event.objects.get(action="pay_month.confirm")
    assert event.actor_label == "劳动者:139****0001" and event.object_id == str(answer.pk)
    assert event.payload_data["month"] == f"{pay.later_month:%Y-%m}" and event.payload_data["amount_due"] == "600.00"
    assert PHONE_A not in str(event.payload)
    page = client.get(month_url(pay.a, pay.later_month))
    assert "已确认" in text_of(page) and "仍然可以在下面提出异议" in text_of(page)
    # Confirming again changes nothing.
    client.post(answer_url(pay.a, pay.later_month), {"answer": "confirmed"})
    assert Event.objects.filter(action="pay_month.confirm").count() == 1
    assert not Complaint.objects.exists()


def test_dispute_becomes_one_complaint_and_case_even_when_posted_twice(client, pay, django_capture_on_commit_callbacks):
    from wagewatch.core.models import Organisation

    Organisation.objects.update(leader_name="王主任", phone="010-88886666")  # dispatch order complete
    sign_in(client, django_capture_on_commit_callbacks, pay=pay)
    data = {"answer": "disputed", "amount": "", "note": "有300块发给了班长"}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(answer_url(pay.a, pay.month), data)
        second = client.post(answer_url(pay.a, pay.month), data)
    assert first.status_code == second.status_code == 302
    complaint = Complaint.objects.get()
    case = Case.objects.get()
    assert complaint.case == case and complaint.channel == Channel.WORKER_PHONE
    assert complaint.external_id == f"pay-dispute-{pay.a.pk}-{pay.month:%Y%m}"
    assert complaint.amount_owed == Decimal("300.00")  # owed 900 − 600 to his own card
    assert complaint.employer == pay.world.enterprises["contractor_a"] and complaint.project == pay.world.projects["housing_b"]
    assert complaint.period_start == pay.month and complaint.complainant_name == "张三"
    assert complaint.complainant_phone_digest == lookup_digest(PHONE, PHONE_A)
    assert "有300块发给了班长" in complaint.description and "少发工资" in complaint.description
    answer = PayMonthConfirmation.objects.get()
    assert answer.answer == "disputed" and answer.complaint == complaint
    assert Event.objects.filter(action="pay_month.dispute").count() == 1
    assert Event.objects.filter(action="complaint.registered").count() == 1
    # The worker hears of his case by SMS (notify, on the case's transitions).
    assert WorkerMessage.objects.filter(case_number=case.number, phone_digest=lookup_digest(PHONE, PHONE_A)).exists()
    page = client.get(month_url(pay.a, pay.month))
    text = text_of(page)
    assert case.number in text and "已提出异议" in text and "不能再改为“确认无误”" in text
    assert reverse("worker:case", args=[case.number]) in page.content.decode()
    assert f"已转为投诉,案件编号 {case.number}" in text_of(client.get(reverse("worker_pay:mine")))
    # The tracking page opens without another code.
    assert client.get(reverse("worker:case", args=[case.number])).status_code == 200


def test_the_stated_amount_is_the_amount_in_dispute(client, pay, django_capture_on_commit_callbacks):
    sign_in(client, django_capture_on_commit_callbacks, pay=pay)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(answer_url(pay.a, pay.month), {"answer": "disputed", "amount": "1,200元"})
    assert Complaint.objects.get().amount_owed == Decimal("1200.00")


def test_a_disputed_month_cannot_be_confirmed(client, pay, django_capture_on_commit_callbacks):
    sign_in(client, django_capture_on_commit_callbacks, pay=pay)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(answer_url(pay.a, pay.month), {"answer": "disputed"})
    response = client.post(answer_url(pay.a, pay.month), {"answer": "confirmed"})
    assert response.status_code == 400 and "不能再改为确认" in text_of(response)
    assert PayMonthConfirmation.objects.get().answer == "disputed"


def test_a_confirmed_month_may_later_be_disputed(client, pay, django_capture_on_commit_callbacks):
    sign_in(client, django_capture_on_commit_callbacks, pay=pay)
    client.post(answer_url(pay.a, pay.month), {"answer": "confirmed"})
    assert not Complaint.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(answer_url(pay.a, pay.month), {"answer": "disputed", "note": "后来发现少了"})
    assert response.status_code == 302
    answer = PayMonthConfirmation.objects.get()
    assert answer.answer == "disputed" and answer.complaint == Complaint.objects.get()
    assert Event.objects.get(action="pay_month.dispute").payload_data["previously"] == "confirmed"


def test_a_dispute_with_nothing_short_on_record_asks_for_the_amount(client, pay, django_capture_on_commit_callbacks):
    sign_in(client, django_capture_on_commit_callbacks, pay=pay)
    response = client.post(answer_url(pay.a, pay.later_month), {"answer": "disputed", "amount": ""})
    assert response.status_code == 400 and "请填写您认为少发的钱数" in text_of(response)
    response = client.post(answer_url(pay.a, pay.later_month), {"answer": "disputed", "amount": "abc"})
    assert response.status_code == 400 and "钱数请填数字" in text_of(response)
    assert not PayMonthConfirmation.objects.exists() and not Complaint.objects.exists()


def test_service_refuses_a_month_without_records_and_unknown_answers(pay):
    with pytest.raises(Exception) as exc:
        pay_month_answer(actor="劳动者:测试", project_worker=pay.a, month=months_back(7), answer="confirmed")
    assert "没有您在这个工地" in str(exc.value)
    with pytest.raises(Exception) as exc:
        pay_month_answer(actor="劳动者:测试", project_worker=pay.a, month=pay.month, answer="maybe")
    assert "确认无误" in str(exc.value)
    with pytest.raises(Exception) as exc:
        pay_month_answer(actor="劳动者:测试", project_worker=pay.a, month=months_back(-2), answer="confirmed")
    assert "还没到" in str(exc.value)
    assert not PayMonthConfirmation.objects.exists()


def test_a_failed_registration_leaves_no_answer(pay, monkeypatch):
    from wagewatch.payroll.services import confirmations

    def broken(**kwargs):
        raise RuntimeError("down")

    monkeypatch.setattr(confirmations, "complaint_register", broken)
    with pytest.raises(RuntimeError):
        pay_month_answer(actor="劳动者:测试", project_worker=pay.a, month=pay.month, answer="disputed")
    assert not PayMonthConfirmation.objects.exists() and not Event.objects.filter(action__startswith="pay_month").exists()


# ------------------------------------------------------------------------------------ rate limits


def test_lookups_are_limited_per_address(client, pay, monkeypatch):
    monkeypatch.setattr(views_worker, "PAY_LOOKUPS_PER_IP", (2, 600))
    for _ in range(2):
        client.post(reverse("worker_pay:start"), {"phone": "", "id_tail": ""})
    response = client.post(reverse("worker_pay:start"), {"phone": "", "id_tail": ""})
    assert response.status_code == 429 and "操作太频繁" in text_of(response) and response["Retry-After"]


def test_code_checks_are_limited_per_address(client, pay, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(views_worker, "PAY_CODE_CHECKS_PER_IP", (3, 600))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("worker_pay:start"), {"phone": PHONE_A, "id_tail": pay.ids["a"][-6:]})
    for _ in range(3):
        assert client.post(reverse("worker_pay:confirm"), {"code": "000001"}).status_code == 400
    assert client.post(reverse("worker_pay:confirm"), {"code": "000001"}).status_code == 429


def test_code_requests_are_limited_by_notify(client, pay, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("worker_pay:start"), {"phone": PHONE_A, "id_tail": pay.ids["a"][-6:]})
        response = client.post(reverse("worker_pay:start"), {"phone": PHONE_A, "id_tail": pay.ids["a"][-6:]})
    assert response.status_code == 429 and "秒后再重新获取" in text_of(response)


def test_answers_are_limited_per_phone(client, pay, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(views_worker, "PAY_ANSWERS_PER_PHONE", (2, 86400))
    sign_in(client, django_capture_on_commit_callbacks, pay=pay)
    for _ in range(2):
        assert client.post(answer_url(pay.a, pay.later_month), {"answer": "confirmed"}).status_code == 302
    assert client.post(answer_url(pay.a, pay.later_month), {"answer": "confirmed"}).status_code == 429


@pytest.mark.django_db(transaction=True)
def test_two_disputes_racing_register_once(world):
    import threading

    from django.db import connection, connections

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads need a shared database file or PostgreSQL")
    pay = build_pay_world(world)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def send():
        try:
            barrier.wait(timeout=10)
            results.append(pay_month_answer(actor="劳动者:139****0001", project_worker=pay.a, month=pay.month, answer="disputed"))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and len(results) == 2
    assert sorted(r.created for r in results) == [False, True]
    assert {r.complaint.pk for r in results} == {Complaint.objects.get().pk}
    assert Case.objects.count() == 1 and PayMonthConfirmation.objects.count() == 1
    assert Event.objects.filter(action="pay_month.dispute").count() == 1


def test_monthly_rate_is_pro_rata_of_the_roster_days_like_the_engine(pay):
    pay.c.exit_date = pay.month.replace(day=10)
    pay.c.save()
    days = calendar.monthrange(pay.month.year, pay.month.month)[1]
    assert pay_month(pay.c, pay.month).estimate == (Decimal("5200") * 10 / days).quantize(Decimal("0.01"))
    # What he should have got is the larger of the payroll's amount due and the estimate.
    assert pay_month(pay.c, pay.month).owed == Decimal("5200")


def test_a_card_two_workers_registered_counts_the_payment_named_for_each(pay):
    pay.b.bank_card = CARD_A
    pay.b.save()
    assert pay_month(pay.a, pay.month).bank_paid == Decimal("600")  # the one naming 张三, not B's
    assert pay_month(pay.b, pay.month).bank_paid == Decimal("0")  # B's went to his old card; none names 李四 on card A


def test_a_late_payment_says_how_late(pay):
    now = timezone.now()
    Finding.objects.create(
        project=pay.a.project, month=pay.later_month, kind=FindingKind.LATE_PAYMENT, level=WarningLevel.YELLOW,
        subject=f"pw:{pay.a.pk}", project_worker=pay.a, amount=Decimal("600"), first_found_at=now, last_found_at=now,
        detail='{"days_late": 12}',
    )
    words = [f.words for f in pay_month(pay.a, pay.later_month).findings]
    assert words == ["这个月的工资没有在约定的发薪日之前发到您的卡上。比约定的发薪日晚了12天。"]


def test_site_wide_findings_reach_every_worker_of_the_site_but_not_anothers_own(pay):
    now = timezone.now()
    Finding.objects.create(
        project=pay.a.project, month=pay.month, kind=FindingKind.NO_OUTFLOW_ON_PAY_DAY, level=WarningLevel.YELLOW,
        subject="project", first_found_at=now, last_found_at=now,
    )
    kinds_a = {f.kind for f in pay_month(pay.a, pay.month).findings}
    kinds_b = {f.kind for f in pay_month(pay.b, pay.month).findings}
    assert kinds_a == {FindingKind.SHORTFALL, FindingKind.NO_OUTFLOW_ON_PAY_DAY}
    assert kinds_b == {FindingKind.PAID_TO_OTHER, FindingKind.NO_OUTFLOW_ON_PAY_DAY}


def test_a_second_months_dispute_joins_his_open_case(client, pay, django_capture_on_commit_callbacks):
    sign_in(client, django_capture_on_commit_callbacks, pay=pay)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(answer_url(pay.a, pay.month), {"answer": "disputed"})
        client.post(answer_url(pay.a, pay.later_month), {"answer": "disputed", "amount": "200"})
    assert Complaint.objects.count() == 2 and Case.objects.count() == 1
    case = Case.objects.get()
    assert {c.external_id for c in case.complaints.all()} == {
        f"pay-dispute-{pay.a.pk}-{pay.month:%Y%m}",
        f"pay-dispute-{pay.a.pk}-{pay.later_month:%Y%m}",
    }
    assert case.number in text_of(client.get(month_url(pay.a, pay.later_month)))


def test_before_the_pay_day_the_worker_is_not_told_he_was_paid_less(client, pay, django_capture_on_commit_callbacks):
    """B worked last month and is on its payroll; the bank pays on the 15th of this month. Before
    that he is not told "比应得少", and the month says it is provisional ("未到发薪日")."""
    punch_days(pay.b, pay.later_month, 4)
    PayrollLine.objects.create(
        sheet=PayrollSheet.objects.get(project=pay.a.project, month=pay.later_month), project_worker=pay.b, days=4,
        amount_due=Decimal("1400"), amount_paid=Decimal("1400"),
    )
    from wagewatch.payroll.models import WageAccount

    # Pay day: the last day of the month (31 is clamped), so last month's wages are never due yet.
    WageAccount.objects.update_or_create(
        project=pay.a.project, defaults={"bank_name": "农业银行", "account_number": "6222020299990000", "opened_on": pay.month, "pay_day": 31}
    )
    pm = pay_month(pay.b, pay.later_month)
    assert pm.owed == Decimal("1400") and pm.bank_paid == 0
    assert pm.gap == 0 and pm.provisional == "未到发薪日" and pm.suggested_dispute_amount == 0
    assert pay_month(pay.b, pay.month).due  # the month before is due: its gaps are shown
    sign_in(client, django_capture_on_commit_callbacks, phone=PHONE_B, pay=pay, who="b")
    text = text_of(client.get(month_url(pay.b, pay.later_month)))
    assert "比应得少" not in text
    assert "未到发薪日" in text and "还没到发薪日" in text
    assert "比应得少" not in text_of(client.get(reverse("worker_pay:mine"))).split(f"{pay.month.year}年{pay.month.month}月")[0]
