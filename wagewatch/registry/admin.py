"""Read-only admin for the registry: every write goes through the services so that it is
validated and lands in the history; the admin is for looking things up."""

from django.contrib import admin

from wagewatch.core.admin_base import ReadOnlyAdmin
from wagewatch.core.protected import ID_NUMBER, PHONE, mask

from .models import Enterprise, Project, ProjectParticipant, SupervisionThreshold


@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnlyAdmin):
    list_display = ("name", "credit_code", "credit_code_missing", "territory", "industry", "size", "employee_count")
    list_filter = ("credit_code_missing", "industry", "size")
    search_fields = ("name", "name_normalised", "credit_code")
    list_select_related = ("territory",)
    # Clear ID and phone numbers never appear here: only their masked form.
    fields = (
        "name",
        "name_normalised",
        "credit_code",
        "credit_code_missing",
        "legal_representative",
        "masked_id_number",
        "masked_phone",
        "address",
        "territory",
        "industry",
        "size",
        "employee_count",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="法定代表人身份证号")
    def masked_id_number(self, obj):
        return mask(ID_NUMBER, obj.legal_representative_id_number)

    @admin.display(description="联系电话")
    def masked_phone(self, obj):
        return mask(PHONE, obj.contact_phone)


class ParticipantInline(admin.TabularInline):
    model = ProjectParticipant
    fk_name = "project"
    extra = 0
    fields = ("enterprise", "role", "parent", "contract_value")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "territory", "general_contractor", "investment_type", "contract_value", "status", "under_full_supervision")
    list_filter = ("under_full_supervision", "status", "investment_type", "industry")
    search_fields = ("code", "name", "owner__name", "general_contractor__name")
    list_select_related = ("territory", "general_contractor")
    inlines = [ParticipantInline]


@admin.register(ProjectParticipant)
class ProjectParticipantAdmin(ReadOnlyAdmin):
    list_display = ("project", "enterprise", "role", "parent", "contract_value")
    list_filter = ("role",)
    search_fields = ("project__code", "project__name", "enterprise__name")
    list_select_related = ("project", "enterprise", "parent__enterprise", "parent__project")


@admin.register(SupervisionThreshold)
class SupervisionThresholdAdmin(ReadOnlyAdmin):
    list_display = ("min_contract_value", "min_duration_months", "updated_at")
