"""Forms of the project supervision pages. They only parse input; the services in
services/roster.py validate (in Chinese, every problem at once) and write."""

from __future__ import annotations

from django import forms

from wagewatch.core.forms import Form
from wagewatch.registry.forms import apply_service_errors  # noqa: F401  (re-exported for the views)
from wagewatch.registry.models import Enterprise

from .models import GuaranteeDeposit, Team, WageBasis, WarningLevel

BLANK = [("", "全部")]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _date(label: str, required: bool = False) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DateInput())


class ProjectFilterForm(Form):
    q = forms.CharField(label="名称/编号", required=False)
    warning = forms.ChoiceField(label="预警等级", required=False, choices=BLANK + WarningLevel.choices + [("none", "无预警")])
    supervision = forms.ChoiceField(label="全面监管", required=False, choices=BLANK + [("1", "纳入"), ("0", "未纳入")])
    month = forms.CharField(label="月份", required=False, widget=forms.TextInput(attrs={"type": "month"}))

    def selector_kwargs(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "search": data["q"],
            "warning_level": data["warning"],
            "under_full_supervision": {"1": True, "0": False}.get(data["supervision"]),
        }


class TeamForm(Form):
    name = forms.CharField(label="班组名称", max_length=100)
    enterprise = forms.ModelChoiceField(Enterprise.objects.none(), label="所属企业(分包/劳务企业)", required=False)
    leader_name = forms.CharField(label="班组长", required=False, max_length=50)
    leader_id_number = forms.CharField(label="班组长身份证号", required=False, max_length=18)
    leader_phone = forms.CharField(label="班组长手机号", required=False, max_length=20)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        from django.db.models import Q

        ids = [e for e in (project.general_contractor_id, project.owner_id) if e]
        self.fields["enterprise"].queryset = Enterprise.objects.filter(
            Q(pk__in=ids) | Q(participations__project=project)
        ).distinct().order_by("name")


class WorkerEnterForm(Form):
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="身份证号", max_length=18)
    phone = forms.CharField(label="手机号", required=False, max_length=20)
    trade = forms.CharField(label="工种", required=False, max_length=50)
    team = forms.ModelChoiceField(Team.objects.none(), label="班组", required=False)
    entry_date = _date("进场日期", required=True)
    contract_signed_on = _date("劳动合同签订日期")
    wage_basis = forms.ChoiceField(label="计薪方式", choices=WageBasis.choices)
    agreed_rate = forms.DecimalField(label="约定工资标准(元/日、元/月或元/单位)", max_digits=14, decimal_places=2)
    bank_card = forms.CharField(label="工资卡号", required=False, max_length=24)
    bank_name = forms.CharField(label="开户银行", required=False, max_length=100)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(project=project).order_by("name")


class WorkerExitForm(Form):
    exit_date = _date("退场日期", required=True)
    settled_on = _date("工资结算日期")
    settlement_confirmed_on = _date("工人确认结算日期")


class WageAccountForm(Form):
    bank_name = forms.CharField(label="开户银行", max_length=100)
    account_number = forms.CharField(label="账号", max_length=24)
    opened_on = _date("开户日期", required=True)
    pay_day = forms.IntegerField(label="发薪日(次月几日)", min_value=1, max_value=28, initial=15)


class DepositForm(Form):
    amount = forms.DecimalField(label="金额(元)", max_digits=14, decimal_places=2)
    bank_name = forms.CharField(label="存储银行/出具机构", max_length=100)
    form = forms.ChoiceField(label="形式", choices=GuaranteeDeposit.Form.choices)
    deposited_on = _date("存储日期", required=True)


class DepositReleaseForm(Form):
    released_on = _date("返还日期", required=True)


class SiteRecordForm(Form):
    work_injury_policy_number = forms.CharField(label="工伤保险(按项目参保)保单号", required=False, max_length=64)
    work_injury_insured_on = _date("参保日期")
    rights_board_posted_on = _date("维权告示牌设置日期")
    completed_on = _date("竣工日期")
    records_uploaded_on = _date("用工资料上传完成日期")
