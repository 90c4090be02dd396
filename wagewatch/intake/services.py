"""Registering complaints: one register for every channel.

`complaint_register` validates everything first (Chinese messages per field), then in one
transaction: finds the employer and project, checks for duplicates, creates the complaint and
either opens a case (number, opening deadlines, major-case flag) or links it to an open case, and
records both in the history; with `dispatch=True` it also dispatches by the routing rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wagewatch.cases import numbers
from wagewatch.cases.models import OPEN_STATES, Case, CaseState
from wagewatch.cases.routing import route
from wagewatch.cases.services import case_open, major_reason_for
from wagewatch.cases.signals import case_transitioned
from wagewatch.core.models import Industry, Territory, TimeLimit, User
from wagewatch.core.protected import ID_NUMBER, PHONE, lookup_digest, mask, validate_id_number, validate_phone
from wagewatch.core.values import amount_check, date_check, received_at_check
from wagewatch.history.services import events_append
from wagewatch.registry.models import Enterprise, Project
from wagewatch.registry.rules import clean_credit_code, normalise_name

from .models import Channel, Complaint, ComplaintWorker

MAX_AMOUNT = Decimal("999999999999.99")


@dataclass
class WorkerInput:
    name: str
    phone: str = ""
    id_number: str = ""
    amount_owed: Decimal | str | None = None


@dataclass
class ComplaintInput:
    """What a complaint records (DOMAIN.md §1). Strings as typed; the service cleans them."""

    complainant_name: str
    complainant_phone: str
    employer_name: str
    complainant_id_number: str = ""
    worker_count: int | str | None = 1
    amount_owed: Decimal | str | None = None
    period_start: date | str | None = None
    period_end: date | str | None = None
    employer_credit_code: str = ""
    project_id: int | None = None
    project_name: str = ""
    site_address: str = ""
    territory_id: int | None = None
    industry: str = ""
    subcontracting_chain: str = ""
    description: str = ""
    legal_aid_requested: bool = False
    workers: list[WorkerInput] = field(default_factory=list)


@dataclass
class DuplicateCandidate:
    case: Case
    reasons: list[str]
    same_party: bool  # same employer, project or site
    same_people: bool  # a complainant or worker in common (ID or phone)

    @property
    def is_repeat(self) -> bool:
        return self.same_party and self.same_people


@dataclass
class RegistrationResult:
    complaint: Complaint
    case: Case
    case_created: bool
    complaint_created: bool = True
    duplicates: list[DuplicateCandidate] = field(default_factory=list)
    dispatch_note: str = ""  # why a requested dispatch did not happen (no unit found)


# ---------------------------------------------------------------- cleaning


@dataclass
class _Clean:
    data: ComplaintInput
    phone: str
    id_number: str
    worker_count: int
    amount: Decimal
    period_start: date | None
    period_end: date | None
    credit_code: str
    employer: Enterprise | None
    employer_name: str
    employer_norm: str
    project: Project | None
    territory: Territory | None
    industry: str
    workers: list[tuple[WorkerInput, str, str, Decimal | None]]


def _date(value, field_name: str, label: str, errors: dict) -> date | None:
    parsed = _date_parse(value, field_name, label, errors)
    if parsed is None:
        return None
    try:
        return date_check(parsed)
    except ValueError as exc:
        errors.setdefault(field_name, []).append(f"{label}{exc}")
        return None


def _date_parse(value, field_name: str, label: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        try:
            return datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            errors.setdefault(field_name, []).append(f"{label}格式应为 YYYY-MM-DD(例如 2026-10-01)")
            return None


def _amount(value, field_name: str, label: str, errors: dict, *, required: bool) -> Decimal | None:
    if value in (None, ""):
        if required:
            errors.setdefault(field_name, []).append(f"请填写{label}(单位:元,不清楚可填估计数)")
        return None
    try:
        return amount_check(value)
    except ValueError as exc:
        errors.setdefault(field_name, []).append(f"{label}{exc}")
        return None


def complaint_clean(data: ComplaintInput) -> _Clean:
    """Check every field and report all problems at once (ValidationError by field)."""
    errors: dict[str, list[str]] = {}
    name = (data.complainant_name or "").strip()
    if not name:
        errors.setdefault("complainant_name", []).append("请填写投诉人姓名")
    elif len(name) > 50:
        errors.setdefault("complainant_name", []).append("投诉人姓名不超过50个字")
    data.complainant_name = name
    phone = ""
    try:
        phone = validate_phone(data.complainant_phone or "")
    except ValidationError as exc:
        errors.setdefault("complainant_phone", []).append(exc.messages[0] if data.complainant_phone else "请填写投诉人手机号,用于联系和查询进度")
    id_number = ""
    if (data.complainant_id_number or "").strip():
        try:
            id_number = validate_id_number(data.complainant_id_number)
        except ValidationError as exc:
            errors.setdefault("complainant_id_number", []).append(exc.messages[0])
    worker_count = 1
    try:
        worker_count = int(data.worker_count if data.worker_count not in (None, "") else 1)
        if worker_count < 1 or worker_count > 100000:
            raise ValueError
    except (TypeError, ValueError):
        errors.setdefault("worker_count", []).append("涉及人数应为1以上的整数")
    amount = _amount(data.amount_owed, "amount_owed", "欠薪金额", errors, required=True) or Decimal("0")
    period_start = _date(data.period_start, "period_start", "欠薪期间起", errors)
    period_end = _date(data.period_end, "period_end", "欠薪期间止", errors)
    if period_start and period_end and period_start > period_end:
        errors.setdefault("period_end", []).append("欠薪期间止不能早于欠薪期间起")
    if period_start and period_start > timezone.localdate():
        errors.setdefault("period_start", []).append("欠薪期间起不能晚于今天")
    credit_code = ""
    if (data.employer_credit_code or "").strip():
        try:
            credit_code = clean_credit_code(data.employer_credit_code) or ""
        except ValidationError as exc:
            errors.setdefault("employer_credit_code", []).append(exc.messages[0] + "(不清楚可不填)")
    project = None
    if data.project_id:
        project = Project.objects.select_related("territory", "general_contractor").filter(pk=data.project_id).first()
        if project is None:
            errors.setdefault("project_id", []).append("所选项目不存在,请重新选择或只填写项目名称")
    employer = None
    if credit_code:
        employer = Enterprise.objects.select_related("territory").filter(credit_code=credit_code).first()
    employer_name = (data.employer_name or "").strip()
    if not employer_name and employer is not None:
        employer_name = employer.name
    if not employer_name and project is not None and project.general_contractor_id:
        employer_name = project.general_contractor.name
    if not employer_name:
        errors.setdefault("employer_name", []).append("请填写欠薪单位(老板或公司)名称,不知道全称可填简称或老板姓名")
    elif len(employer_name) > 200:
        errors.setdefault("employer_name", []).append("欠薪单位名称不超过200个字")
    employer_norm = normalise_name(employer_name)[:200] if employer_name else ""
    if employer is None and employer_norm:
        matches = list(Enterprise.objects.select_related("territory").filter(name_normalised=employer_norm)[:2])
        if len(matches) == 1:
            employer = matches[0]
    territory = None
    if data.territory_id:
        territory = Territory.objects.filter(pk=data.territory_id).first()
        if territory is None:
            errors.setdefault("territory_id", []).append("所选辖区不存在")
    if territory is None and project is not None:
        territory = project.territory
    if territory is None and employer is not None:
        territory = employer.territory
    if territory is None and "territory_id" not in errors:
        errors.setdefault("territory_id", []).append("请选择欠薪发生地所在的街道(乡镇)")
    industry = (data.industry or "").strip() or (project.industry if project else "") or (employer.industry if employer else "") or Industry.OTHER
    if industry not in Industry.values:
        errors.setdefault("industry", []).append("行业不在可选范围内")
    for key, limit in (("project_name", 200), ("site_address", 255), ("subcontracting_chain", 500)):
        if len((getattr(data, key) or "").strip()) > limit:
            errors.setdefault(key, []).append(f"不超过{limit}个字")
    if len(data.description or "") > 5000:
        errors.setdefault("description", []).append("投诉内容不超过5000字")
    workers = []
    for i, w in enumerate(data.workers or [], start=1):
        w_name = (w.name or "").strip()
        if not w_name:
            errors.setdefault(f"workers.{i}.name", []).append(f"第{i}位劳动者:请填写姓名")
        w_phone = w_id = ""
        if (w.phone or "").strip():
            try:
                w_phone = validate_phone(w.phone)
            except ValidationError as exc:
                errors.setdefault(f"workers.{i}.phone", []).append(f"第{i}位劳动者:{exc.messages[0]}")
        if (w.id_number or "").strip():
            try:
                w_id = validate_id_number(w.id_number)
            except ValidationError as exc:
                errors.setdefault(f"workers.{i}.id_number", []).append(f"第{i}位劳动者:{exc.messages[0]}")
        w_amount = _amount(w.amount_owed, f"workers.{i}.amount_owed", f"第{i}位劳动者欠薪金额", errors, required=False)
        workers.append((WorkerInput(w_name, w.phone, w.id_number, w.amount_owed), w_phone, w_id, w_amount))
    if workers and worker_count < len(workers):
        worker_count = len(workers)
    if errors:
        raise ValidationError(errors)
    return _Clean(
        data, phone, id_number, worker_count, amount, period_start, period_end, credit_code, employer, employer_name,
        employer_norm, project, territory, industry, workers,
    )


# ---------------------------------------------------------------- duplicates


def _people_digests(c: _Clean) -> tuple[set[str], set[str]]:
    phones = {lookup_digest(PHONE, c.phone)} | {lookup_digest(PHONE, p) for _, p, _, _ in c.workers if p}
    ids = ({lookup_digest(ID_NUMBER, c.id_number)} if c.id_number else set()) | {lookup_digest(ID_NUMBER, i) for _, _, i, _ in c.workers if i}
    return phones, ids


def _people_case_ids(c: _Clean, limit: int = 200) -> set[int]:
    """Cases naming a complainant or worker of this complaint (ID number or phone). Two indexed
    lookups: one OR across the complaint and its workers (a LEFT JOIN) reads every complaint."""
    phones, ids = _people_digests(c)
    complainant = Q(complainant_phone_digest__in=phones)
    worker = Q(phone_digest__in=phones)
    if ids:
        complainant |= Q(complainant_id_number_digest__in=ids)
        worker |= Q(id_number_digest__in=ids)
    found = set(Complaint.objects.filter(complainant).order_by().values_list("case_id", flat=True)[:limit])
    found |= set(ComplaintWorker.objects.filter(worker).order_by().values_list("complaint__case_id", flat=True)[:limit])
    found.discard(None)
    return found


def _duplicates(c: _Clean, *, limit: int = 10) -> list[DuplicateCandidate]:
    party = Q(pk__in=[])
    if c.employer is not None:
        party |= Q(employer=c.employer)
    if c.credit_code:
        party |= Q(employer_credit_code=c.credit_code)
    if c.employer_norm:
        party |= Q(employer_name_normalised=c.employer_norm)
    if c.project is not None:
        party |= Q(project=c.project)
    site = (c.data.site_address or "").strip()
    if len(site) >= 6:
        party |= Q(site_address=site)
    people_case_ids = _people_case_ids(c)
    open_cases = Case.objects.filter(state__in=OPEN_STATES).filter(party | Q(pk__in=people_case_ids)).order_by("-registered_at")[:limit]
    found = []
    for case in open_cases:
        reasons = []
        same_party = False
        if c.project is not None and case.project_id == c.project.pk:
            reasons.append(f"同一项目“{case.project_name or c.project.name}”")
            same_party = True
        if (c.employer is not None and case.employer_id == c.employer.pk) or (c.credit_code and case.employer_credit_code == c.credit_code):
            reasons.append(f"同一用人单位“{case.employer_name}”")
            same_party = True
        elif c.employer_norm and case.employer_name_normalised == c.employer_norm:
            reasons.append(f"用人单位名称相同“{case.employer_name}”")
            same_party = True
        if len(site) >= 6 and case.site_address == site:
            reasons.append("同一工地地址")
            same_party = True
        same_people = case.pk in people_case_ids
        if same_people:
            reasons.append("投诉人或劳动者(身份证号/手机号)相同")
        found.append(DuplicateCandidate(case, reasons, same_party, same_people))
    found.sort(key=lambda d: (not d.is_repeat, not d.same_people, not d.same_party))
    return found


def complaint_duplicates(data: ComplaintInput) -> list[DuplicateCandidate]:
    """Open cases this complaint may belong to (for the registration form), best first."""
    return _duplicates(complaint_clean(data))


# ---------------------------------------------------------------- registration


def _dispatcher(actor, *, case_territory):
    """Who a same-day dispatch at registration is recorded as: the registering office user, or
    the system applying the routing rules (a worker, a data feed or a unit registers; the
    transition table lets only the office or the system dispatch)."""
    from wagewatch.cases.services import OFFICE_ROLES

    if isinstance(actor, User) and actor.role in OFFICE_ROLES:
        return actor
    return None


def _existing_by_external_id(channel: str, external_id: str) -> Complaint | None:
    if not external_id:
        return None
    return Complaint.objects.select_related("case").filter(channel=channel, external_id=external_id).first()


def _may_join(channel: str, c: _Clean, case: Case) -> bool:
    """Whether a repeat candidate may take this complaint. A reconciliation complaint is reported
    by the office, with the same phone for every project, so "a complainant in common" says
    nothing: it repeats only an open case of the same project (the same project's next red
    month), never another project of the same contractor."""
    if channel == Channel.RECONCILIATION:
        return c.project is not None and case.project_id == c.project.pk
    if channel == Channel.WORKER_PHONE:
        # Self-service: only the phone is proven (by SMS); the ID number and the co-workers are
        # typed. A repeat through them would put this complaint, and so this phone's pages and
        # SMS, into another person's case: it repeats only a case that already names this phone
        # (other candidates are still shown to the office, which may merge them).
        digest = lookup_digest(PHONE, c.phone)
        return bool(digest) and (
            Complaint.objects.filter(case=case, complainant_phone_digest=digest).exists()
            or ComplaintWorker.objects.filter(complaint__case=case, phone_digest=digest).exists()
        )
    return True


def complaint_register(
    *,
    actor,
    channel: str,
    data: ComplaintInput,
    received_at: datetime | None = None,
    external_id: str = "",
    link_to: Case | None = None,
    dispatch: bool = False,
    batch=None,
    limits: dict[str, TimeLimit] | None = None,
) -> RegistrationResult:
    """Register one complaint once.

    - A (channel, external_id) seen before returns the first registration (complaint_created False).
    - `link_to` (chosen by the clerk) merges the complaint into that open case.
    - Otherwise an open case with the same employer/project/site AND a complainant in common
      takes the complaint as a repeat: linked, no second case.
    - Otherwise a new case is opened; other candidates are returned for the clerk to see.
    """
    if channel not in Channel.values:
        raise ValidationError({"channel": ["受理渠道不正确"]})
    external_id = (external_id or "").strip()
    if len(external_id) > 64:
        raise ValidationError({"external_id": ["渠道编号不超过64个字符"]})
    now = timezone.now()
    received_at = received_at or now
    if timezone.is_naive(received_at):
        received_at = timezone.make_aware(received_at)
    try:
        received_at_check(received_at, now=now)
    except ValueError as exc:
        raise ValidationError({"received_at": [f"收到时间{exc}"]}) from None
    existing = _existing_by_external_id(channel, external_id)
    if existing is not None:
        return RegistrationResult(existing, existing.case, case_created=False, complaint_created=False)
    c = complaint_clean(data)
    with transaction.atomic():
        existing = _existing_by_external_id(channel, external_id)  # re-read under the write lock
        if existing is not None:
            return RegistrationResult(existing, existing.case, case_created=False, complaint_created=False)
        duplicates = _duplicates(c)
        relation = Complaint.Relation.ORIGIN
        case = None
        if link_to is not None:
            case = Case.objects.select_for_update().get(pk=link_to.pk)
            if case.state not in OPEN_STATES:
                raise ValidationError({"link_to": [f"案件{case.number}已{case.get_state_display()},不能并入;请新立案"]})
            relation = Complaint.Relation.MERGED
        else:
            repeat = next((d for d in duplicates if d.is_repeat and _may_join(channel, c, d.case)), None)
            if repeat is not None:
                case = Case.objects.select_for_update().get(pk=repeat.case.pk)
                relation = Complaint.Relation.REPEAT
        case_created = case is None
        decision = None
        dispatch_note = ""
        if case_created and dispatch:
            decision = route(industry=c.industry, territory=c.territory, project=c.project)
            if decision.lead is None:
                dispatch_note = f"未自动转办:{decision.explanation}"
        if case_created:
            case = case_open(
                actor=actor,
                channel=channel,
                received_at=received_at,
                territory=c.territory,
                industry=c.industry,
                employer=c.employer,
                employer_name=c.employer_name,
                employer_name_normalised=c.employer_norm,
                employer_credit_code=c.credit_code or (c.employer.credit_code if c.employer and c.employer.credit_code else ""),
                project=c.project,
                project_name=(c.data.project_name or "").strip() or (c.project.name if c.project else ""),
                site_address=(c.data.site_address or "").strip() or (c.project.site_address if c.project else ""),
                amount_owed=c.amount,
                worker_count=c.worker_count,
                summary=(c.data.description or "").strip()[:2000],
                complainant_present=channel == Channel.WINDOW,
                limits=limits,
                dispatch=decision,
                dispatch_actor=_dispatcher(actor, case_territory=c.territory),
            )
        elif relation == Complaint.Relation.MERGED:
            # Another group of workers of the same employer: the case now covers them too.
            case.amount_owed += c.amount
            case.worker_count += c.worker_count
            fields = ["amount_owed", "worker_count", "updated_at"]
            reason = major_reason_for(case.amount_owed, case.worker_count)
            if reason and not case.is_major:
                case.is_major, case.major_reason, case.listed_supervision = True, reason, True
                fields += ["is_major", "major_reason", "listed_supervision"]
            case.save(update_fields=fields)
        complaint = Complaint.objects.create(
            number=numbers.number_next(numbers.COMPLAINT, now),
            channel=channel,
            external_id=external_id,
            received_at=received_at,
            registered_by=actor if isinstance(actor, User) else None,
            batch=batch,
            case=case,
            relation=relation,
            complainant_name=c.data.complainant_name,
            complainant_phone=c.phone,
            complainant_id_number=c.id_number,
            worker_count=c.worker_count,
            amount_owed=c.amount,
            period_start=c.period_start,
            period_end=c.period_end,
            employer=c.employer,
            employer_name=c.employer_name,
            employer_name_normalised=c.employer_norm,
            employer_credit_code=c.credit_code,
            project=c.project,
            project_name=(c.data.project_name or "").strip(),
            site_address=(c.data.site_address or "").strip(),
            territory=c.territory,
            industry=c.industry,
            subcontracting_chain=(c.data.subcontracting_chain or "").strip(),
            description=(c.data.description or "").strip(),
            legal_aid_requested=bool(c.data.legal_aid_requested),
        )
        if c.workers:
            ComplaintWorker.objects.bulk_create(
                [
                    ComplaintWorker(complaint=complaint, name=w.name, phone=phone, id_number=id_number, amount_owed=amount)
                    for w, phone, id_number, amount in c.workers
                ]
            )
        complaint_payload = {
            "number": complaint.number,
            "channel": channel,
            "external_id": external_id,
            "received_at": received_at.isoformat(),
            "case": case.number,
            "relation": relation,
            "complainant": mask(PHONE, c.phone),
            "amount_owed": str(c.amount),
            "worker_count": c.worker_count,
            "employer": c.employer_name,
        }
        entries = [("complaint.registered", complaint, complaint_payload)]
        if case_created:
            entries.append(
                (
                    "case.registered",
                    case,
                    {
                        "number": case.number,
                        "complaint": complaint.number,
                        "channel": channel,
                        "territory": c.territory.code,
                        "amount_owed": str(case.amount_owed),
                        "worker_count": case.worker_count,
                        "major": case.major_reason,
                    },
                )
            )
            if case.dispatch_event is not None:
                entries.append(case.dispatch_event)
        else:
            entries.append(("case.complaint_linked", case, {"complaint": complaint.number, "relation": relation, "channel": channel}))
        events_append(actor=actor, entries=entries)
        if case_created:
            # One message to the worker: the case number, and where it went when dispatched.
            dispatched = case.dispatch_event is not None
            case_transitioned.send(
                sender=Case,
                case=case,
                from_state=CaseState.REGISTERED if dispatched else "",
                to_state=case.state,
                action="dispatch" if dispatched else "register",
                actor=case.dispatch_event[3] if dispatched else actor,
                reason="",
            )
        return RegistrationResult(
            complaint,
            case,
            case_created=case_created,
            duplicates=[d for d in duplicates if d.case.pk != case.pk],
            dispatch_note=dispatch_note,
        )


def evidence_add(
    *, actor, case: Case, uploaded_file, purpose: str, description: str = "", complaint: Complaint | None = None, by_worker: bool = False
):
    """Attach a file to a case after checking its type by content and its size. The history
    records the file's SHA-256, so a file swapped on disk later is detectable."""
    from wagewatch.documents.uploads import evidence_validate

    from .models import Evidence

    if purpose not in Evidence.Purpose.values:
        raise ValidationError({"purpose": ["材料用途不正确"]})
    description = (description or "").strip()
    if len(description) > 200:
        raise ValidationError({"description": ["说明不超过200字"]})
    info = evidence_validate(uploaded_file)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if isinstance(actor, User) and not by_worker:
            from wagewatch.cases.services import actor_kinds

            if not actor_kinds(actor, case) & {"office", "unit"}:
                raise PermissionDenied("只有清欠办、专窗和牵头责任单位可以上传该案件的材料")
        if not case.is_open and purpose != Evidence.Purpose.COMPLAINT:
            raise ValidationError({"file": [f"案件已{case.get_state_display()},不能再上传材料"]})
        evidence = Evidence(
            case=case,
            complaint=complaint,
            purpose=purpose,
            original_name=(getattr(uploaded_file, "name", "") or "")[-255:],
            content_type=info.content_type,
            extension=info.extension,
            size=info.size,
            sha256=info.sha256,
            description=description,
            uploaded_at=timezone.now(),
            uploaded_by=actor if isinstance(actor, User) else None,
            uploaded_by_worker=by_worker,
        )
        uploaded_file.seek(0)
        evidence.file.save(f"upload.{info.extension.lstrip('.')}", uploaded_file, save=False)
        evidence.save()
        from wagewatch.history.services import event_append

        event_append(
            actor=actor,
            action="case.evidence_added",
            obj=case,
            payload={"evidence": evidence.pk, "purpose": purpose, "sha256": info.sha256, "size": info.size, "type": info.content_type},
        )
        return evidence


def complaint_split(*, actor, complaint: Complaint, reason: str) -> Case:
    """Take a complaint that was wrongly linked or merged out of its case into a new case of its
    own (registered, ready to dispatch). Both timelines record it."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError({"reason": ["请写明拆分理由(不少于4个字)"]})
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().select_related("case").get(pk=complaint.pk)
        source = Case.objects.select_for_update().get(pk=complaint.case_id)
        if isinstance(actor, User):
            from wagewatch.cases.services import actor_kinds

            if "office" not in actor_kinds(actor, source):
                raise PermissionDenied("只有清欠办和专窗可以拆分投诉")
        if source.complaints.count() < 2:
            raise ValidationError({"complaint": ["案件只有这一件投诉,无需拆分"]})
        if source.state not in OPEN_STATES:
            raise ValidationError({"complaint": [f"案件{source.number}已{source.get_state_display()},不能拆分"]})
        new_case = case_open(
            actor=actor,
            channel=complaint.channel,
            received_at=complaint.received_at,
            territory=complaint.territory,
            industry=complaint.industry,
            employer=complaint.employer,
            employer_name=complaint.employer_name,
            employer_name_normalised=complaint.employer_name_normalised,
            employer_credit_code=complaint.employer_credit_code,
            project=complaint.project,
            project_name=complaint.project_name or (complaint.project.name if complaint.project else ""),
            site_address=complaint.site_address,
            amount_owed=complaint.amount_owed,
            worker_count=complaint.worker_count,
            summary=complaint.description[:2000],
            complainant_present=False,
        )
        if complaint.relation == Complaint.Relation.MERGED:
            source.amount_owed = max(source.amount_owed - complaint.amount_owed, Decimal("0"))
            source.worker_count = max(source.worker_count - complaint.worker_count, 1)
            source.save(update_fields=["amount_owed", "worker_count", "updated_at"])
        was_origin = complaint.relation == Complaint.Relation.ORIGIN
        complaint.case = new_case
        complaint.relation = Complaint.Relation.ORIGIN
        complaint.save(update_fields=["case", "relation"])
        if was_origin:
            successor = source.complaints.order_by("received_at", "pk").first()
            Complaint.objects.filter(pk=successor.pk).update(relation=Complaint.Relation.ORIGIN)
        from wagewatch.intake.models import Evidence

        Evidence.objects.filter(complaint=complaint).update(case=new_case)
        events_append(
            actor=actor,
            entries=[
                ("case.complaint_split", source, {"complaint": complaint.number, "new_case": new_case.number, "reason": reason}),
                ("case.registered", new_case, {"number": new_case.number, "complaint": complaint.number, "split_from": source.number}),
            ],
        )
        return new_case


__all__ = [
    "ComplaintInput",
    "DuplicateCandidate",
    "RegistrationResult",
    "WorkerInput",
    "complaint_clean",
    "complaint_duplicates",
    "complaint_register",
    "complaint_split",
    "evidence_add",
    "CaseState",
]
