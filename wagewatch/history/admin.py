from django.contrib import admin

from wagewatch.core.admin_base import ReadOnlyAdmin

from .models import Event, TreeHead


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "recorded_at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["=object_id", "action", "actor_label"]
    show_full_result_count = False


@admin.register(TreeHead)
class TreeHeadAdmin(ReadOnlyAdmin):
    list_display = ["tree_size", "signed_at", "root_hash", "published_by"]
