"""The worker's phone pages: complain with an SMS code, track by number + phone + code, add
evidence, rate; nobody sees a case that is not theirs; rate limits answer 429 in Chinese."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wagewatch.cases import services as cs
from wagewatch.cases.models import Case, CaseState
from wagewatch.core.models import Organisation
from wagewatch.history.models import Event
from wagewatch.intake import views_worker
from wagewatch.intake.models import Channel, Complaint, Evidence
from wagewatch.notify import clock
from wagewatch.notify.services import CODE_INVALID_MESSAGE
from wagewatch.notify.testing import last_sms_code, memory_sms, sms_to
from wagewatch.testing.cases import PNG_BYTES, register, walk_to
from wagewatch.testing.world import PASSWORD

PHONE_A = "13912340001"
PHONE_B = "13912340002"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.WORKER_SITE_URL = "https://wage.example.gov.cn"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def outbox():
    """Every SMS of a test lands in memory (codes are read from it)."""
    with memory_sms() as messages:
        yield messages


@pytest.fixture(autouse=True)
def later(monkeypatch):
    """Move the notify clock (codes, rate-limit windows, grants) forward: `later(61)`. One code per
    phone per minute, so a test that asks for a second code for the same phone waits first."""
    offset = [timedelta(0)]
    monkeypatch.setattr(clock, "now", lambda: timezone.now() + offset[0])

    def advance(seconds: float):
        offset[0] += timedelta(seconds=seconds)

    return advance


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.fixture
def leaders(world):
    # With a leader on record the dispatch order is complete and the complaint is dispatched at once.
    Organisation.objects.update(leader_name="王主任", phone="010-88886666")
    return world


def png(name="pay.png"):
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def form_data(world, phone=PHONE_A, **overrides):
    data = {
        "complainant_name": "李四",
        "complainant_phone": phone,
        "worker_count": "3",
        "amount_owed": "1.8万",
        "period_start": "2026-08",
        "employer_name": "东花服装厂",
        "subcontracting_chain": "王班长",
        "project_name": "东花服装厂车间",
        "site_address": "东花路1号",
        "territory_id": str(world.territories["community_a"].pk),
        "description": "三个月工资没发",
        "legal_aid_requested": "on",
    }
    data.update(overrides)
    return data


def fill_form(client, capture, world, *, url=None, phone=PHONE_A, files=(), **overrides):
    data = form_data(world, phone=phone, **overrides)
    if files:
        data["files"] = list(files)
    with capture(execute=True):
        return client.post(url or reverse("worker:complain"), data)


def submit_code(client, code, token=None):
    if token is None:
        page = client.get(reverse("worker:complain_confirm"))
        token = page.context["form"].initial["token"]
    return client.post(reverse("worker:complain_confirm"), {"code": code, "token": token})


def file_complaint(client, capture, world, phone=PHONE_A, **overrides) -> Case:
    response = fill_form(client, capture, world, phone=phone, **overrides)
    assert response.status_code == 302, response.content.decode()[:2000]
    response = submit_code(client, last_sms_code(phone))
    assert response.status_code == 302 and response.url == reverse("worker:complain_done")
    return Complaint.objects.filter(complainant_phone_digest=_digest(phone)).latest("pk").case


def _digest(phone):
    from wagewatch.core.protected import PHONE, lookup_digest

    return lookup_digest(PHONE, phone)


def track(client, capture, number, phone):
    with capture(execute=True):
        response = client.post(reverse("worker:track"), {"number": number, "phone": phone})
    return response


def grant_for(client, capture, case, phone) -> Client:
    response = track(client, capture, case.number, phone)
    assert response.status_code == 302 and response.url == reverse("worker:track_confirm")
    response = client.post(reverse("worker:track_confirm"), {"code": last_sms_code(phone)})
    assert response.status_code == 302 and response.url == reverse("worker:case", args=[case.number])
    return client


# ------------------------------------------------------------------------------ complaint flow


def test_start_pages_speak_plain_chinese(client, world):
    page = client.get(reverse("worker:start")).content.decode()
    assert "我要投诉欠薪" in page and "查询办理进度" in page
    assert "<script" not in page and "//cdn" not in page and "base.html" not in page
    assert "app.css" not in page and "worker.css" in page  # its own minimal base, not the staff one


def test_full_flow_files_a_complaint_and_tracks_it(client, leaders, django_capture_on_commit_callbacks, outbox, later):
    world = leaders
    response = fill_form(client, django_capture_on_commit_callbacks, world, files=[png()])
    assert response.status_code == 302 and response.url == reverse("worker:complain_confirm")
    assert PHONE_A not in response.url
    [message] = sms_to(PHONE_A)
    assert "验证码" in message.text
    confirm = client.get(response.url).content.decode()
    assert "139****0001" in confirm and PHONE_A not in confirm
    assert "东花服装厂" in confirm and "18000" in confirm

    response = submit_code(client, last_sms_code(PHONE_A))
    assert response.status_code == 302
    done = client.get(response.url)
    complaint = Complaint.objects.get()
    case = complaint.case
    text = done.content.decode()
    assert complaint.channel == Channel.WORKER_PHONE
    assert complaint.complainant_phone == PHONE_A and complaint.legal_aid_requested
    assert complaint.subcontracting_chain == "王班长" and str(complaint.period_start) == "2026-08-01"
    assert case.state == CaseState.DISPATCHED and case.lead_organisation == world.organisations["street_a"]
    assert case.number in text and "请记住案件编号,凭编号和手机号查询进度" in text
    assert case.next_deadline_text() in text and "承诺" in text and "东城街道办事处" in text
    evidence = Evidence.objects.get()
    assert evidence.case == case and evidence.complaint == complaint and evidence.uploaded_by_worker
    assert evidence.content_type == "image/png"
    assert Event.objects.filter(action="complaint.registered", actor_label="劳动者:139****0001").exists()
    assert not list(views_worker.default_storage.listdir(views_worker.STASH_DIR)[1])  # stash emptied
    # The result page gave this phone a grant: the case page opens at once.
    assert client.get(reverse("worker:case", args=[case.number])).status_code == 200

    # Later, on another phone: track by number + phone + code.
    later(120)
    other = Client()
    response = track(other, django_capture_on_commit_callbacks, case.number.lower(), PHONE_A)
    assert response.status_code == 302 and response.url == reverse("worker:track_confirm")
    response = other.post(reverse("worker:track_confirm"), {"code": last_sms_code(PHONE_A)})
    assert response.status_code == 302
    page = other.get(response.url).content.decode()
    assert "已交给办理单位" in page and "已交给东城街道办事处办理" in page and "您补充了证据材料" in page
    assert case.next_deadline_text() in page and "010-88886666" in page


def test_a_complaint_no_rule_can_route_waits_registered_for_the_office(client, world, django_capture_on_commit_callbacks):
    from wagewatch.core.models import Territory

    south = Territory.objects.create(code="110105003", name="南城街道", level=Territory.Level.STREET, parent=world.territories["district"])
    case = file_complaint(client, django_capture_on_commit_callbacks, world, territory_id=str(south.pk))
    assert case.state == CaseState.REGISTERED and case.territory == south
    page = client.get(reverse("worker:complain_done")).content.decode()
    assert case.number in page and "正在安排负责的单位" in page and "示范区根治欠薪工作领导小组办公室" in page


def test_form_errors_are_chinese_and_send_no_code(client, world, django_capture_on_commit_callbacks, outbox):
    response = fill_form(
        client, django_capture_on_commit_callbacks, world, phone="12345", amount_owed="很多", employer_name="", territory_id=""
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "手机号不正确" in text and "钱数请填数字" in text and "请填写欠钱的老板或公司" in text and "请选择干活的地方" in text
    assert outbox == []
    assert Complaint.objects.count() == 0


def test_a_photo_attached_to_a_form_with_an_error_is_kept(client, world, django_capture_on_commit_callbacks, outbox):
    """The worker fixes the wrong field and submits again without choosing the photo again; the photo
    reaches the case."""
    response = fill_form(client, django_capture_on_commit_callbacks, world, files=[png("工资条.png")], amount_owed="很多")
    assert response.status_code == 400
    page = response.content.decode()
    assert "钱数请填数字" in page and "已经上传了1个文件" in page
    assert outbox == []
    case = file_complaint(client, django_capture_on_commit_callbacks, world)
    assert list(Evidence.objects.values_list("original_name", "case_id")) == [("工资条.png", case.pk)]


def test_a_worker_who_does_not_know_the_street_can_still_complain(client, world, django_capture_on_commit_callbacks, outbox):
    from wagewatch.intake.forms_worker import UNKNOWN_STREET

    form = client.get(reverse("worker:complain")).content.decode()
    assert UNKNOWN_STREET in form
    district = world.territories["district"]
    case = file_complaint(client, django_capture_on_commit_callbacks, world, territory_id=str(district.pk))
    # Nobody is guessed: the case waits, registered, for the office to find the street and assign it.
    assert case.territory == district and case.state == CaseState.REGISTERED


def test_pending_complaint_is_encrypted_in_the_session(client, world, django_capture_on_commit_callbacks, outbox):
    fill_form(client, django_capture_on_commit_callbacks, world)
    stored = Session.objects.get(session_key=client.session.session_key)
    raw = json.dumps(stored.get_decoded(), ensure_ascii=False)
    assert PHONE_A not in raw and "李四" not in raw


def test_wrong_code_is_refused_then_the_right_one_registers(client, world, django_capture_on_commit_callbacks, outbox):
    fill_form(client, django_capture_on_commit_callbacks, world)
    code = last_sms_code(PHONE_A)
    wrong = "000000" if code != "000000" else "111111"
    response = submit_code(client, wrong)
    assert response.status_code == 400 and CODE_INVALID_MESSAGE in response.content.decode()
    assert Complaint.objects.count() == 0
    assert submit_code(client, code).status_code == 302
    assert Complaint.objects.count() == 1


def test_expired_code_is_refused(client, world, django_capture_on_commit_callbacks, outbox, later):
    fill_form(client, django_capture_on_commit_callbacks, world)
    code = last_sms_code(PHONE_A)
    later(6 * 60)
    response = submit_code(client, code)
    assert response.status_code == 400 and CODE_INVALID_MESSAGE in response.content.decode()
    assert Complaint.objects.count() == 0
    # A new code (the resend button) works.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("worker:complain_confirm"), {"action": "resend"}).status_code == 302
    assert last_sms_code(PHONE_A) and submit_code(client, last_sms_code(PHONE_A)).status_code == 302
    assert Complaint.objects.count() == 1


def test_double_submit_registers_once(client, world, django_capture_on_commit_callbacks, outbox):
    fill_form(client, django_capture_on_commit_callbacks, world, files=[png()])
    code = last_sms_code(PHONE_A)
    page = client.get(reverse("worker:complain_confirm"))
    token = page.context["form"].initial["token"]
    pending = client.session[views_worker.PENDING_KEY]
    first = submit_code(client, code, token)
    assert first.status_code == 302
    # The browser sends the same POST again: the same result page, nothing new.
    again = submit_code(client, code, token)
    assert again.status_code == 302 and again.url == reverse("worker:complain_done")
    # A copy that raced the first one still holds the pending form (its session was read
    # before the first one finished): the code is used up, the stored result answers.
    session = client.session
    session[views_worker.PENDING_KEY] = pending
    session.save()
    raced = submit_code(client, code, token)
    assert raced.status_code == 302 and raced.url == reverse("worker:complain_done")
    assert Complaint.objects.count() == 1 and Case.objects.count() == 1 and Evidence.objects.count() == 1


def test_going_back_to_fix_the_form_reuses_the_code(client, world, django_capture_on_commit_callbacks, outbox):
    fill_form(client, django_capture_on_commit_callbacks, world, files=[png()])
    form = client.get(reverse("worker:complain"))
    assert form.context["form"].initial["employer_name"] == "东花服装厂"
    assert "已经上传了1个文件" in form.content.decode()
    response = fill_form(client, django_capture_on_commit_callbacks, world, employer_name="东花制衣厂", files=[png("b.png")])
    assert response.status_code == 302
    assert len(sms_to(PHONE_A)) == 1  # the first code is still good: no second SMS, no "wait a minute"
    assert submit_code(client, last_sms_code(PHONE_A)).status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.employer_name == "东花制衣厂" and complaint.evidence.count() == 2


def test_an_exe_renamed_jpg_is_refused(client, world, django_capture_on_commit_callbacks, outbox):
    fake = SimpleUploadedFile("工资条.jpg", EXE_BYTES, content_type="image/jpeg")
    response = fill_form(client, django_capture_on_commit_callbacks, world, files=[fake])
    assert response.status_code == 400
    assert "文件类型不支持" in response.content.decode() and "工资条.jpg" in response.content.decode()
    assert outbox == []
    # And on the case page.
    case = file_complaint(client, django_capture_on_commit_callbacks, world)
    fake = SimpleUploadedFile("photo.jpg", EXE_BYTES, content_type="image/jpeg")
    response = client.post(reverse("worker:case_evidence", args=[case.number]), {"files": [fake]})
    assert response.status_code == 400 and "文件类型不支持" in response.content.decode()
    assert Evidence.objects.count() == 0


def test_oversized_evidence_is_refused(client, world, django_capture_on_commit_callbacks, outbox, settings):
    case = file_complaint(client, django_capture_on_commit_callbacks, world)
    settings.EVIDENCE_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.png", PNG_BYTES + b"\x00" * 2048, content_type="image/png")
    response = client.post(reverse("worker:case_evidence", args=[case.number]), {"files": [big]})
    assert response.status_code == 400 and "文件过大" in response.content.decode()
    assert Evidence.objects.count() == 0


def test_qr_project_form_prefills_the_project(client, world, django_capture_on_commit_callbacks, outbox):
    project = world.projects["housing_b"]
    token = views_worker.project_token(project)
    assert token.startswith(f"{project.pk}-") and len(token) == len(str(project.pk)) + 13
    landing = client.get(reverse("worker:project", args=[token])).content.decode()
    assert "西城花园二期" in landing and reverse("worker:project_complain", args=[token]) in landing
    form = client.get(reverse("worker:project_complain", args=[token])).content.decode()
    assert "西城花园二期" in form and 'name="territory_id"' not in form
    response = fill_form(
        client, django_capture_on_commit_callbacks, world, url=reverse("worker:project_complain", args=[token]), employer_name=""
    )
    assert response.status_code == 302
    assert submit_code(client, last_sms_code(PHONE_A)).status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.project == project and complaint.territory == project.territory
    assert complaint.employer_name == "东城建工集团有限公司"  # the general contractor answers


def test_a_forged_project_token_falls_back_to_the_general_form(client, world):
    project = world.projects["housing_b"]
    token = views_worker.project_token(project)
    other = world.projects["road_a"]
    forged = f"{other.pk}-{token.split('-', 1)[1]}"
    page = client.get(reverse("worker:project", args=[forged])).content.decode()
    assert "二维码已失效" in page and "东城大道改造" not in page
    response = client.get(reverse("worker:project_complain", args=[forged]))
    assert response.status_code == 302 and response.url == reverse("worker:complain")


def test_posters_survive_a_key_rotation_kept_in_fallbacks(client, world, settings):
    project = world.projects["housing_b"]
    token = views_worker.project_token(project)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert "西城花园二期" in client.get(reverse("worker:project", args=[token.upper()])).content.decode()
    settings.SECRET_KEY_FALLBACKS = []
    assert "二维码已失效" in client.get(reverse("worker:project", args=[token])).content.decode()


# ------------------------------------------------------------------------------ tracking and grants


def test_grant_scoping(leaders, django_capture_on_commit_callbacks, outbox, later):
    world = leaders
    capture = django_capture_on_commit_callbacks
    a, b = Client(), Client()
    case_a = file_complaint(a, capture, world, phone=PHONE_A)
    case_b = file_complaint(b, capture, world, phone=PHONE_B, employer_name="西花电子有限公司", description="B的秘密说明")
    assert case_a != case_b
    # A's grant does not open B's case by switching the number in the URL.
    for name in ("worker:case", "worker:case_letter"):
        response = a.get(reverse(name, args=[case_b.number]))
        assert response.status_code == 403 and "西花电子" not in response.content.decode()
    assert a.post(reverse("worker:case_evidence", args=[case_b.number]), {"files": [png()]}).status_code == 403
    assert a.post(reverse("worker:case_rate", args=[case_b.number]), {"rating": "1"}).status_code == 403
    assert Evidence.objects.count() == 0

    # Right number, another phone: no code is sent, and the answer is the same as for a case
    # that does not exist.
    outbox.clear()
    fresh = Client()
    wrong_phone = track(fresh, capture, case_b.number, PHONE_A)
    page_wrong = fresh.get(wrong_phone.url).content.decode()
    unknown = Client()
    no_case = track(unknown, capture, "AJ2099010100001", PHONE_A)
    page_unknown = unknown.get(no_case.url).content.decode()
    assert wrong_phone.status_code == no_case.status_code == 302 and wrong_phone.url == no_case.url
    assert without_csrf(page_wrong).replace(case_b.number, "N") == without_csrf(page_unknown).replace("AJ2099010100001", "N")
    assert outbox == []
    # Even A's own valid code does not open B's case.
    later(120)
    with capture(execute=True):
        a2 = Client()
        track(a2, capture, case_a.number, PHONE_A)
    code_a = last_sms_code(PHONE_A)
    track(a2, capture, case_b.number, PHONE_A)
    response = a2.post(reverse("worker:track_confirm"), {"code": code_a})
    assert response.status_code == 400 and CODE_INVALID_MESSAGE in response.content.decode()
    assert a2.get(reverse("worker:case", args=[case_b.number])).status_code == 403

    # B's own page never shows A's data or staff notes.
    cs.case_note_add(actor=world.users["street_a_handler"], case=case_b, text="内部备注:老板有钱不给")
    page = b.get(reverse("worker:case", args=[case_b.number])).content.decode()
    assert "内部备注" not in page and "139****0001" not in page and "street_a_handler" not in page


def test_a_listed_worker_phone_may_track(client, world, django_capture_on_commit_callbacks, outbox):
    from wagewatch.intake.services import WorkerInput

    result = register(world, workers=[WorkerInput(name="赵六", phone=PHONE_B)])
    grant_for(client, django_capture_on_commit_callbacks, result.case, PHONE_B)
    assert client.get(reverse("worker:case", args=[result.case.number])).status_code == 200


def test_grant_expires(client, world, django_capture_on_commit_callbacks, outbox, later):
    case = file_complaint(client, django_capture_on_commit_callbacks, world)
    assert client.get(reverse("worker:case", args=[case.number])).status_code == 200
    later(2 * 3600 + 60)
    assert client.get(reverse("worker:case", args=[case.number])).status_code == 403
    assert client.get(reverse("worker:case_entry")).url == reverse("worker:track")


def test_leaving_forgets_the_grant(client, world, django_capture_on_commit_callbacks, outbox):
    case = file_complaint(client, django_capture_on_commit_callbacks, world)
    assert client.get(reverse("worker:case_entry")).url == reverse("worker:case", args=[case.number])
    client.post(reverse("worker:leave"))
    assert client.get(reverse("worker:case", args=[case.number])).status_code == 403


def test_merged_case_follows_the_complaint(leaders, django_capture_on_commit_callbacks, outbox, later):
    world = leaders
    client = Client()
    case = file_complaint(client, django_capture_on_commit_callbacks, world)
    target = register(world, employer_name="西花电子有限公司", employer_credit_code="").case
    cs.case_merge(actor=world.users["office_staff"], case=case, into=target, reason="同一老板")
    response = client.get(reverse("worker:case", args=[case.number]))
    assert response.status_code == 302 and response.url == reverse("worker:case", args=[target.number])
    page = client.get(response.url).content.decode()
    assert target.number in page
    # Tracking the old number finds the case it went into.
    later(120)
    other = Client()
    grant_for_target = track(other, django_capture_on_commit_callbacks, case.number, PHONE_A)
    assert grant_for_target.status_code == 302
    response = other.post(reverse("worker:track_confirm"), {"code": last_sms_code(PHONE_A)})
    assert response.url == reverse("worker:case", args=[target.number])


def test_track_form_checks_formats(client, world):
    response = client.post(reverse("worker:track"), {"number": "12", "phone": "abc"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "案件编号格式不对" in text and "手机号不正确" in text


# ------------------------------------------------------------------------------ evidence and rating


def test_worker_adds_evidence_to_an_open_case(client, world, django_capture_on_commit_callbacks, outbox):
    case = file_complaint(client, django_capture_on_commit_callbacks, world)
    pdf = SimpleUploadedFile("欠条.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", content_type="application/pdf")
    response = client.post(reverse("worker:case_evidence", args=[case.number]), {"files": [pdf, png()], "description": "欠条和工资条"})
    assert response.status_code == 302
    rows = list(Evidence.objects.filter(case=case).order_by("pk"))
    assert [e.content_type for e in rows] == ["application/pdf", "image/png"]
    assert all(e.uploaded_by_worker and e.complaint.case_id == case.pk for e in rows)
    page = client.get(reverse("worker:case", args=[case.number])).content.decode()
    assert "您已经上传了2个文件" in page and "您补充了证据材料" in page


def test_rating_only_once_resolved(client, leaders, django_capture_on_commit_callbacks, outbox):
    world = leaders
    case = file_complaint(client, django_capture_on_commit_callbacks, world)
    page = client.get(reverse("worker:case", args=[case.number])).content.decode()
    assert "评价办理结果" not in page
    response = client.post(reverse("worker:case_rate", args=[case.number]), {"rating": "5"})
    assert response.status_code == 400 and "案件办结后才能评价" in response.content.decode()
    case.refresh_from_db()
    assert case.worker_rating is None

    walk_to(world, case, CaseState.RESOLVED)
    page = client.get(reverse("worker:case", args=[case.number])).content.decode()
    assert "评价办理结果" in page and "已处理,等待回访" in page and "办理单位报告:工资已支付" in page
    response = client.post(reverse("worker:case_rate", args=[case.number]), {"rating": "4", "comment": "拿到钱了"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.worker_rating == 4 and case.worker_rating_comment == "拿到钱了"
    page = client.get(reverse("worker:case", args=[case.number])).content.decode()
    assert "★★★★☆" in page and "您评价了办理结果" in page and 'name="rating"' not in page
    assert Event.objects.get(action="case.worker_rated").actor_label == "劳动者:139****0001"


def test_closed_case_takes_no_more_evidence(client, leaders, django_capture_on_commit_callbacks, outbox):
    world = leaders
    case = file_complaint(client, django_capture_on_commit_callbacks, world)
    walk_to(world, case, CaseState.CLOSED)
    page = client.get(reverse("worker:case", args=[case.number])).content.decode()
    assert "已办结" in page and 'name="files"' not in page
    response = client.post(reverse("worker:case_evidence", args=[case.number]), {"files": [png()]})
    assert response.status_code == 302
    assert not Evidence.objects.filter(case=case, uploaded_by_worker=True).exists()


# ------------------------------------------------------------------------------ rate limits


def test_track_lookups_are_limited_per_address(client, world):
    for i in range(views_worker.TRACK_LOOKUPS_PER_IP[0]):
        assert client.post(reverse("worker:track"), {"number": f"AJ20990101{i:05d}", "phone": PHONE_A}).status_code == 302
    response = client.post(reverse("worker:track"), {"number": "AJ2099010100099", "phone": PHONE_A})
    assert response.status_code == 429 and "操作过于频繁" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    # Another address is not affected.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post(reverse("worker:track"), {"number": "AJ2099010100099", "phone": PHONE_A}).status_code == 302


def test_complaints_are_limited_per_address(client, world, django_capture_on_commit_callbacks, outbox, monkeypatch):
    monkeypatch.setattr(views_worker, "COMPLAINTS_PER_IP", (2, 3600))
    assert fill_form(client, django_capture_on_commit_callbacks, world, phone="13912340011").status_code == 302
    assert fill_form(client, django_capture_on_commit_callbacks, world, phone="13912340012").status_code == 302
    response = fill_form(client, django_capture_on_commit_callbacks, world, phone="13912340013")
    assert response.status_code == 429 and "操作太频繁" in response.content.decode()
    assert sms_to("13912340013") == []


def test_complaints_are_limited_per_phone(client, world, django_capture_on_commit_callbacks, outbox, monkeypatch):
    monkeypatch.setattr(views_worker, "COMPLAINTS_PER_PHONE", (1, 86400))
    file_complaint(client, django_capture_on_commit_callbacks, world)
    response = fill_form(client, django_capture_on_commit_callbacks, world, employer_name="另一个老板")
    assert response.status_code == 429 and "今天已经提交了1次投诉" in response.content.decode()


def test_code_requests_are_limited_by_notify(client, world, django_capture_on_commit_callbacks, outbox):
    fill_form(client, django_capture_on_commit_callbacks, world)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("worker:complain_confirm"), {"action": "resend"})
    assert response.status_code == 429 and "秒后再重新获取" in response.content.decode()
    assert len(sms_to(PHONE_A)) == 1


def test_evidence_uploads_are_limited_per_case(client, world, django_capture_on_commit_callbacks, outbox, monkeypatch):
    monkeypatch.setattr(views_worker, "EVIDENCE_FILES_PER_CASE", (2, 86400))
    case = file_complaint(client, django_capture_on_commit_callbacks, world)
    url = reverse("worker:case_evidence", args=[case.number])
    assert client.post(url, {"files": [png("1.png"), png("2.png")]}).status_code == 302
    response = client.post(url, {"files": [png("3.png")]})
    assert response.status_code == 429 and "Retry-After" in response
    assert Evidence.objects.filter(case=case).count() == 2


def test_wrong_track_codes_are_limited(client, world, monkeypatch):
    monkeypatch.setattr(views_worker, "TRACK_CODE_CHECKS_PER_IP", (3, 600))
    client.post(reverse("worker:track"), {"number": "AJ2099010100001", "phone": PHONE_A})
    for _ in range(3):
        assert client.post(reverse("worker:track_confirm"), {"code": "123456"}).status_code == 400
    assert client.post(reverse("worker:track_confirm"), {"code": "123456"}).status_code == 429


# ------------------------------------------------------------------------------ posters (staff)


def test_posters_are_for_staff_in_scope(client, world):
    project = world.projects["housing_b"]
    assert client.get(reverse("worker:poster_pdf")).status_code == 302  # login first
    assert client.get(reverse("worker:project_poster_pdf", args=[project.pk])).status_code == 302
    client.login(username="street_a_handler", password=PASSWORD)
    assert client.get(reverse("worker:project_poster_pdf", args=[project.pk])).status_code == 404  # street B's project
    client.login(username="office_staff", password=PASSWORD)
    response = client.get(reverse("worker:project_poster_pdf", args=[project.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    general = client.get(reverse("worker:poster_pdf"))
    assert general.status_code == 200 and general.content.startswith(b"%PDF")
    preview = client.get(reverse("worker:project_poster", args=[project.pk])).content.decode()
    token = views_worker.project_token(project)
    assert "<svg" in preview and f"https://wage.example.gov.cn/w/p/{token}/" in preview


def test_poster_qr_opens_the_project_form(client, world):
    """The URL printed in the poster's QR code decodes and leads to this project's form."""
    pytest.importorskip("zxingcpp")
    import subprocess
    import tempfile
    from pathlib import Path

    import zxingcpp
    from PIL import Image

    project = world.projects["road_a"]
    client.login(username="office_staff", password=PASSWORD)
    pdf = client.get(reverse("worker:project_poster_pdf", args=[project.pk])).content
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "poster.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", "poster.pdf", "poster"], cwd=tmp, check=True)
        [decoded] = zxingcpp.read_barcodes(Image.open(Path(tmp, "poster.png")))
        text = subprocess.run(["pdftotext", "poster.pdf", "-"], cwd=tmp, check=True, capture_output=True, text=True).stdout
    assert decoded.text.startswith("https://wage.example.gov.cn/w/p/")
    path = decoded.text.removeprefix("https://wage.example.gov.cn")
    client.logout()
    assert "东城大道改造" in client.get(path).content.decode()
    assert "东城大道改造" in text


def test_commitment_letter_is_only_for_the_own_complaint(client, world, django_capture_on_commit_callbacks):
    import subprocess
    import tempfile
    from pathlib import Path

    case = file_complaint(client, django_capture_on_commit_callbacks, world)
    assert "下载承诺书" in client.get(reverse("worker:case", args=[case.number])).content.decode()
    response = client.get(reverse("worker:case_letter", args=[case.number]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "letter.pdf").write_bytes(response.content)
        text = subprocess.run(["pdftotext", "letter.pdf", "-"], cwd=tmp, check=True, capture_output=True, text=True).stdout
    assert case.number in text and "李四" in text and "https://wage.example.gov.cn/w/track/" in text.replace("\n", "")
    # A worker listed on someone else's complaint may track the case but gets no letter in
    # another person's name.
    from wagewatch.intake.services import WorkerInput

    other = register(world, workers=[WorkerInput(name="赵六", phone=PHONE_B)]).case
    listed = Client()
    grant_for(listed, django_capture_on_commit_callbacks, other, PHONE_B)
    assert "下载承诺书" not in listed.get(reverse("worker:case", args=[other.number])).content.decode()
    assert listed.get(reverse("worker:case_letter", args=[other.number])).status_code == 403


def test_a_repeat_complaint_joins_the_open_case(client, world, django_capture_on_commit_callbacks, later):
    case = file_complaint(client, django_capture_on_commit_callbacks, world)
    later(120)
    again = file_complaint(client, django_capture_on_commit_callbacks, world)
    assert again == case and Case.objects.count() == 1 and Complaint.objects.count() == 2
    assert Complaint.objects.latest("pk").relation == Complaint.Relation.REPEAT
    page = client.get(reverse("worker:complain_done")).content.decode()
    assert "已经在办理中" in page and case.number in page


def test_worker_pages_need_no_script(client, world, django_capture_on_commit_callbacks):
    case = file_complaint(client, django_capture_on_commit_callbacks, world)
    for url in (
        reverse("worker:start"),
        reverse("worker:complain"),
        reverse("worker:track"),
        reverse("worker:complain_done"),
        reverse("worker:case", args=[case.number]),
    ):
        page = client.get(url).content.decode()
        assert "<script" not in page and "http://" not in page.replace("http://testserver", ""), url
