"""About 200 complaints of the last 60 days from every channel and the cases they became, in every
state of the lifecycle, all through the intake and case services (so every step is in the history).

What a visitor finds: cases just registered, dispatched, signed for, being verified and handled (some
past their deadlines), resolved, called back and closed with payment vouchers; cases a unit returned
as misrouted, cases reopened after a callback, repeat complaints linked to their case, complaints
merged at the window and cases merged by the office; major cases with a named leader (包案);
national-platform clues answered with an outcome; escalations when the escalation services exist.

Complaints keep their real received times (the last 60 days, more of them as the year-end settlement
season nears, fewer in the National Day holiday); the services stamp what happens afterwards with the
time of loading, because the history never goes back in time. Deadlines run from the received time,
so an old case still open shows up overdue, as it would.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wagewatch.cases import services as cs
from wagewatch.cases.models import Callback, CaseState, ClueOutcome, Escalation
from wagewatch.cases.routing import route
from wagewatch.core.calendar import SHANGHAI, working_calendar
from wagewatch.core.models import Role, TimeLimit
from wagewatch.core.protected import PHONE, mask
from wagewatch.intake.models import Channel, Evidence
from wagewatch.intake.services import ComplaintInput, WorkerInput, complaint_register, evidence_add
from wagewatch.registry.models import ProjectParticipant

from . import users

S = CaseState
C = Channel
DAYS = 60

# How many cases end in each state, and how old (days since received) such a case is.
STATE_PLAN = [
    (S.REGISTERED, 5, (0.02, 0.25)),
    (S.DISPATCHED, 10, (0.05, 0.9)),
    (S.ACCEPTED, 10, (0.1, 1.2)),
    (S.VERIFYING, 8, (0.3, 1.6)),
    (S.HANDLING, 24, (1.5, 16.0)),
    (S.RESOLVED, 14, (3.0, 18.0)),
    (S.CALLED_BACK, 14, (5.0, 30.0)),
    (S.CLOSED, 72, (8.0, 59.0)),
    (S.RETURNED, 5, (0.5, 6.0)),
    (S.REOPENED, 6, (12.0, 45.0)),
]
MERGED_CASES = 7  # second cases of the same employer, merged into the first by the office
REPEATS = 14  # the same complainant again through another channel: linked to the case
LINKED_AT_WINDOW = 6  # another group of the same employer, merged by the clerk at registration
MISROUTED = 3  # dispatched to the wrong street, returned, dispatched again by the rules

CHANNEL_WEIGHTS = {
    C.WINDOW: 24, C.HOTLINE_12345: 20, C.WORKER_PHONE: 15, C.NATIONAL_PLATFORM: 10, C.POLICE_110: 7,
    C.PETITION: 6, C.GRID_WORKER: 7, C.LABOUR_INSPECTION: 6, C.PUBLIC_OPINION: 5,
}
OFFICE_HOURS_CHANNELS = {C.WINDOW, C.PETITION, C.GRID_WORKER, C.LABOUR_INSPECTION}
# Who registers what comes in by each channel (None: the worker on the phone pages).
REGISTRAR = {
    C.WINDOW: "clerk", C.HOTLINE_12345: "office_staff", C.POLICE_110: "office_staff", C.PETITION: "clerk",
    C.NATIONAL_PLATFORM: "office_staff", C.PUBLIC_OPINION: "office_staff", C.LABOUR_INSPECTION: "inspector",
    C.WORKER_PHONE: None,
}
GRID_USERS = {"donghu": "donghu_grid", "xishan": "xishan_grid"}  # streets with a grid worker account

ENTERPRISE_KIND_WEIGHTS = {
    "manufacturing": 22, "services": 14, "catering": 14, "logistics": 10, "trade": 5, "team": 3, "individual": 3,
    "labour": 6, "professional": 4, "road": 3, "water": 2, "developer": 1, "municipal": 2, "general_contractor": 1,
}
JOBS = {
    "construction": ["钢筋工", "木工", "瓦工", "水电工", "架子工", "油漆工", "电焊工", "混凝土工", "抹灰工", "普工", "装修工"],
    "manufacturing": ["车间操作工", "缝纫工", "质检员", "包装工", "机修工", "仓管员", "注塑工"],
    "services": ["保安", "保洁员", "物业维修工", "家政服务员", "汽修工", "客服专员"],
    "catering": ["厨师", "服务员", "帮厨", "洗碗工", "传菜员", "收银员"],
    "logistics": ["快递员", "分拣员", "货车司机", "装卸工", "仓库理货员"],
    "other": ["销售员", "业务员", "文员", "店员"],
}
MONTHLY_PAY = {  # yuan per worker and month
    "construction": (6500, 12000), "manufacturing": (4200, 7000), "services": (3800, 6000), "catering": (3600, 6200),
    "logistics": (5000, 8500), "other": (4000, 7000),
}
EXCUSES = [
    "说开发商还没拨工程款", "说等工程结算后再付", "说公司资金周转困难", "后来老板电话就打不通了", "说项目停工了没钱发",
    "说要等年底统一结算", "包工头说总包没给他钱", "说账上没钱让再等等", "公司换了老板说以前的账不认",
]
CHANNEL_OPENINGS = {
    C.WINDOW: "",
    C.HOTLINE_12345: "【12345热线工单】来电人反映:",
    C.POLICE_110: "【110警情移交】报警人称:",
    C.PETITION: "【信访件】来访人反映:",
    C.NATIONAL_PLATFORM: "【全国根治欠薪线索反映平台】线索内容:",
    C.PUBLIC_OPINION: "【舆情监测】网民在短视频平台发布讨薪视频,经联系发帖人核实:",
    C.GRID_WORKER: "【网格员上报】网格巡查时劳动者反映:",
    C.LABOUR_INSPECTION: "【劳动监察举报】举报人反映:",
    C.WORKER_PHONE: "",
}
CHANNEL_CLOSINGS = {
    C.POLICE_110: "民警已到场劝导,双方情绪稳定,移交劳动保障部门处理。",
    C.PUBLIC_OPINION: "视频播放量较高,请尽快核实处置并回应。",
    C.HOTLINE_12345: "来电人要求尽快解决。",
}
EXTERNAL_ID_FORMATS = {
    C.HOTLINE_12345: "12345-{d:%Y%m%d}-{n:04d}",
    C.POLICE_110: "110JJ{d:%Y%m%d}{n:04d}",
    C.PETITION: "XF{d:%Y}{n:06d}",
    C.NATIONAL_PLATFORM: "QX{d:%Y%m%d}{n:05d}",
}
BANKS = ["中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "交通银行", "北京农商银行"]
RETURN_REASONS = [
    "经实地核实,欠薪发生地不在本街道辖区,按“谁主管谁负责”应由{right}办理,请改派。",
    "经与{right}沟通,确认该案由其牵头办理更为适宜,请清欠办改派。",
]


@dataclass
class Spec:
    """One complaint to register, and where its case should end."""

    key: int
    received_at: datetime
    channel: str
    data: ComplaintInput
    target: str
    enterprise: object | None = None  # the employer as the registry knows it (even if the complainant did not name it)
    project: object | None = None
    industry: str = "other"
    external_id: str = ""
    lead_key: str = ""  # dispatch to this organisation instead of by the rules
    misrouted: bool = False  # first dispatched to the wrong street, which returns it
    origin: Spec | None = None  # repeats and merges: the complaint whose case this joins
    relation: str = ""  # "repeat", "link" (merged at registration) or "merge" (merged case)
    major_leader: str = ""
    hand_major_reason: str = ""
    first_contact: bool = True
    evidence_from_worker: bool = False
    case: object | None = None
    extras: dict = field(default_factory=dict)


class _Builder:
    def __init__(self, ctx):
        self.ctx = ctx
        self.rng = ctx.rng
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.calendar = working_calendar()
        self.specs: list[Spec] = []
        self.external_counters: dict[str, int] = {}
        self.participants: dict[int, list] = {}
        self.street_key_of = {street.pk: key for key, street in ctx.territories.items() if street in ctx.streets}
        self.unit_users = self._unit_users()
        self.limits = {t.key: t for t in TimeLimit.objects.filter(key__in=cs.OPENING_DEADLINES)}
        self._fonts: dict[int, object] = {}

    # ---------------------------------------------------------------- who acts

    def _unit_users(self) -> dict[int, dict[str, object]]:
        """Organisation id -> {"handler": user, "leader": user} from the demo accounts."""
        found: dict[int, dict[str, object]] = {}
        for username, role, org_key, _territory, _name in users.DEMO_USERS:
            user = self.ctx.users.get(username)
            org = self.ctx.organisations.get(org_key)
            if user is None or org is None:
                continue
            slot = "leader" if role == Role.UNIT_LEADER else "handler" if role in (Role.UNIT_HANDLER, Role.LABOUR_INSPECTOR) else ""
            if slot:
                found.setdefault(org.pk, {}).setdefault(slot, user)
        return found

    def unit_user(self, case, slot: str = "handler"):
        people = self.unit_users.get(case.lead_organisation_id, {})
        return people.get(slot) or people.get("handler") or people.get("leader")

    def user(self, username: str):
        return self.ctx.users[username]

    # ---------------------------------------------------------------- time

    def age_days(self, lo: float, hi: float) -> float:
        """Days since received, denser near today (the year-end settlement season builds up) and
        thin in the National Day holiday."""
        rng = self.rng
        while True:
            age = rng.uniform(lo, hi)
            if rng.random() * 2.5 > 1 + 1.5 * (1 - age / DAYS):
                continue
            day = timezone.localtime(self.now - timedelta(days=age), SHANGHAI).date()
            if date(day.year, 10, 1) <= day <= date(day.year, 10, 8) and rng.random() < 0.75:
                continue
            return age

    def received_at(self, age: float, channel: str, lo: float) -> datetime:
        moment = self.now - timedelta(days=age)
        hour, minute = self.rng.randint(9, 16), self.rng.randint(0, 59)
        if channel not in OFFICE_HOURS_CHANNELS:
            local = timezone.localtime(moment, SHANGHAI)
            if 0 <= local.hour < 7 and self.rng.random() < 0.7 and age - 0.3 > lo:  # few calls before dawn
                moment -= timedelta(hours=local.hour + 1)
            return moment
        day = timezone.localtime(moment, SHANGHAI).date()
        while True:
            when = datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)
            if self.calendar.is_working(day) and when < self.now:
                return when
            day -= timedelta(days=1)

    # ---------------------------------------------------------------- who complains about whom

    def pick_channel(self, target: str) -> str:
        weights = dict(CHANNEL_WEIGHTS)
        if target == S.REGISTERED:  # still waiting at the office: came in by phone or online overnight
            weights = {C.WORKER_PHONE: 5, C.HOTLINE_12345: 3, C.NATIONAL_PLATFORM: 2, C.PUBLIC_OPINION: 1}
        keys = list(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    def project_participants(self, project) -> list:
        if project.pk not in self.participants:
            self.participants[project.pk] = list(
                ProjectParticipant.objects.filter(project=project).select_related("enterprise", "parent__enterprise").order_by("pk")
            )
        return self.participants[project.pk]

    def pick_subject(self, *, want: str = ""):
        """(enterprise, project) for a complaint. `want` steers it to a lead unit (demo coverage)."""
        rng, ctx = self.rng, self.ctx
        by_kind = ctx.enterprises_by_kind
        if want.startswith("street"):
            street = ctx.organisations[want].territory
            pool = [
                e for kind in ("manufacturing", "services", "catering", "logistics", "trade")
                for e in by_kind.get(kind, []) if e.territory.path.startswith(street.path)
            ]
            return rng.choice(pool), None
        if want == "housing":
            return None, rng.choice([p for p in ctx.projects if p.investment_type == "social" and p.owner_id])
        if want == "soe_owner":
            return None, rng.choice([p for p in ctx.projects if p.owner_organisation_id])
        if want == "transport":
            return rng.choice(by_kind["road"]), None
        if want == "water":
            return rng.choice(by_kind["water"]), None
        if want == "contractor":
            return None, rng.choice([p for p in ctx.projects if p.general_contractor_id == ctx.contractor_enterprise.pk])
        if rng.random() < 0.38:
            return None, rng.choice(ctx.projects)
        kinds = [k for k in ENTERPRISE_KIND_WEIGHTS if by_kind.get(k)]
        kind = rng.choices(kinds, weights=[ENTERPRISE_KIND_WEIGHTS[k] for k in kinds])[0]
        return rng.choice(by_kind[kind]), None

    def complaint(self, *, channel: str, received_at: datetime, enterprise, project, major: bool = False,
                  complainant: tuple[str, str] | None = None, repeat_text: str = "") -> tuple[ComplaintInput, object, str]:
        """The complaint as a worker (or an officer taking the call) would give it."""
        rng, ctx = self.rng, self.ctx
        chain = ""
        foreman = ctx.person_name()
        if project is not None:
            parts = self.project_participants(project)
            roll = rng.random()
            subs = [p for p in parts if p.role in ("labour_subcontractor", "team", "professional_subcontractor")]
            if roll < 0.65 and subs:
                employer_part = rng.choice(subs)
                enterprise = employer_part.enterprise
                links = [f"{project.general_contractor.name}(总包)"] if project.general_contractor_id else []
                if employer_part.parent_id:
                    links.append(f"{employer_part.parent.enterprise.name}(专业分包)")
                links.append(f"{enterprise.name}({employer_part.get_role_display()})")
                links.append(f"班组长{foreman}")
                chain = "→".join(links)
            elif roll < 0.93 and project.general_contractor_id:
                enterprise = project.general_contractor
                chain = f"{enterprise.name}(总包)→班组长{foreman}"
            else:
                enterprise = project.owner or project.general_contractor
            industry = "construction"
        else:
            industry = enterprise.industry if enterprise.industry in MONTHLY_PAY else "other"
            if enterprise.industry in ("real_estate", "municipal", "transport", "water"):
                industry = "construction"
        name, phone = complainant or (ctx.person_name(), ctx.mobile())
        if major:
            workers = rng.randint(32, 68)
        else:
            workers = rng.choices([1, rng.randint(2, 9), rng.randint(10, 29)], weights=[58, 30, 12])[0]
        months = rng.choices([1, 2, 3, 4, 6], weights=[25, 30, 25, 12, 8])[0]
        low, high = MONTHLY_PAY[industry]
        amount = Decimal(round(rng.uniform(low, high) * months * workers * rng.uniform(0.55, 1.0), -2))
        if major and amount < Decimal("1000000") and rng.random() < 0.5:
            amount = Decimal(round(rng.uniform(1.05, 1.6) * 1_000_000, -3))
        local_day = timezone.localtime(received_at, SHANGHAI).date()
        end_month = local_day.replace(day=1) - timedelta(days=1 if local_day.day < 16 else 0)
        period_end = end_month if local_day.day < 16 else local_day
        period_start = (period_end.replace(day=1) - timedelta(days=28 * (months - 1))).replace(day=1)
        job = rng.choice(JOBS.get(industry, JOBS["other"]))
        informal = enterprise is not None and (
            (channel in (C.WORKER_PHONE, C.HOTLINE_12345, C.POLICE_110, C.GRID_WORKER) and rng.random() < 0.25)
            or (enterprise.credit_code is None and rng.random() < 0.5)
        )
        employer_name = enterprise.name
        if informal:
            short = enterprise.name[:2]
            employer_name = rng.choice([f"{short}公司", f"{short}老板", f"{enterprise.name[:4]}"])
        credit_code = ""
        if enterprise is not None and enterprise.credit_code and not informal:
            if rng.random() < (0.6 if channel == C.WINDOW else 0.2):
                credit_code = enterprise.credit_code
        where = f"在{project.name}工地" if project is not None else f"在{enterprise.name if not informal else employer_name}"
        who = "我" if workers == 1 else f"我们{workers}人"
        owed = f"{period_start.year}年{period_start.month}月至{period_end.month}月" if months > 1 else f"{period_end.year}年{period_end.month}月"
        body = f"{who}{where}做{job},{owed}的工资共{amount:,.0f}元一直没发,找{employer_name if informal else '单位'}要过多次,{rng.choice(EXCUSES)}。"
        if project is not None and chain:
            body = f"{who}{where}做{job},由班组长{foreman}带班,{owed}的工资共{amount:,.0f}元一直没发,{rng.choice(EXCUSES)}。"
        if repeat_text:
            body = repeat_text + body
        text = CHANNEL_OPENINGS[channel] + body + CHANNEL_CLOSINGS.get(channel, "")
        named = []
        if workers > 1:
            for _ in range(min(workers - 1, rng.randint(1, 6))):
                named.append(
                    WorkerInput(
                        name=ctx.person_name(),
                        phone=ctx.mobile() if rng.random() < 0.8 else "",
                        id_number=ctx.id_number() if rng.random() < 0.4 else "",
                        amount_owed=(amount / workers).quantize(Decimal("1")) if rng.random() < 0.6 else None,
                    )
                )
        territory = project.territory if project is not None else enterprise.territory
        data = ComplaintInput(
            complainant_name=name,
            complainant_phone=phone,
            complainant_id_number=ctx.id_number() if channel in (C.WINDOW, C.PETITION, C.LABOUR_INSPECTION) else "",
            employer_name=employer_name,
            employer_credit_code=credit_code,
            worker_count=workers,
            amount_owed=amount,
            period_start=period_start,
            period_end=period_end,
            project_id=project.pk if project is not None else None,
            project_name=project.name if project is not None else "",
            site_address=project.site_address if project is not None else "",
            territory_id=territory.pk if informal or enterprise is None else None,
            subcontracting_chain=chain,
            description=text,
            legal_aid_requested=rng.random() < 0.08,
            workers=named,
        )
        return data, enterprise, industry

    def external_id(self, channel: str, received_at: datetime) -> str:
        fmt = EXTERNAL_ID_FORMATS.get(channel)
        if not fmt:
            return ""
        self.external_counters[channel] = self.external_counters.get(channel, 0) + self.rng.randint(3, 40)
        return fmt.format(d=timezone.localtime(received_at, SHANGHAI), n=self.external_counters[channel])

    # ---------------------------------------------------------------- the plan

    def spec(self, target: str, lo: float, hi: float, *, want: str = "", major: bool = False) -> Spec:
        channel = self.pick_channel(target)
        if want == "inspection":
            channel = C.LABOUR_INSPECTION
        age = self.age_days(lo, hi)
        received_at = self.received_at(age, channel, lo)
        enterprise, project = self.pick_subject(want=want if want != "inspection" else "")
        if major and project is None:
            enterprise, project = None, self.rng.choice([p for p in self.ctx.projects if p.under_full_supervision])
        data, enterprise, industry = self.complaint(channel=channel, received_at=received_at, enterprise=enterprise, project=project, major=major)
        spec = Spec(
            key=len(self.specs), received_at=received_at, channel=channel, data=data, target=target, enterprise=enterprise,
            project=project, industry=industry, external_id=self.external_id(channel, received_at),
        )
        if want == "inspection" or (channel == C.LABOUR_INSPECTION and self.rng.random() < 0.5):
            spec.lead_key = "inspection"  # reported to the brigade itself: it investigates
        spec.first_contact = channel != C.WINDOW and (target != S.REGISTERED or self.rng.random() < 0.5) and self.rng.random() < 0.92
        spec.evidence_from_worker = channel == C.WORKER_PHONE and self.rng.random() < 0.6
        self.specs.append(spec)
        return spec

    def plan(self) -> None:
        rng = self.rng
        quotas = {state: n for state, n, _ in STATE_PLAN}
        ages = {state: span for state, _, span in STATE_PLAN}
        # Every unit with a demo login gets open cases in its inbox.
        coverage = ["street1", "street2", "street3", "street4", "housing", "soe_owner", "transport", "water", "inspection", "contractor"]
        open_targets = [S.DISPATCHED, S.ACCEPTED, S.VERIFYING, S.HANDLING]
        for want in coverage:
            for target in rng.sample(open_targets, 2):
                quotas[target] -= 1
                self.spec(target, *ages[target], want=want)
        # Major cases: two handled, one closed, one resolved; another flagged by hand.
        leaders = ["office_leader", "", "office_leader", ""]
        for target, leader in zip([S.HANDLING, S.HANDLING, S.CLOSED, S.RESOLVED], leaders, strict=True):
            quotas[target] -= 1
            spec = self.spec(target, *ages[target], major=True)
            spec.major_leader = leader or "unit_leader"
        quotas[S.HANDLING] -= 1
        hand = self.spec(S.HANDLING, 2.0, 6.0)
        hand.hand_major_reason = "临近年底,劳动者多次聚集讨薪,存在群体性事件苗头,列为重点监控"
        hand.major_leader = "office_leader"
        for state, _n, _span in STATE_PLAN:
            for _ in range(quotas[state]):
                self.spec(state, *ages[state])
        # Misrouted: the territorial street that should have had it gets it only after a return.
        street_cases = [s for s in self.specs if s.project is None and not s.lead_key and s.target in (S.HANDLING, S.CLOSED, S.RESOLVED)
                        and s.enterprise is not None and s.industry in ("manufacturing", "services", "catering", "logistics", "other")]
        returned = [s for s in self.specs if s.target == S.RETURNED]
        for spec in rng.sample(street_cases, MISROUTED) + returned:
            spec.misrouted = True
        # Second cases of the same party, merged by the office; repeats and window merges.
        open_enough = [s for s in self.specs if s.target not in (S.REGISTERED,) and s.received_at < self.now - timedelta(days=1)]
        for origin in rng.sample(open_enough, MERGED_CASES):
            self._follow_up(origin, "merge", S.MERGED)
        for origin in rng.sample(open_enough, REPEATS):
            self._follow_up(origin, "repeat", origin.target)
        for origin in rng.sample([s for s in open_enough if s.data.worker_count > 1], LINKED_AT_WINDOW):
            self._follow_up(origin, "link", origin.target)

    def _street_key(self, spec: Spec) -> str:
        territory = spec.enterprise.territory if spec.enterprise is not None else spec.project.territory
        for street in self.ctx.streets:
            if territory.path.startswith(street.path):
                return next(k for k, o in self.ctx.organisations.items() if k.startswith("street") and o.territory_id == street.pk)
        return ""

    def _follow_up(self, origin: Spec, relation: str, target: str) -> None:
        rng = self.rng
        gap = timedelta(hours=rng.uniform(6, 24 * 6))
        received_at = min(origin.received_at + gap, self.now - timedelta(minutes=rng.randint(20, 600)))
        if relation == "repeat":
            channel = rng.choice([c for c in (C.HOTLINE_12345, C.NATIONAL_PLATFORM, C.WORKER_PHONE, C.PETITION) if c != origin.channel])
            complainant = (origin.data.complainant_name, origin.data.complainant_phone)
            data, enterprise, industry = self.complaint(
                channel=channel, received_at=received_at, enterprise=origin.enterprise, project=None, complainant=complainant,
                repeat_text="此前已反映过,至今未解决,再次反映:",
            )
            data.employer_name, data.employer_credit_code = origin.data.employer_name, origin.data.employer_credit_code
            data.project_id, data.project_name, data.site_address = origin.data.project_id, origin.data.project_name, origin.data.site_address
            data.territory_id = origin.data.territory_id
        else:
            channel = C.WINDOW if relation == "link" else rng.choice([C.WINDOW, C.HOTLINE_12345, C.GRID_WORKER, C.WORKER_PHONE])
            if channel in OFFICE_HOURS_CHANNELS:
                received_at = self.received_at((self.now - received_at).total_seconds() / 86400, channel, 0)
                received_at = max(received_at, origin.received_at + timedelta(minutes=30))
                received_at = min(received_at, self.now - timedelta(minutes=5))
            data, enterprise, industry = self.complaint(
                channel=channel, received_at=received_at, enterprise=origin.enterprise, project=origin.project,
            )
            data.employer_name, data.employer_credit_code = origin.data.employer_name, origin.data.employer_credit_code
            data.territory_id = origin.data.territory_id
            data.subcontracting_chain = data.subcontracting_chain and origin.data.subcontracting_chain
        spec = Spec(
            key=len(self.specs), received_at=received_at, channel=channel, data=data, target=target, enterprise=enterprise,
            project=origin.project, industry=industry, external_id=self.external_id(channel, received_at), origin=origin, relation=relation,
        )
        self.specs.append(spec)

    # ---------------------------------------------------------------- registration

    def register_all(self) -> None:
        ctx = self.ctx
        for spec in sorted(self.specs, key=lambda s: (s.received_at, s.key)):
            actor = self._registrar(spec)
            # The office dispatches by the rules at once; the rest waits for the clerk (below).
            dispatch = (
                getattr(actor, "role", None) in cs.OFFICE_ROLES and not spec.relation and spec.target != S.REGISTERED
                and not spec.lead_key and not spec.misrouted
            )
            result = complaint_register(
                actor=actor,
                channel=spec.channel,
                data=spec.data,
                received_at=spec.received_at,
                external_id=spec.external_id,
                link_to=spec.origin.case if spec.relation == "link" else None,
                dispatch=dispatch,
                limits=self.limits,
            )
            ctx.count("投诉")
            if result.case_created:
                ctx.count("案件")
            spec.case = result.case
            if spec.evidence_from_worker:
                self.complaint_evidence(spec, result.complaint, actor)

    def _registrar(self, spec: Spec):
        if spec.channel == C.WORKER_PHONE:
            return f"劳动者:{mask(PHONE, spec.data.complainant_phone)}"
        if spec.channel == C.GRID_WORKER:
            street_key = self._street_key(spec) if spec.enterprise is not None or spec.project is not None else ""
            street = self.ctx.organisations.get(street_key)
            grid_user = GRID_USERS.get(self.street_key_of.get(street.territory_id, "") if street else "")
            return self.user(grid_user) if grid_user else self.user("clerk")
        return self.user(REGISTRAR[spec.channel])

    # ---------------------------------------------------------------- evidence files

    def font(self, size: int):
        from PIL import ImageFont

        from wagewatch.documents.fonts import chinese_font_path

        if size not in self._fonts:
            self._fonts[size] = ImageFont.truetype(str(chinese_font_path("sans")), size)
        return self._fonts[size]

    def png(self, title: str, lines: list[str], *, stamp: str = "") -> bytes:
        """A small picture of a voucher or an IOU, as a phone would photograph it."""
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (520, 70 + 34 * len(lines)), (248, 247, 240))
        draw = ImageDraw.Draw(image)
        draw.rectangle([6, 6, image.width - 7, image.height - 7], outline=(120, 120, 120), width=2)
        draw.text((22, 18), title, font=self.font(20), fill=(20, 20, 20))
        body = self.font(15)
        for index, text in enumerate(lines):
            draw.text((22, 62 + 34 * index), text, font=body, fill=(45, 45, 45))
        if stamp:
            x, y = image.width - 150, image.height - 110
            draw.ellipse([x, y, x + 100, y + 100], outline=(200, 30, 30), width=3)
            draw.text((x + 16, y + 38), stamp[:5], font=self.font(16), fill=(200, 30, 30))
        out = io.BytesIO()
        image.save(out, "PNG", compress_level=6)
        return out.getvalue()

    def payroll_pdf(self, case, payer: str) -> bytes:
        """A signed payroll sheet (工资支付签收表) for a major case, as a PDF."""
        from wagewatch.documents.layout import render

        rows = min(case.workers_paid or case.worker_count, 14)
        rng = self.rng
        people = [(self.ctx.person_name(), rng.randrange(1000, 9999)) for _ in range(rows)]
        share = (case.amount_paid or case.amount_owed) / max(case.workers_paid or case.worker_count, 1)

        def build(writer):
            writer.font("sans", 16, bold=True)
            writer.line("农民工工资支付签收表", align="C", height=11)
            writer.font("serif", 10.5)
            writer.line(f"案件编号:{case.number}    付款单位:{payer}", height=7)
            writer.line(f"共{case.workers_paid}人,合计{case.amount_paid:,.2f}元(以下为第1页)", height=7)
            for index, (name, tail) in enumerate(people, start=1):
                writer.line(f"{index:>2}. {name}  身份证号 ************{tail}  实发 {share:,.2f} 元  本人签字:{name}", height=6.5)
            writer.line("劳资专管员:____________    项目负责人:____________", height=10)

        return render(build, title=f"工资支付签收表 {case.number}", author=payer)

    def complaint_evidence(self, spec: Spec, complaint, actor) -> None:
        amount = Decimal(str(spec.data.amount_owed))
        lines = [
            f"今欠{spec.data.complainant_name}等{spec.data.worker_count}人工资",
            f"共计人民币{amount:,.0f}元整",
            f"于{spec.data.period_end:%Y年%m月%d日}后一个月内付清。",
            f"欠款人:{spec.data.employer_name[:12]}",
        ]
        evidence_add(
            actor=actor, case=complaint.case, complaint=complaint, purpose=Evidence.Purpose.COMPLAINT, by_worker=True,
            uploaded_file=SimpleUploadedFile("欠条.png", self.png("欠  条", lines), content_type="image/png"),
            description="劳动者拍照上传的欠条",
        )
        self.ctx.count("证据材料")

    def closure_evidence(self, spec: Spec, case, actor, amount: Decimal, workers: int) -> None:
        payer = case.employer_name
        if spec.major_leader:
            case.amount_paid, case.workers_paid = amount, workers
            content = self.payroll_pdf(case, payer)
            upload = SimpleUploadedFile("工资支付签收表.pdf", content, content_type="application/pdf")
            description = "工资支付签收表(劳动者签字)"
        else:
            bank = self.rng.choice(BANKS)
            lines = [
                f"付款单位:{payer[:20]}",
                f"业务类型:代发工资    笔数:{workers}笔",
                f"合计金额:¥{amount:,.2f}",
                f"摘要:农民工工资 {case.number}",
                f"交易日期:{self.today:%Y-%m-%d}    状态:交易成功",
            ]
            upload = SimpleUploadedFile("代发回单.png", self.png(f"{bank} 代发工资业务回单", lines, stamp="业务专用章"), content_type="image/png")
            description = "银行代发工资回单"
        evidence_add(actor=actor, case=case, uploaded_file=upload, purpose=Evidence.Purpose.CLOSURE, description=description)
        self.ctx.count("证据材料")

    # ---------------------------------------------------------------- the lifecycle

    def merge_all(self) -> None:
        office = self.user("office_staff")
        for spec in self.specs:
            if spec.relation == "merge":
                cs.case_merge(
                    actor=office, case=spec.case, into=spec.origin.case,
                    reason=f"与{spec.origin.case.number}为同一用人单位同一批劳动者欠薪,并案办理",
                )

    def walk_all(self) -> None:
        for spec in sorted(self.specs, key=lambda s: (s.received_at, s.key)):
            if spec.relation:
                continue
            spec.case = self.walk(spec)

    def dispatch(self, spec: Spec, case, lead_key: str = ""):
        clerk = self.user("clerk")
        lead = self.ctx.organisations[lead_key] if lead_key else None
        kwargs = {"lead": lead} if lead is not None else {}
        if lead_key == "inspection":
            kwargs["measures"] = "监察大队立案调查,调取考勤和工资发放记录,约谈用人单位负责人,依法下达劳动保障监察限期改正指令书。"
        return cs.case_dispatch(actor=clerk, case=case, **kwargs)

    def walk(self, spec: Spec):
        rng = self.rng
        case = spec.case
        case.refresh_from_db()
        target = spec.target
        office, clerk = self.user("office_staff"), self.user("clerk")
        if target == S.REGISTERED:
            if spec.first_contact:
                cs.case_first_contact_record(actor=clerk, case=case, note="已电话联系投诉人,告知已受理和办理时限,待转办。")
            return case
        if spec.misrouted:
            right = route(industry=case.industry, territory=case.territory, project=case.project).lead
            wrong_key = rng.choice([k for k in ("street1", "street2", "street3", "street4") if self.ctx.organisations[k] != right])
            case = self.dispatch(spec, case, wrong_key)
            self._first_contact(spec, case)
            wrong = self.unit_user(case)
            if target != S.RETURNED or rng.random() < 0.5:
                case = cs.case_accept(actor=wrong, case=case)
            case = cs.case_return(actor=wrong, case=case, reason=rng.choice(RETURN_REASONS).format(right=right.short_name or right.name))
            if target == S.RETURNED:
                return case
        if case.state in (S.REGISTERED, S.RETURNED):
            case = self.dispatch(spec, case, spec.lead_key)
        if not spec.misrouted:
            self._first_contact(spec, case)
        handler = self.unit_user(case)
        self._major(spec, case)
        if target == S.DISPATCHED:
            return case
        case = cs.case_accept(actor=handler, case=case, responsible_person=handler.full_name)
        if target == S.ACCEPTED:
            return case
        case = cs.case_verification_start(actor=handler, case=case, note="已联系投诉人和用人单位,调取考勤、工资表等材料核实。")
        if target == S.VERIFYING:
            return case
        verified = (Decimal(case.amount_owed) * Decimal(str(rng.choice([1, 1, 1, 0.95, 0.9, 0.85])))).quantize(Decimal("1"))
        workers = case.worker_count
        case = cs.case_facts_confirm(
            actor=handler, case=case, amount_verified=verified, workers_verified=workers, facts_clear=rng.random() < 0.85,
            note=f"经调取考勤和工资表核实,欠薪{workers}人、金额{verified:,.0f}元,用人单位认可。",
        )
        cs.case_note_add(actor=handler, case=case, text=rng.choice([
            f"已约谈{case.employer_name}负责人,责令其在3个工作日内足额支付。",
            f"已协调总包单位从应付工程款中先行支付{case.employer_name}所欠工资。",
            "用人单位承诺分两次支付,已签订还款承诺书。",
            "已向用人单位送达劳动保障监察询问通知书。",
        ]))
        self._clue(spec, case, "in_progress")
        self._escalate(spec, case)
        if target == S.HANDLING:
            return case
        paid = verified
        self.closure_evidence(spec, case, handler, paid, workers)
        case = cs.case_resolve(
            actor=handler, case=case, amount_paid=paid, workers_paid=workers,
            summary=f"经约谈督促,{case.employer_name}已通过银行代发足额支付{workers}名劳动者工资共{paid:,.0f}元。",
        )
        self._clue(spec, case, "resolved")
        self._rate(spec, case)
        if target == S.RESOLVED:
            return case
        if target == S.REOPENED and rng.random() < 0.7:
            cs.case_callback_record(
                actor=office, case=case, resolved=False, paid_in_full=False, lawful=True, satisfied=False,
                note="投诉人反映仍有部分工资未到账,要求继续督办。",
            )
            case.refresh_from_db()
            return case
        cs.case_callback_record(
            actor=office, case=case, resolved=True, paid_in_full=True, lawful=True, satisfied=rng.random() < 0.93,
            method=rng.choice([Callback.Method.PHONE] * 4 + [Callback.Method.SMS]),
            note="电话回访投诉人,确认工资已全部到账。",
        )
        case.refresh_from_db()
        if target == S.CALLED_BACK:
            return case
        case = cs.case_close(actor=office, case=case, note="已足额支付,回访满意,结案。")
        if target == S.REOPENED:
            case = cs.case_reopen(actor=office, case=case, reason="劳动者再次来电反映结案后仍有1个月工资未发放,重新办理。")
        return case

    def _first_contact(self, spec: Spec, case) -> None:
        if spec.first_contact:
            cs.case_first_contact_record(
                actor=self.user("clerk"), case=case, note=self.rng.choice([
                    "已电话联系投诉人,告知受理情况、案件编号和办理时限。",
                    "已与投诉人电话沟通,了解欠薪人数和金额,告知将转属地办理。",
                    "投诉人到窗口补充材料,已当面告知办理流程。",
                ]),
            )

    def _major(self, spec: Spec, case) -> None:
        if not spec.major_leader:
            return
        leader = self.unit_user(case, "leader") if spec.major_leader == "unit_leader" else None
        if leader is None or leader.role != Role.UNIT_LEADER:
            leader = self.user("office_leader")
        cs.case_major_set(
            actor=self.user("office_leader"), case=case, is_major=True, leader=leader,
            reason=spec.hand_major_reason or case.major_reason,
        )
        self.ctx.count("重大案件")

    def _clue(self, spec: Spec, case, code: str) -> None:
        if spec.channel != C.NATIONAL_PLATFORM or self.rng.random() < 0.2:
            return
        if code == "resolved" and self.rng.random() < 0.15:
            code = "partly_true"
        outcome = ClueOutcome.objects.get(code=code)
        cs.case_clue_answer(actor=self.user("office_staff"), case=case, outcome=outcome)

    def _rate(self, spec: Spec, case) -> None:
        if self.rng.random() < 0.45:
            cs.case_worker_rate(
                worker_label=f"劳动者:{mask(PHONE, spec.data.complainant_phone)}", case=case,
                rating=self.rng.choices([5, 4, 3, 2], weights=[60, 25, 10, 5])[0],
                comment=self.rng.choice(["工资已经到账,谢谢政府!", "处理很及时。", "", "钱到了,就是时间有点长。"]),
            )

    def _escalate(self, spec: Spec, case) -> None:
        """The escalation paths planned for this case (see `plan_escalations`), opened by the lead
        unit, the inspector or the office; those on cases that go on to be resolved are finished."""
        plan = spec.extras.get("escalations")
        if not plan:
            return
        esc = escalation_services()
        handler, office, leader = self.unit_user(case), self.user("office_staff"), self.user("office_leader")
        inspector = self.user("inspector")
        name, amount, workers = case.employer_name, case.amount_verified, case.workers_verified
        finishing = spec.target != S.HANDLING
        K = Escalation.Kind
        for kind in plan:
            if kind == K.CRIMINAL_REFERRAL:
                esc.escalation_open(
                    actor=inspector, case=case, kind=kind, grounds=["absconding"],
                    reason=f"{name}负责人失联、关闭经营场所,经责令支付仍不支付,涉嫌拒不支付劳动报酬罪,移送公安机关。",
                )
            elif kind == K.BLACKLIST_PROPOSAL:
                esc.escalation_open(
                    actor=inspector, case=case, kind=kind, reason=f"{name}恶意拖欠农民工工资、数额较大,提请列入失信联合惩戒对象名单。",
                )
            elif kind == K.ADVANCE_PAYMENT:
                advance = (amount * Decimal("0.8")).quantize(Decimal("1"))
                escalation = esc.escalation_open(
                    actor=handler, case=case, kind=kind, amount=advance, worker_count=workers,
                    reason=f"事实清楚、金额明确,用人单位5个工作日内仍未支付,临近年底劳动者生活困难,提请应急周转金先行垫付{advance:,.0f}元。",
                )
                if spec.extras.get("advance") != "proposed":
                    esc.escalation_approve(actor=leader, escalation=escalation, approved=True, note="同意垫付,垫付后依法追偿。")
                    recovered = advance if finishing else (advance * Decimal("0.4")).quantize(Decimal("1"))
                    esc.advance_recovery_record(
                        actor=office, escalation=escalation, amount=recovered, recovered_on=self.today,
                        note=f"{name}退还垫付款" if finishing else f"{name}首期退还垫付款",
                    )
                    if finishing:
                        esc.escalation_close(actor=office, escalation=escalation, outcome="垫付款已全部追回。")
            elif kind == K.MEDIATION:
                escalation = esc.escalation_open(
                    actor=handler, case=case, kind=kind, reason="双方对欠薪金额有争议,经劳动者同意引导至调解中心调解。",
                )
                esc.escalation_close(
                    actor=office, escalation=escalation, judicial_confirmation=True,
                    outcome=f"达成调解协议,{name}同意分期支付全部工资,协议已经法院司法确认。",
                )
            elif kind == K.PROPERTY_PRESERVATION:
                esc.escalation_open(
                    actor=handler, case=case, kind=kind, court="示范区人民法院",
                    reason=f"{name}正在转移设备和资产,协助劳动者向法院申请诉前财产保全。",
                )
            elif kind == K.ARBITRATION:
                esc.escalation_open(
                    actor=handler, case=case, kind=kind, reason="劳动者与用人单位对是否存在劳动关系有争议,已申请劳动人事争议仲裁。",
                )
            elif kind == K.LEGAL_AID:
                esc.escalation_open(
                    actor=handler, case=case, kind=kind, requested_on=self.today.isoformat(),
                    reason="劳动者申请法律援助,已转区法律援助中心指派律师。",
                )
            else:
                reasons = {
                    K.LABOUR_INSPECTION: f"{name}拒不配合核实,提请劳动保障监察大队立案调查。",
                    K.INDUSTRY_AUTHORITY: "总包单位将劳务违法分包给无资质个人,移交行业主管部门查处。",
                    K.JOINT_MEETING: "劳动者与用人单位对工程量和工资结算存在较大争议,提交联合接访会商。",
                }
                escalation = esc.escalation_open(actor=handler, case=case, kind=kind, reason=reasons[kind])
                if finishing:
                    esc.escalation_close(actor=office, escalation=escalation, outcome="已督促用人单位支付,处置完毕。")
            self.ctx.count("升级处置")

    def plan_escalations(self) -> None:
        """Which cases take which escalation path (only when the escalation services exist)."""
        if escalation_services() is None:
            return
        K = Escalation.Kind
        rng = self.rng
        plain = [s for s in self.specs if not s.relation and not s.lead_key and not s.major_leader]
        handling = [s for s in plain if s.target == S.HANDLING]
        finishing = [s for s in plain if s.target in (S.RESOLVED, S.CALLED_BACK, S.CLOSED)]
        rng.shuffle(handling)
        rng.shuffle(finishing)
        open_paths = [
            [K.CRIMINAL_REFERRAL, K.BLACKLIST_PROPOSAL], [K.CRIMINAL_REFERRAL], [K.PROPERTY_PRESERVATION], [K.LABOUR_INSPECTION],
            [K.LABOUR_INSPECTION], [K.JOINT_MEETING], [K.ADVANCE_PAYMENT], [K.ADVANCE_PAYMENT], [K.ARBITRATION], [K.LEGAL_AID],
        ]
        for spec, path in zip(handling, open_paths, strict=False):
            spec.extras["escalations"] = path
        proposed = next((s for s in handling if s.extras.get("escalations") == [K.ADVANCE_PAYMENT]), None)
        if proposed is not None:
            proposed.extras["advance"] = "proposed"
        projects = [s for s in handling[len(open_paths):] if s.project is not None]
        if projects:
            projects[0].extras["escalations"] = [K.INDUSTRY_AUTHORITY]
        for spec, path in zip(finishing, [[K.MEDIATION], [K.MEDIATION], [K.ADVANCE_PAYMENT], [K.LABOUR_INSPECTION]], strict=False):
            spec.extras["escalations"] = path


def escalation_services():
    """`wagewatch.cases.escalations` when it exists (it came after the first demo), else None."""
    try:
        from wagewatch.cases import escalations
    except ImportError:
        return None
    return escalations


def load(ctx) -> None:
    builder = _Builder(ctx)
    builder.plan()
    builder.plan_escalations()
    builder.register_all()
    builder.merge_all()
    builder.walk_all()
