"""Territory, organisations, users and roles: who may see what starts here."""

from django.contrib.auth.models import AbstractUser
from django.db import models

from .protected import PHONE, DigestField, ProtectedField
from .roles import Role  # noqa: F401  (imported from here by every app)


class Industry(models.TextChoices):
    CONSTRUCTION = "construction", "房屋建筑"
    REAL_ESTATE = "real_estate", "房地产"
    TRANSPORT = "transport", "交通运输"
    WATER = "water", "水利"
    MUNICIPAL = "municipal", "市政"
    MANUFACTURING = "manufacturing", "制造业"
    SERVICES = "services", "服务业"
    CATERING = "catering", "餐饮"
    LOGISTICS = "logistics", "物流"
    OTHER = "other", "其他"


class Territory(models.Model):
    """A node of the district → street/township → community/village → grid tree.

    `path` is the codes from the root joined by '/', ending in '/', so a subtree is
    `path__startswith`: one indexed query, no recursion.
    """

    class Level(models.TextChoices):
        DISTRICT = "district", "区县"
        STREET = "street", "街道/乡镇"
        COMMUNITY = "community", "社区/村"
        GRID = "grid", "网格"

    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=16, choices=Level.choices)
    parent = models.ForeignKey("self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField("路径", max_length=255, unique=True, editable=False)

    class Meta:
        verbose_name = "辖区"
        verbose_name_plural = "辖区"
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = f"{self.parent.path if self.parent_id else ''}{self.code}/"
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        names = []
        node = self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))


class Organisation(models.Model):
    """A government body or unit that uses the platform, with the territory it answers for."""

    class Kind(models.TextChoices):
        STREET_GOVERNMENT = "street_government", "街道办事处/乡镇政府"
        INDUSTRY_BUREAU = "industry_bureau", "行业主管部门"
        STATE_OWNED_OWNER = "state_owned_owner", "国有建设单位"
        LABOUR_INSPECTION = "labour_inspection", "劳动保障监察大队"
        WAGE_ARREARS_OFFICE = "wage_arrears_office", "根治欠薪办公室"
        POLICE = "police", "公安机关"
        COURT = "court", "人民法院"
        MEDIATION_CENTRE = "mediation_centre", "矛盾纠纷调解中心"
        GENERAL_CONTRACTOR = "general_contractor", "施工总承包单位"
        DATA_PROVIDER = "data_provider", "数据提供部门"

    # Bodies whose remit is a piece of territory: they see everything in its subtree.
    TERRITORIAL_KINDS = {Kind.STREET_GOVERNMENT, Kind.LABOUR_INSPECTION, Kind.WAGE_ARREARS_OFFICE}

    name = models.CharField("名称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=40, blank=True)
    kind = models.CharField("类型", max_length=32, choices=Kind.choices)
    industry = models.CharField("主管行业", max_length=32, choices=Industry.choices, blank=True)
    territory = models.ForeignKey(Territory, verbose_name="所在辖区", on_delete=models.PROTECT, related_name="organisations")
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        verbose_name="对应企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="施工总承包单位对应的企业登记",
    )
    leader_name = models.CharField("负责领导", max_length=50, blank=True)
    # Encrypted like every phone; masked on staff screens. The office's and units' numbers are
    # published on purpose (rights boards, letters, the worker pages) and printed there in full.
    phone = ProtectedField("办公电话", kind=PHONE)
    phone_digest = DigestField(source="phone", kind=PHONE)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def phone_display(self) -> str:
        """The published number as people write it (stored without separators): 010-88886666."""
        value = self.phone or ""
        if value.startswith("0") and len(value) >= 10:
            area = 3 if value[1] in "12" else 4
            return f"{value[:area]}-{value[area:]}"
        return value

    @property
    def is_territorial(self) -> bool:
        return self.kind in self.TERRITORIAL_KINDS


class User(AbstractUser):
    """A person (or an integration) that signs in, acting for one organisation in one role."""

    full_name = models.CharField("姓名", max_length=50, blank=True)
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    organisation = models.ForeignKey(Organisation, verbose_name="所属单位", null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    territory = models.ForeignKey(
        Territory,
        verbose_name="负责辖区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="留空则为所属单位的辖区;网格员填写其网格",
    )
    phone = ProtectedField("手机号", kind=PHONE)
    phone_digest = DigestField(source="phone", kind=PHONE)
    failed_logins = models.PositiveIntegerField("连续登录失败次数", default=0)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def effective_territory(self) -> Territory | None:
        if self.territory_id:
            return self.territory
        return self.organisation.territory if self.organisation_id else None


class ApiToken(models.Model):
    """A bearer token for an integration. Only its SHA-256 is stored."""

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField("前缀", max_length=8)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class LoginThrottle(models.Model):
    """Failed sign-ins counted for one key within a sliding window, and the time before which the
    next attempt is refused (see `core/login_throttle.py`). Keys hold digests, never a typed name
    or an address in clear: `acct:<name>` (one account from every address), `pair:<address>:<name>`
    (one account from one address), `addr:<address>` (one address, every name)."""

    key = models.CharField("键", max_length=200, unique=True)
    address = models.CharField("地址摘要", max_length=64, blank=True, db_index=True)
    account = models.CharField("用户名摘要", max_length=64, blank=True, db_index=True)
    failures = models.PositiveIntegerField("失败次数", default=0)
    window_start = models.DateTimeField("窗口起点")
    last_failure_at = models.DateTimeField("最近失败", db_index=True)
    blocked_until = models.DateTimeField("限制至", null=True, blank=True)

    class Meta:
        verbose_name = "登录限制"
        verbose_name_plural = "登录限制"

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"


# --- Working-day calendar and time limits (owned by the calendar feature) ---


class CalendarSource(models.TextChoices):
    OFFICIAL_PACKAGE = "package", "官方数据(chinesecalendar)"
    ADMINISTRATOR = "administrator", "管理员导入"


class CalendarYear(models.Model):
    """A year whose official arrangement is loaded. Dates of years with no row here are
    computed Monday–Friday and marked provisional."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    source = models.CharField("来源", max_length=16, choices=CalendarSource.choices)
    loaded_at = models.DateTimeField("导入时间")
    loaded_by = models.ForeignKey(
        User, verbose_name="导入人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    holiday_count = models.PositiveSmallIntegerField("放假天数", default=0)
    makeup_count = models.PositiveSmallIntegerField("调休上班天数", default=0)

    class Meta:
        verbose_name = "已导入的日历年度"
        verbose_name_plural = "已导入的日历年度"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年"


class CalendarDay(models.Model):
    """One date of a loaded year: working day or not, and why (holiday name, 调休 make-up day)."""

    date = models.DateField("日期", unique=True)
    year = models.PositiveSmallIntegerField("年度", db_index=True)
    is_working_day = models.BooleanField("工作日")
    holiday_name = models.CharField("节假日名称", max_length=40, blank=True)
    is_makeup_working_day = models.BooleanField("调休上班", default=False)
    makeup_for = models.CharField("调休对应节日", max_length=40, blank=True)
    source = models.CharField("来源", max_length=16, choices=CalendarSource.choices)

    class Meta:
        verbose_name = "工作日历"
        verbose_name_plural = "工作日历"
        ordering = ["date"]

    def __str__(self) -> str:
        return self.date.isoformat()


class TimeLimit(models.Model):
    """A handling time limit (办理时限): an amount and a unit, looked up by key by the features
    that set deadlines. Editable, because time limits differ between places."""

    class Unit(models.TextChoices):
        MINUTES = "minutes", "分钟"
        HOURS = "hours", "小时"
        WORKING_HOURS = "working_hours", "工作小时"
        CALENDAR_DAYS = "calendar_days", "自然日"
        WORKING_DAYS = "working_days", "工作日"

    key = models.SlugField("代码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=60)
    amount = models.PositiveIntegerField("时限数值")
    unit = models.CharField("单位", max_length=16, choices=Unit.choices)
    includes_start_day = models.BooleanField(
        "起算当日计入", default=False, help_text="勾选后按日计算的时限把起算当日算作第1天(如“首日对接”:1个自然日即当天内)"
    )
    description = models.TextField("说明", blank=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "办理时限"
        verbose_name_plural = "办理时限"
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.name}({self.amount}{self.get_unit_display()})"


class OfficeHours(models.Model):
    """The office hours of working days (one row): time limits in working hours count only these,
    so a one-hour response limit set at 20:52 runs from 08:30 the next working day instead of
    through the night. `periods` is text such as "08:30-12:00,13:30-17:30"."""

    periods = models.CharField("办公时间", max_length=200, default="08:30-12:00,13:30-17:30")
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "办公时间"
        verbose_name_plural = "办公时间"

    def __str__(self) -> str:
        return self.periods


class IdempotencyKey(models.Model):
    """A request that carried an `Idempotency-Key` header: the first answer is kept so that a
    resent request gets it back instead of doing the work twice."""

    owner = models.CharField("调用方", max_length=100)
    key = models.CharField("幂等键", max_length=128)
    endpoint = models.CharField("接口", max_length=100)
    request_hash = models.CharField("请求摘要", max_length=64)
    status_code = models.PositiveSmallIntegerField("响应状态码")
    response = models.JSONField("首次响应")
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "幂等请求"
        verbose_name_plural = "幂等请求"
        constraints = [models.UniqueConstraint(fields=["owner", "endpoint", "key"], name="unique_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.owner} {self.endpoint} {self.key}"
