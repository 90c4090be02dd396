from django.contrib import admin

from wagewatch.core.admin_base import ReadOnlyAdmin
from wagewatch.core.protected import PHONE, mask

from .models import Notification, WorkerMessage


@admin.register(WorkerMessage)
class WorkerMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "case_number", "masked_phone", "to_state", "status", "attempts", "sent_at"]
    list_filter = ["status", "to_state"]
    search_fields = ["=case_number"]
    exclude = ["phone", "phone_digest"]
    readonly_fields = ["masked_phone"]

    @admin.display(description="手机号")
    def masked_phone(self, obj):
        return mask(PHONE, obj.phone)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "title", "kind", "recipient_user", "recipient_organisation", "case_number", "read_at"]
    list_filter = ["kind"]
    search_fields = ["=case_number", "title"]
