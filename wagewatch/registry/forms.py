"""Forms of the registry pages. They only parse input; the services validate and write."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from wagewatch.core.forms import Form
from wagewatch.core.models import Industry, Organisation, Territory

from .models import Enterprise, Project, ProjectParticipant
from .selectors import territories_in_scope

BLANK = [("", "全部")]
YES_NO = [("", "全部"), ("1", "是"), ("0", "否")]


def _territory_field(user, *, required=True, label="所属辖区") -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(territories_in_scope(user), required=required, label=label)
    field.label_from_instance = lambda t: ("— " * (t.path.count("/") - 1)) + t.name
    return field


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's field errors next to the matching inputs (others at the top)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, messages in exc.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class EnterpriseFilterForm(Form):
    q = forms.CharField(label="名称/信用代码", required=False)
    territory = forms.ModelChoiceField(Territory.objects.none(), label="辖区", required=False, empty_label="全部")
    industry = forms.ChoiceField(label="行业", choices=BLANK + Industry.choices, required=False)
    size = forms.ChoiceField(label="规模", choices=BLANK + Enterprise.Size.choices, required=False)
    missing = forms.ChoiceField(label="缺少信用代码", choices=YES_NO, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["territory"] = _territory_field(user, required=False, label="辖区")
        self.fields["territory"].empty_label = "全部"

    def selector_kwargs(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        missing = {"1": True, "0": False}.get(data["missing"])
        return {
            "search": data["q"],
            "territory": data["territory"],
            "industry": data["industry"],
            "size": data["size"],
            "credit_code_missing": missing,
        }


class ProjectFilterForm(Form):
    q = forms.CharField(label="名称/编号", required=False)
    territory = forms.ModelChoiceField(Territory.objects.none(), label="辖区", required=False)
    industry = forms.ChoiceField(label="行业", choices=BLANK + Industry.choices, required=False)
    investment_type = forms.ChoiceField(label="投资类型", choices=BLANK + Project.InvestmentType.choices, required=False)
    supervised = forms.ChoiceField(label="全面监管", choices=YES_NO, required=False)
    status = forms.ChoiceField(label="状态", choices=BLANK + Project.Status.choices, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["territory"] = _territory_field(user, required=False, label="辖区")
        self.fields["territory"].empty_label = "全部"

    def selector_kwargs(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "search": data["q"],
            "territory": data["territory"],
            "industry": data["industry"],
            "investment_type": data["investment_type"],
            "under_full_supervision": {"1": True, "0": False}.get(data["supervised"]),
            "status": data["status"],
        }


class EnterpriseForm(Form):
    name = forms.CharField(label="企业名称", max_length=200)
    credit_code = forms.CharField(label="统一社会信用代码", max_length=40, required=False, help_text="18位;暂不知道可留空")
    legal_representative = forms.CharField(label="法定代表人", max_length=50, required=False)
    legal_representative_id_number = forms.CharField(label="法定代表人身份证号", max_length=30, required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=30, required=False)
    address = forms.CharField(label="地址", max_length=255, required=False)
    territory = forms.ModelChoiceField(Territory.objects.none(), label="所属辖区")
    industry = forms.ChoiceField(label="行业", choices=Industry.choices, initial=Industry.OTHER)
    size = forms.ChoiceField(label="规模", choices=[("", "未填")] + Enterprise.Size.choices, required=False)
    employee_count = forms.IntegerField(label="职工人数", min_value=0, required=False)

    PROTECTED = ("legal_representative_id_number", "contact_phone")

    def __init__(self, *args, user, instance: Enterprise | None = None, **kwargs):
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "credit_code": instance.credit_code or "",
                "legal_representative": instance.legal_representative,
                "address": instance.address,
                "territory": instance.territory_id,
                "industry": instance.industry,
                "size": instance.size,
                "employee_count": instance.employee_count,
            }
        super().__init__(*args, **kwargs)
        self.fields["territory"] = _territory_field(user)
        if instance is not None:
            from wagewatch.core.protected import ID_NUMBER, PHONE, mask

            # Personal data is never put back into the page: blank keeps what is on file.
            for name, kind in (("legal_representative_id_number", ID_NUMBER), ("contact_phone", PHONE)):
                current = getattr(instance, name)
                if current:
                    self.fields[name].help_text = f"已登记 {mask(kind, current)};留空则不修改"

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        if self.instance is not None:
            for name in self.PROTECTED:
                if not data[name]:
                    data.pop(name)
        data["credit_code"] = data["credit_code"] or None
        return data


class ProjectForm(Form):
    name = forms.CharField(label="项目名称", max_length=200)
    code = forms.CharField(label="项目编号", max_length=64)
    territory = forms.ModelChoiceField(Territory.objects.none(), label="所属辖区")
    owner = forms.CharField(label="建设单位", max_length=200, required=False, help_text="已登记企业的统一社会信用代码或名称")
    owner_organisation = forms.ModelChoiceField(
        Organisation.objects.filter(kind=Organisation.Kind.STATE_OWNED_OWNER, is_active=True), label="国有建设单位(平台单位)", required=False
    )
    general_contractor = forms.CharField(
        label="施工总承包单位", max_length=200, required=False, help_text="已登记企业的统一社会信用代码或名称"
    )
    investment_type = forms.ChoiceField(label="投资类型", choices=Project.InvestmentType.choices, initial=Project.InvestmentType.SOCIAL)
    contract_value = forms.DecimalField(label="合同价款(元)", max_digits=16, decimal_places=2)
    planned_start = forms.DateField(label="计划开工日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    planned_end = forms.DateField(label="计划竣工日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    industry = forms.ChoiceField(label="行业", choices=Industry.choices, initial=Industry.CONSTRUCTION)
    industry_authority = forms.ModelChoiceField(
        Organisation.objects.filter(kind=Organisation.Kind.INDUSTRY_BUREAU, is_active=True), label="行业主管部门", required=False
    )
    site_address = forms.CharField(label="项目地址", max_length=255, required=False)
    status = forms.ChoiceField(label="状态", choices=Project.Status.choices, initial=Project.Status.UNDER_CONSTRUCTION)

    def __init__(self, *args, user, instance: Project | None = None, **kwargs):
        self.instance = instance
        self.user = user
        if instance is not None and "initial" not in kwargs:
            initial = {name: getattr(instance, name) for name in self.base_fields}
            for name in ("owner", "general_contractor"):
                party = getattr(instance, name)
                initial[name] = (party.credit_code or party.name) if party else ""
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.fields["territory"] = _territory_field(user)

    def clean_owner(self):
        return resolve_enterprise(self.user, self.cleaned_data["owner"], "建设单位")

    def clean_general_contractor(self):
        return resolve_enterprise(self.user, self.cleaned_data["general_contractor"], "施工总承包单位")

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


def resolve_enterprise(user, text: str, label: str) -> Enterprise | None:
    """An enterprise the user may see, named by credit code or name (a select of every
    enterprise in the district would be far too long)."""
    from .importers import _EnterpriseRefs

    text = (text or "").strip()
    if not text:
        return None
    return _EnterpriseRefs(user, {text}).get(text, label)


class ParticipantForm(Form):
    enterprise = forms.CharField(label="企业", max_length=200, help_text="统一社会信用代码或名称")
    role = forms.ChoiceField(label="角色", choices=ProjectParticipant.Role.choices)
    parent = forms.ModelChoiceField(ProjectParticipant.objects.none(), label="上级承包方", required=False, empty_label="施工总承包单位")
    contract_value = forms.DecimalField(label="分包合同价款(元)", max_digits=16, decimal_places=2, required=False, min_value=0)

    def __init__(self, *args, user, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["parent"].queryset = project.participants.select_related("enterprise")
        self.fields["parent"].label_from_instance = lambda p: f"{p.enterprise.name}({p.get_role_display()})"

    def clean_enterprise(self):
        return resolve_enterprise(self.user, self.cleaned_data["enterprise"], "企业")


class ThresholdForm(Form):
    min_contract_value = forms.DecimalField(label="合同价款下限(元)", max_digits=16, decimal_places=2, min_value=0)
    min_duration_months = forms.IntegerField(label="计划工期下限(月)", min_value=0, max_value=240)


class ImportForm(Form):
    kind = forms.ChoiceField(label="导入内容", choices=[("enterprises", "企业"), ("projects", "建设项目")])
    file = forms.FileField(label="文件(.xlsx 或 .csv)")
