"""Admin for the case loop's editable rules (routing, major-case threshold, clue outcomes,
deadline rules). Every save is recorded in the history in the same transaction; rules are
switched off, never deleted, so old cases still name the rule that routed them. Cases
themselves are changed only through the services (pages and API)."""

from django.contrib import admin
from django.db import transaction

from wagewatch.core.forms import ModelForm
from wagewatch.history.services import event_append

from .models import ClueOutcome, DeadlineRule, MajorCaseThreshold, RoutingRule


class RecordedAdmin(admin.ModelAdmin):
    form = ModelForm  # text refuses control characters (core.text)

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changed = {name: str(form.cleaned_data.get(name)) for name in form.changed_data}
            event_append(
                actor=request.user, action=f"{obj._meta.model_name}.{'updated' if change else 'created'}", obj=obj, payload={"changes": changed}
            )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RoutingRule)
class RoutingRuleAdmin(RecordedAdmin):
    list_display = ("priority", "name", "lead_kind", "lead_organisation", "assist_territorial", "copy_industry_authority", "notify_general_contractor", "active")
    list_editable = ()
    list_filter = ("active", "lead_kind")
    ordering = ("priority", "pk")


@admin.register(MajorCaseThreshold)
class MajorCaseThresholdAdmin(RecordedAdmin):
    list_display = ("min_amount", "min_workers", "updated_at")

    def has_add_permission(self, request):
        return not MajorCaseThreshold.objects.exists()


@admin.register(ClueOutcome)
class ClueOutcomeAdmin(RecordedAdmin):
    list_display = ("sort_order", "code", "name", "active")
    list_filter = ("active",)


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(admin.ModelAdmin):
    form = ModelForm
    list_display = ("kind", "active", "remind_before_minutes", "escalate_action")

    def save_model(self, request, obj, form, change):
        from .sweep import deadline_rule_update

        if not change:
            return super().save_model(request, obj, form, change)
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        original = DeadlineRule.objects.get(pk=obj.pk)
        deadline_rule_update(actor=request.user, rule=original, **changes)

    def has_delete_permission(self, request, obj=None):
        return False
