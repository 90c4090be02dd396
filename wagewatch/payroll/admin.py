"""Read-only admin for the payroll data: every write goes through the services (validated, in the
history). Personal data appears masked only; the big tables show no full count."""

from django.contrib import admin

from wagewatch.core.admin_base import ReadOnlyAdmin
from wagewatch.core.protected import BANK_CARD, ID_NUMBER, PHONE, mask

from .models import (
    Attendance,
    BankDisbursement,
    CaseOpeningRule,
    Finding,
    FindingRule,
    GuaranteeDeposit,
    ImportJob,
    LabourCostInstalment,
    PayrollSheet,
    PayrollWarning,
    ProjectWorker,
    ReconciliationRun,
    SiteRecord,
    Team,
    WageAccount,
    Worker,
)


@admin.register(Worker)
class WorkerAdmin(ReadOnlyAdmin):
    list_display = ("name", "masked_id_number", "created_at")
    search_fields = ("name",)
    fields = ("name", "masked_id_number", "created_at", "updated_at")
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="身份证号")
    def masked_id_number(self, obj):
        return mask(ID_NUMBER, obj.id_number)


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin):
    list_display = ("name", "project", "enterprise", "leader_name")
    list_select_related = ("project", "enterprise")
    search_fields = ("name", "project__name", "project__code")
    fields = ("project", "name", "enterprise", "leader_name")
    readonly_fields = fields


@admin.register(ProjectWorker)
class ProjectWorkerAdmin(ReadOnlyAdmin):
    list_display = ("worker", "project", "team", "trade", "entry_date", "exit_date", "contract_signed_on", "wage_basis", "agreed_rate")
    list_select_related = ("worker", "project", "team")
    list_filter = ("wage_basis",)
    search_fields = ("worker__name", "project__code")
    # Personal data masked only: the phone and card are this project's, shown as on the pages.
    fields = (
        "worker", "project", "team", "masked_phone", "masked_bank_card", "bank_name", "trade", "entry_date", "exit_date",
        "contract_signed_on", "wage_basis", "agreed_rate", "settled_on", "settlement_confirmed_on", "created_at", "updated_at",
    )
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="手机号")
    def masked_phone(self, obj):
        return mask(PHONE, obj.phone)

    @admin.display(description="工资卡号")
    def masked_bank_card(self, obj):
        return mask(BANK_CARD, obj.bank_card)


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdmin):
    list_display = ("at", "direction", "project_worker", "terminal", "location")
    list_select_related = ("project_worker__worker",)
    show_full_result_count = False


@admin.register(PayrollSheet)
class PayrollSheetAdmin(ReadOnlyAdmin):
    list_display = ("project", "month", "submitted_at", "submitted_by")
    list_select_related = ("project", "submitted_by")
    date_hierarchy = "month"


@admin.register(WageAccount)
class WageAccountAdmin(ReadOnlyAdmin):
    list_display = ("project", "bank_name", "masked_account", "opened_on", "pay_day")
    list_select_related = ("project",)
    fields = ("project", "bank_name", "masked_account", "opened_on", "pay_day")
    readonly_fields = fields

    @admin.display(description="账号")
    def masked_account(self, obj):
        return mask(BANK_CARD, obj.account_number)


@admin.register(BankDisbursement)
class BankDisbursementAdmin(ReadOnlyAdmin):
    list_display = ("project", "paid_at", "payee_name", "masked_account", "amount", "reference", "month")
    list_select_related = ("project",)
    fields = ("project", "paid_at", "payee_name", "masked_account", "amount", "reference", "month")
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="收款账号")
    def masked_account(self, obj):
        return mask(BANK_CARD, obj.payee_account)


@admin.register(LabourCostInstalment)
class LabourCostInstalmentAdmin(ReadOnlyAdmin):
    list_display = ("project", "paid_on", "amount", "payer", "reference")
    list_select_related = ("project",)


@admin.register(GuaranteeDeposit)
class GuaranteeDepositAdmin(ReadOnlyAdmin):
    list_display = ("project", "amount", "form", "bank_name", "deposited_on", "released_on")
    list_select_related = ("project",)
    list_filter = ("form",)


@admin.register(SiteRecord)
class SiteRecordAdmin(ReadOnlyAdmin):
    list_display = ("project", "work_injury_policy_number", "rights_board_posted_on", "completed_on", "records_uploaded_on")
    list_select_related = ("project",)


@admin.register(FindingRule)
class FindingRuleAdmin(ReadOnlyAdmin):
    list_display = ("kind", "enabled", "level", "threshold", "threshold_secondary", "description")


@admin.register(CaseOpeningRule)
class CaseOpeningRuleAdmin(ReadOnlyAdmin):
    list_display = ("min_level", "min_shortfall_total", "min_workers_affected", "updated_at")


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ("month", "status", "started_at", "finished_at", "projects_total", "projects_done", "findings_count")
    list_filter = ("status",)


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("project", "month", "kind", "level", "subject", "amount", "status", "last_found_at")
    list_select_related = ("project",)
    list_filter = ("kind", "level", "status")
    show_full_result_count = False


@admin.register(PayrollWarning)
class PayrollWarningAdmin(ReadOnlyAdmin):
    list_display = ("project", "month", "level", "findings_count", "shortfall_total", "workers_affected", "case", "active")
    list_select_related = ("project", "case")
    list_filter = ("level", "active")


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ("project", "kind", "file_name", "status", "rows_total", "rows_created", "created_at")
    list_select_related = ("project",)
    list_filter = ("kind", "status", "source")
