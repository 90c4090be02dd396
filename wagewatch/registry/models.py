"""Enterprises, construction projects and their contractor chains."""

from decimal import Decimal

from django.db import models

from wagewatch.core.models import Industry, Organisation, Territory
from wagewatch.core.protected import ID_NUMBER, PHONE, DigestField, ProtectedField


class Enterprise(models.Model):
    """An employer or a party to a project. The unified social credit code may be unknown:
    such an enterprise is allowed but flagged (`credit_code_missing`) until someone fills it in."""

    class Size(models.TextChoices):
        MICRO = "micro", "微型"
        SMALL = "small", "小型"
        MEDIUM = "medium", "中型"
        LARGE = "large", "大型"

    name = models.CharField("企业名称", max_length=200)
    name_normalised = models.CharField("名称(规范化)", max_length=200, db_index=True, editable=False)
    credit_code = models.CharField("统一社会信用代码", max_length=18, null=True, blank=True, unique=True)
    credit_code_missing = models.BooleanField("缺少信用代码", default=False, db_index=True, editable=False)
    legal_representative = models.CharField("法定代表人", max_length=50, blank=True)
    legal_representative_id_number = ProtectedField("法定代表人身份证号", kind=ID_NUMBER)
    legal_representative_id_number_digest = DigestField(source="legal_representative_id_number", kind=ID_NUMBER)
    contact_phone = ProtectedField("联系电话", kind=PHONE)
    contact_phone_digest = DigestField(source="contact_phone", kind=PHONE)
    address = models.CharField("地址", max_length=255, blank=True)
    territory = models.ForeignKey(Territory, verbose_name="所属辖区", on_delete=models.PROTECT, related_name="enterprises")
    industry = models.CharField("行业", max_length=32, choices=Industry.choices, default=Industry.OTHER)
    size = models.CharField("规模", max_length=16, choices=Size.choices, blank=True)
    employee_count = models.PositiveIntegerField("职工人数", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "企业"
        verbose_name_plural = "企业"
        ordering = ["name"]
        indexes = [models.Index(fields=["territory", "industry"])]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    """A construction project. `under_full_supervision` is derived from the contract value and
    duration against the editable thresholds and stored so that lists can filter on it."""

    class InvestmentType(models.TextChoices):
        GOVERNMENT = "government", "政府投资"
        STATE_OWNED = "state_owned", "国有资金投资"
        PPP = "ppp", "PPP项目"
        SOCIAL = "social", "社会投资"

    class Status(models.TextChoices):
        PLANNED = "planned", "未开工"
        UNDER_CONSTRUCTION = "under_construction", "在建"
        SUSPENDED = "suspended", "停工"
        COMPLETED = "completed", "已竣工"

    name = models.CharField("项目名称", max_length=200)
    code = models.CharField("项目编号", max_length=64, unique=True)
    owner = models.ForeignKey(Enterprise, verbose_name="建设单位", null=True, blank=True, on_delete=models.PROTECT, related_name="owned_projects")
    owner_organisation = models.ForeignKey(
        Organisation, verbose_name="国有建设单位(平台单位)", null=True, blank=True, on_delete=models.PROTECT, related_name="owned_projects"
    )
    general_contractor = models.ForeignKey(
        Enterprise, verbose_name="施工总承包单位", null=True, blank=True, on_delete=models.PROTECT, related_name="contracted_projects"
    )
    investment_type = models.CharField("投资类型", max_length=16, choices=InvestmentType.choices, default=InvestmentType.SOCIAL)
    contract_value = models.DecimalField("合同价款(元)", max_digits=16, decimal_places=2, default=Decimal("0"))
    planned_start = models.DateField("计划开工日期", null=True, blank=True)
    planned_end = models.DateField("计划竣工日期", null=True, blank=True)
    status = models.CharField("状态", max_length=24, choices=Status.choices, default=Status.UNDER_CONSTRUCTION)
    site_address = models.CharField("项目地址", max_length=255, blank=True)
    territory = models.ForeignKey(Territory, verbose_name="所属辖区", on_delete=models.PROTECT, related_name="projects")
    industry = models.CharField("行业", max_length=32, choices=Industry.choices, default=Industry.CONSTRUCTION)
    industry_authority = models.ForeignKey(
        Organisation, verbose_name="行业主管部门", null=True, blank=True, on_delete=models.PROTECT, related_name="supervised_projects"
    )
    under_full_supervision = models.BooleanField("纳入平台全面监管", default=False, db_index=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "建设项目"
        verbose_name_plural = "建设项目"
        ordering = ["code"]
        indexes = [models.Index(fields=["territory", "industry"])]

    def __str__(self) -> str:
        return self.name


class ProjectParticipant(models.Model):
    """One link of a project's subcontracting chain: who works under whom."""

    class Role(models.TextChoices):
        PROFESSIONAL_SUBCONTRACTOR = "professional_subcontractor", "专业分包"
        LABOUR_SUBCONTRACTOR = "labour_subcontractor", "劳务分包"
        TEAM = "team", "班组"
        SUPERVISOR = "supervisor", "监理单位"

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="participants")
    enterprise = models.ForeignKey(Enterprise, verbose_name="企业", on_delete=models.PROTECT, related_name="participations")
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    parent = models.ForeignKey("self", verbose_name="上级承包方", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    contract_value = models.DecimalField("分包合同价款(元)", max_digits=16, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = "参建单位"
        verbose_name_plural = "参建单位"
        constraints = [models.UniqueConstraint(fields=["project", "enterprise", "role"], name="unique_project_participant")]

    def __str__(self) -> str:
        return f"{self.project} / {self.enterprise} ({self.get_role_display()})"


class SupervisionThreshold(models.Model):
    """The editable rule for full platform supervision (one row): projects at or above both
    thresholds carry the five systems and the deposit."""

    min_contract_value = models.DecimalField("合同价款下限(元)", max_digits=16, decimal_places=2, default=Decimal("4000000"))
    min_duration_months = models.PositiveIntegerField("工期下限(月)", default=6)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "全面监管标准"
        verbose_name_plural = "全面监管标准"

    def __str__(self) -> str:
        return f"≥{self.min_contract_value}元且≥{self.min_duration_months}个月"
