"""The worker's phone pages at /w/ (no staff login): complain from a QR code, confirm the phone by
SMS code, track the case, add evidence, rate the outcome. Plus the staff-only QR posters.

Decisions worth knowing:

- Project QR codes carry "<id>-<MAC>" (a keyed HMAC of the id with its own salt, 12 base32
  characters), not the bare id or the project code: ids count up and codes follow a pattern, so
  enumerating either would list every site of the district and let anyone file "from" any project
  (which decides the routing). Posters never expire; a key rotation keeps them valid while the old
  key stays in SECRET_KEY_FALLBACKS. A bad token falls back to the general form.
- Between the form and the SMS code the pending complaint lives in the session, encrypted with the
  field key (it holds a name and a phone number); attached files wait in storage under
  `worker_pending/`. The phone never appears in a URL.
- The final POST runs through `idempotent_run` keyed by a one-time token from the session, with the
  code check inside: a resent or double-clicked POST waits for the first, finds its stored result
  and shows the same case, never a second registration.
- Tracking: number + phone → a code is sent only when the phone belongs to the case, but the page
  answers the same in every case (no oracle, also not through the SMS rate-limit messages). A
  verified code gives the session a grant for that case only: {case id, phone digest, expiry (2 h)},
  and every request re-checks that the digest is still a complainant or listed worker of the case.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
from dataclasses import replace
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.http import require_POST

from wagewatch.cases.models import Case, CaseDeadline, CaseState, DeadlineKind
from wagewatch.cases.services import case_worker_rate
from wagewatch.core.idempotency import idempotent_run, request_hash
from wagewatch.core.models import IdempotencyKey, Organisation, TimeLimit
from wagewatch.core.protected import PHONE, decrypt, encrypt, lookup_digest, mask
from wagewatch.history.selectors import timeline_for
from wagewatch.notify import clock
from wagewatch.notify.ratelimit import client_ip, rate_limit_count, rate_limit_hit, wait_message, window_bounds
from wagewatch.notify.services import CODE_INVALID_MESSAGE, sms_code_issue, sms_code_verify
from wagewatch.registry.models import Project
from wagewatch.registry.selectors import project_get

from .forms_worker import CodeForm, ComplaintForm, EvidenceForm, RatingForm, TrackForm, normalise_case_number
from .models import Channel, Complaint, ComplaintWorker, Evidence
from .services import ComplaintInput, complaint_clean, complaint_register, evidence_add

logger = logging.getLogger(__name__)

# ------------------------------------------------------------------------------------ settings

COMPLAINT_PURPOSE = "complaint"
TRACK_PURPOSE = "track"
GRANT_SECONDS = 2 * 3600
PENDING_SECONDS = 2 * 3600
MAX_GRANTS = 5
# A code sent less than this long ago is still good (it lives 5 minutes): going back to fix the
# form does not send another one, nor trip the one-code-a-minute limit.
CODE_REUSE_SECONDS = 4 * 60

# Rate limits (count, window seconds). Workers of one site may share an address (site Wi-Fi,
# carrier NAT), so the per-address limits leave room for a group.
COMPLAINTS_PER_IP = (10, 3600)
COMPLAINTS_PER_PHONE = (5, 86400)
COMPLAINT_CODE_CHECKS_PER_IP = (30, 600)
TRACK_LOOKUPS_PER_IP = (20, 600)
TRACK_CODE_CHECKS_PER_IP = (30, 600)
EVIDENCE_FILES_PER_CASE = (20, 86400)
RATINGS_PER_CASE = (10, 86400)

PENDING_KEY = "worker_complaint"
# Files attached to a form that came back with an error: kept so the worker need not pick them again.
DRAFT_FILES_KEY = "worker_complaint_files"
DONE_KEY = "worker_done"
TRACK_KEY = "worker_track"
GRANTS_KEY = "worker_grants"
STASH_DIR = "worker_pending"
STASH_KEEP_SECONDS = 86400

IDEMPOTENCY_OWNER = "worker-pages"
IDEMPOTENCY_ENDPOINT = "worker.complaint_register"
PROJECT_TOKEN_SALT = "wagewatch.intake.worker.project-qr"
PROJECT_MAC_LENGTH = 12
PROJECT_TOKEN_RE = re.compile(rf"(\d{{1,12}})-([a-z2-7]{{{PROJECT_MAC_LENGTH}}})")
DEFAULT_SITE_URL = "http://127.0.0.1:8000"
DEFAULT_OFFICE_NAME = "根治欠薪工作领导小组办公室"

NEUTRAL_SENT = "如果案件编号和手机号都正确,验证码已发到这个手机,5分钟内有效。"
NO_GRANT_MESSAGE = "请先输入案件编号和手机号,收到短信验证码后才能查看办理进度。"

# What a worker reads about the state of the case: (headline, what it means for them).
STATE_TEXTS: dict[str, tuple[str, str]] = {
    CaseState.REGISTERED: ("已登记", "您的投诉已登记,正在安排负责的单位。"),
    CaseState.DISPATCHED: ("已交给办理单位", "已交给负责的单位办理,他们会尽快和您联系,请保持电话畅通。"),
    CaseState.ACCEPTED: ("办理单位已接手", "负责的单位已经接手,正在安排人员办理。"),
    CaseState.VERIFYING: ("正在核实情况", "工作人员正在核实欠薪情况,可能会打电话向您了解,请保持电话畅通。"),
    CaseState.HANDLING: ("正在督促支付", "情况已经核实,正在督促老板(用人单位)支付工资。"),
    CaseState.RESOLVED: ("已处理,等待回访", "办理单位报告工资已经支付。工作人员会打电话回访,请如实说明是否拿到了工资。"),
    CaseState.CALLED_BACK: ("已回访", "已经回访,马上办结。"),
    CaseState.CLOSED: ("已办结", "这件事已经办结。如果还有问题,可以再次投诉。"),
    CaseState.RETURNED: ("正在重新安排", "正在重新安排负责的单位,办理期限不变。"),
    CaseState.REOPENED: ("重新办理中", "根据回访意见,正在重新办理。"),
    CaseState.MERGED: ("已合并办理", "和同一问题的其他投诉合并在一起办理。"),
}
STATE_TONES = {
    CaseState.RESOLVED: "good",
    CaseState.CALLED_BACK: "good",
    CaseState.CLOSED: "done",
    CaseState.RETURNED: "wait",
    CaseState.REOPENED: "wait",
}
RATEABLE_STATES = {CaseState.RESOLVED, CaseState.CALLED_BACK, CaseState.CLOSED}


def _now_ts() -> int:
    return int(clock.now().timestamp())


# ------------------------------------------------------------------------------------ helpers


def worker_site_url(path: str) -> str:
    """Absolute address of a worker page for QR codes and SMS (setting WORKER_SITE_URL)."""
    base = getattr(settings, "WORKER_SITE_URL", "") or DEFAULT_SITE_URL
    return base.rstrip("/") + path


def _project_mac(pk: int, secret) -> str:
    digest = salted_hmac(PROJECT_TOKEN_SALT, str(pk), secret=secret, algorithm="sha256").digest()
    return base64.b32encode(digest).decode().lower()[:PROJECT_MAC_LENGTH]


def project_token(project: Project) -> str:
    """"<id>-<12 letters/digits of a keyed MAC>": short enough to type from the poster by hand and
    to make a coarse QR code that scans from a distance, 60 bits against guessing."""
    return f"{project.pk}-{_project_mac(project.pk, settings.SECRET_KEY)}"


def project_from_token(token: str) -> Project | None:
    found = PROJECT_TOKEN_RE.fullmatch((token or "").strip().lower())
    if not found:
        return None
    pk, mac = int(found.group(1)), found.group(2)
    # Posters hang for years: a rotated key keeps them valid while it stays in SECRET_KEY_FALLBACKS.
    secrets_to_try = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(constant_time_compare(mac, _project_mac(pk, secret)) for secret in secrets_to_try):
        return None
    return Project.objects.select_related("territory", "general_contractor").filter(pk=pk).first()


def worker_label(phone: str) -> str:
    return "劳动者:" + mask(PHONE, phone)


def _ip_key(request) -> str:
    return "ip:" + (lookup_digest("ip", client_ip(request))[:32] or "unknown")


def _refusal(request, wait: int, message: str = "") -> HttpResponse:
    response = render(
        request, "intake/worker/limited.html", {"title": "操作太频繁", "message": message or wait_message(wait)}, status=429
    )
    response["Retry-After"] = str(max(1, wait))
    return response


def _limited(request, scope: str, rule: tuple[int, int], *, key: str | None = None, hits: int = 1) -> HttpResponse | None:
    """Count `hits` on the scope for this client (or `key`); a Chinese 429 page when over the limit."""
    limit, window = rule
    now = clock.now()
    full_key = f"worker:{scope}:{key or _ip_key(request)}"
    allowed = True
    for _ in range(max(1, hits)):
        allowed = rate_limit_hit(full_key, limit=limit, window_seconds=window, now=now) and allowed
    if allowed:
        return None
    _, end = window_bounds(window, now)
    return _refusal(request, end - int(now.timestamp()))


def _session_put(request, key: str, value: dict) -> None:
    # Encrypted with the field key: the session table must not hold names and phones in clear.
    request.session[key] = encrypt(json.dumps(value, ensure_ascii=False))


def _session_get(request, key: str) -> dict | None:
    raw = request.session.get(key)
    if not raw:
        return None
    try:
        value = json.loads(decrypt(raw))
    except Exception:  # noqa: BLE001 - a key rotation or a damaged session: start again
        request.session.pop(key, None)
        return None
    if value.get("expires", 0) < _now_ts():
        request.session.pop(key, None)
        return None
    return value


def _phone_in_case(case: Case, digest: str) -> bool:
    if not digest:
        return False
    return (
        Complaint.objects.filter(case=case, complainant_phone_digest=digest).exists()
        or ComplaintWorker.objects.filter(complaint__case=case, phone_digest=digest).exists()
    )


def _follow_merges(case: Case | None) -> Case | None:
    hops = 0
    while case is not None and case.state == CaseState.MERGED and case.merged_into_id and hops < 10:
        case = Case.objects.filter(pk=case.merged_into_id).first()
        hops += 1
    return case


def _case_for(number: str, digest: str) -> Case | None:
    """The case `number` (or the case it was merged into) when `digest` is one of its people."""
    case = _follow_merges(Case.objects.filter(number=number).first())
    if case is None or not _phone_in_case(case, digest):
        return None
    return case


def _grants(request) -> dict:
    now = _now_ts()
    grants = {n: g for n, g in (request.session.get(GRANTS_KEY) or {}).items() if g.get("exp", 0) > now}
    return grants


def _grant_add(request, case: Case, *, digest: str, masked: str) -> None:
    grants = _grants(request)
    grants.pop(case.number, None)
    grants[case.number] = {"case": case.pk, "digest": digest, "mask": masked, "exp": _now_ts() + GRANT_SECONDS}
    while len(grants) > MAX_GRANTS:
        grants.pop(next(iter(grants)))
    request.session[GRANTS_KEY] = grants
    request.session.cycle_key()  # a new session id once the phone is proven


def _granted(request, number: str) -> tuple[Case, dict] | None:
    """The case of a valid grant for `number` whose phone is still one of the case's people."""
    grant = _grants(request).get(number)
    if grant is None:
        return None
    case = Case.objects.select_related("lead_organisation").filter(pk=grant["case"], number=number).first()
    if case is None:
        return None
    if case.state == CaseState.MERGED:
        target = _follow_merges(case)
        if target is not None and target.pk != case.pk and _phone_in_case(target, grant["digest"]):
            return target, grant
        return None
    if not _phone_in_case(case, grant["digest"]):
        return None
    return case, grant


def _no_grant(request) -> HttpResponse:
    return render(request, "intake/worker/no_grant.html", {"message": NO_GRANT_MESSAGE}, status=403)


def _office_for_path(path: str) -> Organisation | None:
    offices = list(Organisation.objects.filter(kind=Organisation.Kind.WAGE_ARREARS_OFFICE, is_active=True).select_related("territory"))
    covering = [o for o in offices if path.startswith(o.territory.path)]
    if covering:
        return max(covering, key=lambda o: len(o.territory.path))
    return min(offices, key=lambda o: len(o.territory.path)) if offices else None


def _time_limit_text(key: str = DeadlineKind.CLOSE) -> str:
    limit = TimeLimit.objects.filter(key=key).first()
    if limit is None:
        return "7个工作日"
    words = {TimeLimit.Unit.WORKING_DAYS: "个工作日", TimeLimit.Unit.CALENDAR_DAYS: "天", TimeLimit.Unit.HOURS: "小时"}
    return f"{limit.amount}{words.get(limit.unit, limit.get_unit_display())}"


def _date_words(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local.year}年{local.month}月{local.day}日"


def _commitment_summary(case: Case, office: Organisation | None) -> dict:
    close = (
        case.deadlines.filter(kind=DeadlineKind.CLOSE).exclude(status=CaseDeadline.Status.CANCELLED).order_by("-started_at").first()
    )
    office_name = office.name if office else DEFAULT_OFFICE_NAME
    text = f"{office_name}承诺:您反映的欠薪问题已于{_date_words(case.received_at)}受理,自受理之日起{_time_limit_text()}内办结"
    if close is not None:
        text += f"(即{_date_words(close.due_at)}前{',日期为暂定' if close.provisional else ''})"
    text += "。办理进展会用短信告诉您,您也可以随时凭案件编号和手机号查询。"
    return {"text": text, "office_name": office_name, "office_phone": office.phone_display if office else ""}


def _unit_info(case: Case) -> dict:
    """Who handles the case now and how to reach them (the office while nobody is assigned)."""
    office = _office_for_path(case.territory_path)
    if case.lead_organisation_id and case.state not in {CaseState.RETURNED, CaseState.REGISTERED}:
        unit = case.lead_organisation
        return {"name": unit.name, "phone": unit.phone_display or (office.phone_display if office else ""), "office": office}
    return {"name": office.name if office else DEFAULT_OFFICE_NAME, "phone": office.phone_display if office else "", "office": office}


def _stars(rating) -> str:
    try:
        n = int(rating)
    except (TypeError, ValueError):
        return ""
    return "★" * n + "☆" * (5 - n)


# Events of a case the worker may see, in plain words. Anything not listed (staff notes, deadlines,
# escalations, other complainants' uploads) stays off their timeline.
EVENT_TEXTS = {
    "case.first_contact": "工作人员已和投诉人联系",
    "case.verify": "开始核实欠薪情况",
    "case.handle": "情况已核实,正在督促支付工资",
    "case.resolve": "办理单位报告:工资已支付",
    "case.callback": "工作人员已回访",
    "case.close": "已办结",
    "case.reopen": "重新办理",
    "case.merged_in": "同一问题的其他投诉合并到本案一起办理",
}
OWN_EVENT_TEXTS = {"case.evidence_added": "您补充了证据材料", "case.worker_rated": "您评价了办理结果 {stars}"}


def worker_timeline(case: Case, label: str) -> list[dict]:
    """The case's history in plain words, newest first: only what the worker may know (no staff
    notes, no names of staff, nothing another complainant did)."""
    rows = []
    unit = ""
    for event in timeline_for(case, limit=500):
        action = event.action
        try:
            payload = event.payload_data
        except ValueError:
            payload = {}
        if action == "case.registered":
            text = f"投诉已登记,案件编号{payload.get('number') or case.number}"
        elif action == "case.dispatch":
            unit = payload.get("lead") or ""
            text = f"已交给{unit or '负责的单位'}办理"
        elif action == "case.accept":
            text = f"{unit or '办理单位'}已接手"
        elif action == "case.return":
            unit, text = "", "正在重新安排负责的单位"
        elif action in OWN_EVENT_TEXTS:
            text = OWN_EVENT_TEXTS[action].format(stars=_stars(payload.get("rating"))) if event.actor_label == label else ""
        else:
            text = EVENT_TEXTS.get(action, "")
        if text:
            rows.append({"at": event.recorded_at, "text": text})
    rows.reverse()
    return rows


# ------------------------------------------------------------------------------------ file stash


def _stash_files(files, stash: str, start: int) -> list[dict]:
    from wagewatch.documents.uploads import evidence_validate

    saved = []
    for index, upload in enumerate(files, start=start):
        info = evidence_validate(upload)
        path = default_storage.save(f"{STASH_DIR}/{stash}/{index}.{info.extension}", upload)
        saved.append({"path": path, "name": (upload.name or "")[-100:], "size": info.size})
    return saved


def _stash_delete(entries: list[dict]) -> None:
    for entry in entries or []:
        try:
            default_storage.delete(entry["path"])
        except Exception as exc:  # noqa: BLE001 - a leftover file is purged later
            logger.warning("暂存的投诉材料未能删除 %s: %s", entry.get("path"), exc)


def _stash_purge_old() -> None:
    """Delete files of forms abandoned more than a day ago (never submitted)."""
    try:
        folders, _ = default_storage.listdir(STASH_DIR)
    except (FileNotFoundError, NotImplementedError, OSError):
        return
    cutoff = timezone.now().timestamp() - STASH_KEEP_SECONDS
    for folder in folders:
        try:
            _, names = default_storage.listdir(f"{STASH_DIR}/{folder}")
            for name in names:
                path = f"{STASH_DIR}/{folder}/{name}"
                if default_storage.get_modified_time(path).timestamp() < cutoff:
                    default_storage.delete(path)
        except (FileNotFoundError, NotImplementedError, OSError):
            continue


# ------------------------------------------------------------------------------------ pages


def start(request):
    return render(request, "intake/worker/start.html", {"project": None, "complain_url": reverse("worker:complain")})


def project_start(request, token: str):
    project = project_from_token(token)
    if project is None:
        return render(
            request,
            "intake/worker/start.html",
            {"project": None, "complain_url": reverse("worker:complain"), "notice": "这个二维码已失效,请直接填写投诉,选择干活的地方即可。"},
        )
    return render(
        request,
        "intake/worker/start.html",
        {"project": project, "complain_url": reverse("worker:project_complain", args=[token])},
    )


def _complaint_input(data: dict, project_id: int | None) -> ComplaintInput:
    territory = data.get("territory_id")
    return ComplaintInput(
        complainant_name=data.get("complainant_name", ""),
        complainant_phone=data.get("complainant_phone", ""),
        employer_name=data.get("employer_name", ""),
        worker_count=data.get("worker_count") or 1,
        amount_owed=data.get("amount_owed") or None,
        period_start=data.get("period_start") or None,
        project_id=project_id,
        project_name=data.get("project_name", ""),
        site_address=data.get("site_address", ""),
        territory_id=int(territory) if territory and not project_id else None,
        subcontracting_chain=data.get("subcontracting_chain", ""),
        description=data.get("description", ""),
        legal_aid_requested=bool(data.get("legal_aid_requested")),
    )


# Service field names that are not fields of the worker's form, and where their errors go.
_FIELD_FOR_ERROR = {"project_id": None, "industry": None, "employer_credit_code": None, "period_end": "period_start"}


def _errors_to_form(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for name, errors in exc.message_dict.items():
        target = _FIELD_FOR_ERROR.get(name, name)
        if target is not None and target not in form.fields:
            target = None
        for message in errors:
            form.add_error(target, message)


def complain(request, token: str | None = None):
    project = None
    if token is not None:
        project = project_from_token(token)
        if project is None:
            messages.warning(request, "这个二维码已失效,请直接填写投诉,选择干活的地方即可。")
            return redirect("worker:complain")
    pending = _session_get(request, PENDING_KEY)
    project_pk = project.pk if project else None
    same = pending if pending and pending.get("project") == project_pk else None
    draft = _session_get(request, DRAFT_FILES_KEY)
    if draft and draft.get("project") != project_pk:
        draft = None
    kept = (list(same["files"]) if same else []) + (list(draft["files"]) if draft else [])
    stashed = len(kept)
    status = 200
    if request.method == "POST":
        form = ComplaintForm(request.POST, request.FILES, project=project, stashed_files=stashed)
        if form.is_valid():
            data = form.complaint_data()
            try:
                complaint_clean(_complaint_input(data, project_pk))
            except ValidationError as exc:
                _errors_to_form(form, exc)
        if not form.errors:
            refused = _limited(request, "complaint", COMPLAINTS_PER_IP)
            if refused is not None:
                return refused
            phone = data["complainant_phone"]
            digest = lookup_digest(PHONE, phone)
            limit, window = COMPLAINTS_PER_PHONE
            if rate_limit_count(f"worker:complaints_phone:{digest}", window_seconds=window) >= limit:
                _, end = window_bounds(window, clock.now())
                return _refusal(request, end - _now_ts(), f"这个手机号今天已经提交了{limit}次投诉,请明天再试,或拨打12345反映。")
            now = _now_ts()
            code_at = 0
            if same and same["data"].get("complainant_phone") == phone and now - same.get("code_at", 0) < CODE_REUSE_SECONDS:
                code_at = same["code_at"]
            else:
                try:
                    sms_code_issue(phone=phone, purpose=COMPLAINT_PURPOSE, client_ip=client_ip(request) or None)
                    code_at = now
                except ValidationError as exc:
                    form.add_error(None, exc.messages[0])
                    status = 429
            if not form.errors:
                if pending and pending is not same:
                    _stash_delete(pending.get("files"))
                stash = same["stash"] if same else (draft["stash"] if draft else secrets.token_hex(8))
                files = list(kept)
                files += _stash_files(form.cleaned_data.get("files") or [], stash, start=_next_index(files))
                _stash_purge_old()
                request.session.pop(DRAFT_FILES_KEY, None)
                _session_put(
                    request,
                    PENDING_KEY,
                    {
                        "data": data,
                        "project": project_pk,
                        "files": files,
                        "stash": stash,
                        "token": secrets.token_urlsafe(24),
                        "code_at": code_at,
                        "expires": now + PENDING_SECONDS,
                    },
                )
                return redirect("worker:complain_confirm")
        elif form.is_bound:
            status = 400
            kept += _keep_draft_files(request, form, draft, project_pk, kept)
    else:
        form = ComplaintForm(initial=dict(same["data"]) if same else None, project=project, stashed_files=stashed)
    return render(
        request,
        "intake/worker/complain.html",
        {"form": form, "project": project, "stashed": kept},
        status=status,
    )


def _next_index(files: list[dict]) -> int:
    """File names in a stash are numbered; a draft's files and the form's new ones never collide."""
    numbers = [int(re.sub(r"\D", "", entry["path"].rsplit("/", 1)[-1].split(".")[0]) or 0) for entry in files]
    return max(numbers, default=0) + 1


def _keep_draft_files(request, form, draft, project_pk, kept) -> list[dict]:
    """A form that came back with an error keeps the files it carried (when they themselves were
    accepted): the worker corrects the field and submits without choosing the photos again."""
    if "files" in form.errors or not form.cleaned_data.get("files"):
        return []
    stash = draft["stash"] if draft else secrets.token_hex(8)
    try:
        added = _stash_files(form.cleaned_data["files"], stash, start=_next_index(kept))
    except ValidationError:
        return []
    files = (list(draft["files"]) if draft else []) + added
    _session_put(request, DRAFT_FILES_KEY, {"project": project_pk, "stash": stash, "files": files, "expires": _now_ts() + PENDING_SECONDS})
    return added


def _stored_registration(token: str) -> dict | None:
    if not token:
        return None
    row = IdempotencyKey.objects.filter(owner=IDEMPOTENCY_OWNER, endpoint=IDEMPOTENCY_ENDPOINT, key=token[:128]).first()
    if row is None or row.request_hash != request_hash({"token": token}):
        return None
    return row.response


def _register_pending(pending: dict, code: str) -> tuple[int, dict]:
    """Check the code and register, in the idempotency transaction (so a concurrent copy of the
    request waits on the code row, then finds this one's stored result)."""
    data = pending["data"]
    phone = data["complainant_phone"]
    if not sms_code_verify(phone=phone, purpose=COMPLAINT_PURPOSE, code=code):
        return 400, {"error": "code"}
    limit, window = COMPLAINTS_PER_PHONE
    if not rate_limit_hit(f"worker:complaints_phone:{lookup_digest(PHONE, phone)}", limit=limit, window_seconds=window):
        return 429, {"error": "phone_limit"}
    actor = worker_label(phone)
    # Dispatched the same day by the routing rules (recorded as the system); a complaint no rule
    # can route stays registered for the office, with the reason on its timeline.
    result = complaint_register(
        actor=actor, channel=Channel.WORKER_PHONE, data=_complaint_input(data, pending.get("project")), dispatch=True
    )
    for entry in pending.get("files") or []:
        try:
            handle = default_storage.open(entry["path"], "rb")
        except (FileNotFoundError, OSError):
            logger.warning("暂存的投诉材料已不存在: %s", entry.get("path"))
            continue
        with handle:
            evidence_add(
                actor=actor,
                case=result.case,
                uploaded_file=File(handle, name=entry.get("name") or "upload"),
                purpose=Evidence.Purpose.COMPLAINT,
                complaint=result.complaint,
                by_worker=True,
            )
    return 201, {
        "case_id": result.case.pk,
        "case_number": result.case.number,
        "complaint_number": result.complaint.number,
        "case_created": result.case_created,
    }


def _complaint_finished(request, body: dict, *, phone: str, pending: dict | None) -> HttpResponse:
    case = Case.objects.get(pk=body["case_id"])
    _grant_add(request, case, digest=lookup_digest(PHONE, phone), masked=mask(PHONE, phone))
    request.session[DONE_KEY] = {
        "case": case.pk,
        "complaint": body.get("complaint_number", ""),
        "created": bool(body.get("case_created", True)),
        "files": len((pending or {}).get("files") or []),
    }
    if pending is not None:
        request.session.pop(PENDING_KEY, None)
        _stash_delete(pending.get("files"))
    return redirect("worker:complain_done")


def complain_confirm(request):
    pending = _session_get(request, PENDING_KEY)
    if pending is None:
        if request.session.get(DONE_KEY):
            return redirect("worker:complain_done")
        messages.info(request, "请先填写投诉内容。")
        return redirect("worker:complain")
    phone = pending["data"]["complainant_phone"]
    project = Project.objects.filter(pk=pending["project"]).first() if pending.get("project") else None
    form = CodeForm(initial={"token": pending["token"]})
    status = 200
    resend_error = ""
    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            sms_code_issue(phone=phone, purpose=COMPLAINT_PURPOSE, client_ip=client_ip(request) or None)
        except ValidationError as exc:
            resend_error = exc.messages[0]
            status = 429
        else:
            pending["code_at"] = _now_ts()
            _session_put(request, PENDING_KEY, pending)
            messages.success(request, "验证码已重新发送。")
            return redirect("worker:complain_confirm")
    elif request.method == "POST":
        refused = _limited(request, "complaint_code", COMPLAINT_CODE_CHECKS_PER_IP)
        if refused is not None:
            return refused
        form = CodeForm(request.POST, initial={"token": pending["token"]})
        if form.is_valid():
            token = form.cleaned_data["token"] or ""
            if token != pending["token"]:
                # A page from before the form was changed: a registration it made stands.
                found = _stored_registration(token)
                if found is not None:
                    return redirect("worker:complain_done") if request.session.get(DONE_KEY) else redirect("worker:track")
                form.add_error(None, "页面已过期,请核对下面的内容后重新提交。")
                status = 400
            else:
                try:
                    result = idempotent_run(
                        owner=IDEMPOTENCY_OWNER,
                        endpoint=IDEMPOTENCY_ENDPOINT,
                        key=token,
                        payload={"token": token},
                        run=partial(_register_pending, pending, form.cleaned_data["code"]),
                    )
                except ValidationError as exc:
                    for message in exc.messages:
                        form.add_error(None, message)
                    form.add_error(None, "请返回修改后再提交。")
                    status = 400
                else:
                    body, code_status = result.body, result.status_code
                    if code_status == 400:
                        # A copy of this request may have just registered with the same code.
                        found = _stored_registration(token)
                        if found is not None:
                            body, code_status = found, 201
                    if code_status == 429:
                        limit, window = COMPLAINTS_PER_PHONE
                        _, end = window_bounds(window, clock.now())
                        return _refusal(request, end - _now_ts(), f"这个手机号今天已经提交了{limit}次投诉,请明天再试,或拨打12345反映。")
                    if 200 <= code_status < 300:
                        return _complaint_finished(request, body, phone=phone, pending=pending)
                    form.add_error("code", CODE_INVALID_MESSAGE)
                    status = 400
        else:
            status = 400
    return render(
        request,
        "intake/worker/complain_confirm.html",
        {
            "form": form,
            "resend_error": resend_error,
            "data": pending["data"],
            "project": project,
            "phone_masked": mask(PHONE, phone),
            "files": pending.get("files") or [],
            "edit_url": reverse("worker:project_complain", args=[project_token(project)]) if project else reverse("worker:complain"),
        },
        status=status,
    )


def complain_done(request):
    done = request.session.get(DONE_KEY)
    if not done:
        return redirect("worker:start")
    case = Case.objects.select_related("lead_organisation").filter(pk=done["case"]).first()
    if case is None:
        return redirect("worker:start")
    unit = _unit_info(case)
    return render(
        request,
        "intake/worker/complain_done.html",
        {
            "case": case,
            "created": done.get("created", True),
            "files": done.get("files", 0),
            "state": STATE_TEXTS.get(case.state, (case.get_state_display(), "")),
            "deadline": case.next_deadline_text(),
            "unit": unit,
            "commitment": _commitment_summary(case, unit["office"]),
        },
    )


# ------------------------------------------------------------------------------------ tracking


def track(request):
    form = TrackForm(request.POST or None)
    status = 200
    if request.method == "POST":
        refused = _limited(request, "track", TRACK_LOOKUPS_PER_IP)
        if refused is not None:
            return refused
        if form.is_valid():
            number, phone = form.cleaned_data["number"], form.cleaned_data["phone"]
            digest = lookup_digest(PHONE, phone)
            case = _case_for(number, digest)
            grant = _grants(request).get(case.number) if case is not None else None
            if case is not None and grant is not None and grant["digest"] == digest:
                return redirect("worker:case", number=case.number)
            if case is not None:
                try:
                    sms_code_issue(phone=phone, purpose=TRACK_PURPOSE, client_ip=client_ip(request) or None)
                except ValidationError:
                    # Said nowhere: a "wait a minute" here would tell a stranger the pair is right.
                    pass
            _session_put(
                request,
                TRACK_KEY,
                {"number": number, "phone": phone, "case": case.pk if case else None, "expires": _now_ts() + 1800},
            )
            return redirect("worker:track_confirm")
        status = 400
    return render(request, "intake/worker/track.html", {"form": form}, status=status)


def track_confirm(request):
    pending = _session_get(request, TRACK_KEY)
    if pending is None:
        return redirect("worker:track")
    form = CodeForm()
    status = 200
    if request.method == "POST" and request.POST.get("action") == "resend":
        refused = _limited(request, "track", TRACK_LOOKUPS_PER_IP)
        if refused is not None:
            return refused
        if pending.get("case"):
            try:
                sms_code_issue(phone=pending["phone"], purpose=TRACK_PURPOSE, client_ip=client_ip(request) or None)
            except ValidationError:
                pass
        messages.info(request, "如果案件编号和手机号都正确,新的验证码已发出。")
        return redirect("worker:track_confirm")
    if request.method == "POST":
        refused = _limited(request, "track_code", TRACK_CODE_CHECKS_PER_IP)
        if refused is not None:
            return refused
        form = CodeForm(request.POST)
        if form.is_valid():
            case = Case.objects.filter(pk=pending["case"]).first() if pending.get("case") else None
            digest = lookup_digest(PHONE, pending["phone"])
            if (
                case is not None
                and sms_code_verify(phone=pending["phone"], purpose=TRACK_PURPOSE, code=form.cleaned_data["code"])
                and _phone_in_case(case, digest)
            ):
                _grant_add(request, case, digest=digest, masked=mask(PHONE, pending["phone"]))
                request.session.pop(TRACK_KEY, None)
                return redirect("worker:case", number=case.number)
            form.add_error("code", CODE_INVALID_MESSAGE)
        status = 400
    return render(
        request,
        "intake/worker/track_confirm.html",
        {"form": form, "number": pending["number"], "phone_masked": mask(PHONE, pending["phone"]), "neutral": NEUTRAL_SENT},
        status=status,
    )


def case_entry(request):
    grants = _grants(request)
    if not grants:
        return redirect("worker:track")
    newest = max(grants.items(), key=lambda item: item[1]["exp"])[0]
    return redirect("worker:case", number=newest)


def _case_context(request, case: Case, grant: dict) -> dict:
    label = "劳动者:" + grant["mask"]
    unit = _unit_info(case)
    mine = list(Complaint.objects.filter(case=case, complainant_phone_digest=grant["digest"]).values_list("pk", flat=True))
    mine += list(ComplaintWorker.objects.filter(complaint__case=case, phone_digest=grant["digest"]).values_list("complaint_id", flat=True))
    evidence = list(Evidence.objects.filter(case=case, uploaded_by_worker=True, complaint_id__in=mine).order_by("uploaded_at"))
    may_rate = case.state in RATEABLE_STATES and (
        case.worker_rating is None or (case.resolved_at is not None and case.worker_rated_at is not None and case.worker_rated_at < case.resolved_at)
    )
    headline, meaning = STATE_TEXTS.get(case.state, (case.get_state_display(), ""))
    return {
        "case": case,
        "grant": grant,
        "headline": headline,
        "meaning": meaning,
        "tone": STATE_TONES.get(case.state, "work"),
        "deadline": case.next_deadline_text(),
        "unit": unit,
        "timeline": worker_timeline(case, label),
        "evidence": evidence,
        "may_upload": case.is_open,
        "may_rate": may_rate,
        "stars": _stars(case.worker_rating) if case.worker_rating else "",
        "letter_available": _letter_is_theirs(case, grant["digest"]),
        "evidence_form": EvidenceForm(),
        "rating_form": RatingForm(),
    }


def case_detail(request, number: str):
    number = normalise_case_number(number)
    found = _granted(request, number)
    if found is None:
        return _no_grant(request)
    case, grant = found
    if case.number != number:
        # Merged into another case: the grant follows the worker's complaint.
        _grant_add(request, case, digest=grant["digest"], masked=grant["mask"])
        messages.info(request, f"案件{number}已和同一问题的其他投诉合并,现在按案件{case.number}一起办理。")
        return redirect("worker:case", number=case.number)
    return render(request, "intake/worker/case.html", _case_context(request, case, grant))


@require_POST
def case_evidence(request, number: str):
    number = normalise_case_number(number)
    found = _granted(request, number)
    if found is None or found[0].number != number:
        return _no_grant(request)
    case, grant = found
    if not case.is_open:
        messages.error(request, "这件事已经办结,不能再上传材料。如果还有问题,可以再次投诉。")
        return redirect("worker:case", number=number)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        files = form.cleaned_data["files"]
        refused = _limited(request, "evidence", EVIDENCE_FILES_PER_CASE, key=f"case:{case.pk}", hits=len(files))
        if refused is not None:
            return refused
        digest = grant["digest"]
        complaint = (
            Complaint.objects.filter(case=case, complainant_phone_digest=digest).order_by("-received_at").first()
            or Complaint.objects.filter(case=case, workers__phone_digest=digest).order_by("-received_at").first()
        )
        try:
            with transaction.atomic():
                for upload in files:
                    evidence_add(
                        actor="劳动者:" + grant["mask"],
                        case=case,
                        uploaded_file=upload,
                        purpose=Evidence.Purpose.COMPLAINT,
                        description=form.cleaned_data.get("description", ""),
                        complaint=complaint,
                        by_worker=True,
                    )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, f"已上传{len(files)}个文件,办理单位可以看到。")
            return redirect(reverse("worker:case", kwargs={"number": number}) + "#evidence")
    context = _case_context(request, case, grant)
    context["evidence_form"] = form
    return render(request, "intake/worker/case.html", context, status=400)


@require_POST
def case_rate(request, number: str):
    number = normalise_case_number(number)
    found = _granted(request, number)
    if found is None or found[0].number != number:
        return _no_grant(request)
    case, grant = found
    refused = _limited(request, "rating", RATINGS_PER_CASE, key=f"case:{case.pk}")
    if refused is not None:
        return refused
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            case_worker_rate(
                worker_label="劳动者:" + grant["mask"],
                case=case,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data.get("comment", ""),
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "谢谢您的评价!")
            return redirect("worker:case", number=number)
    context = _case_context(request, case, grant)
    context["rating_form"] = form
    context["may_rate"] = True
    return render(request, "intake/worker/case.html", context, status=400)


def case_letter(request, number: str):
    """The commitment letter (PDF) of the worker's own complaint (not of another complainant's)."""
    from wagewatch.cases.documents import commitment_letter_for
    from wagewatch.documents.pdf import commitment_letter_pdf

    number = normalise_case_number(number)
    found = _granted(request, number)
    if found is None or found[0].number != number or not _letter_is_theirs(found[0], found[1]["digest"]):
        return _no_grant(request)
    case = found[0]
    letter = replace(commitment_letter_for(case), track_url=worker_site_url(reverse("worker:track")))
    return _pdf(commitment_letter_pdf(letter), f"commitment-{case.number}.pdf")


def _letter_is_theirs(case: Case, digest: str) -> bool:
    origin = case.complaints.filter(relation=Complaint.Relation.ORIGIN).order_by("received_at", "pk").first()
    return origin is not None and origin.complainant_phone_digest == digest


@require_POST
def leave(request):
    """Forget this phone's grants and forms (a borrowed phone)."""
    pending = _session_get(request, PENDING_KEY)
    if pending:
        _stash_delete(pending.get("files"))
    draft = _session_get(request, DRAFT_FILES_KEY)
    if draft:
        _stash_delete(draft.get("files"))
    for key in (PENDING_KEY, DONE_KEY, TRACK_KEY, GRANTS_KEY):
        request.session.pop(key, None)
    messages.info(request, "已退出。再次查询需要重新获取验证码。")
    return redirect("worker:start")


# ------------------------------------------------------------------------------------ QR posters (staff)


def _poster_for(request, project: Project | None):
    from wagewatch.documents.data import QrPoster

    if project is None:
        office = _office_for_path("")
        url = worker_site_url(reverse("worker:start"))
        return QrPoster(url=url, office_name=office.name if office else DEFAULT_OFFICE_NAME, office_phone=office.phone_display if office else "")
    office = _office_for_path(project.territory.path)
    url = worker_site_url(reverse("worker:project", args=[project_token(project)]))
    return QrPoster(
        url=url,
        office_name=office.name if office else DEFAULT_OFFICE_NAME,
        project_name=project.name,
        site_address=project.site_address,
        project_code=project.code,
        office_phone=office.phone_display if office else "",
    )


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
def poster_pdf(request):
    from wagewatch.documents.pdf import qr_poster_pdf

    return _pdf(qr_poster_pdf(_poster_for(request, None)), "qr-poster.pdf")


@login_required
def project_poster_pdf(request, project_pk: int):
    from wagewatch.documents.pdf import qr_poster_pdf

    project = project_get(user=request.user, pk=project_pk)
    return _pdf(qr_poster_pdf(_poster_for(request, project)), f"qr-poster-{project.code}.pdf")


@login_required
def poster_preview(request, project_pk: int | None = None):
    from django.utils.safestring import mark_safe

    from wagewatch.documents.qr import qr_svg

    project = project_get(user=request.user, pk=project_pk) if project_pk is not None else None
    poster = _poster_for(request, project)
    return render(
        request,
        "intake/worker/poster_preview.html",
        {
            "project": project,
            "poster": poster,
            "svg": mark_safe(qr_svg(poster.url, title="扫码投诉欠薪")),  # noqa: S308 - generated by segno from our own URL
            "pdf_url": reverse("worker:project_poster_pdf", args=[project.pk]) if project else reverse("worker:poster_pdf"),
        },
    )
