"""Django admin for administrators only: territories, organisations, users and API tokens.

Only the administrator role reaches /admin/ (others get the Chinese 403 page), sign-in goes
through the platform's own login page (with its throttling), and every save, delete and token
revocation made here is recorded in the history in the same transaction."""

from __future__ import annotations

import importlib.util

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from wagewatch.history.services import event_append

from .forms import ModelForm
from .models import ApiToken, Organisation, Role, Territory, User
from .protected import PHONE, mask, validate_phone
from .services import user_is_locked
from .text import TextFormMixin

# ------------------------------------------------------------------------- site access


def _has_permission(request) -> bool:
    user = request.user
    return bool(user.is_active and user.is_authenticated and user.is_staff and user.role == Role.ADMINISTRATOR)


def _login(request, extra_context=None):
    """Admin sign-in is the platform's login page, so its throttling applies here too."""
    next_url = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = reverse("admin:index")
    if request.user.is_authenticated:
        if _has_permission(request):
            return HttpResponseRedirect(next_url)
        raise PermissionDenied("系统管理仅限系统管理员使用")
    return redirect_to_login(next_url, login_url=reverse("core:login"))


admin.site.has_permission = _has_permission
admin.site.login = _login


# ------------------------------------------------------------------------- recording


class HistoryAdminMixin:
    """Records admin writes as `<noun>.created|changed|deleted` events (field names only)."""

    history_noun = ""

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            event_append(
                actor=request.user,
                action=f"{self.history_noun}.{'changed' if change else 'created'}",
                obj=obj,
                payload={"via": "admin", "fields": sorted(form.changed_data)},
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            event_append(actor=request.user, action=f"{self.history_noun}.deleted", obj=obj, payload={"via": "admin"})
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                event_append(actor=request.user, action=f"{self.history_noun}.deleted", obj=obj, payload={"via": "admin"})
            super().delete_queryset(request, queryset)


# ------------------------------------------------------------------------- models


@admin.register(Territory)
class TerritoryAdmin(HistoryAdminMixin, admin.ModelAdmin):
    form = ModelForm
    history_noun = "territory"
    list_display = ["name", "code", "level", "parent", "path"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path"]
    ordering = ["path"]


# ------------------------------------------------------------------------- phones: write only


def _phone_field(label: str) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=30, help_text="留空则不修改;要更换请填写新号码")


class _PhoneWriteOnly:
    """The admin never shows a stored phone in full (the administrator is not a role that may
    see phones): the box starts empty, the help text shows the mask, a new number replaces it."""

    def _phone_setup(self):
        current = getattr(self.instance, "phone", "") if self.instance.pk else ""
        self.initial["phone"] = ""
        if current:
            self.fields["phone"].help_text = f"当前:{mask(PHONE, current)}。留空则不修改;要更换请填写新号码"

    def clean_phone(self):
        value = (self.cleaned_data.get("phone") or "").strip()
        if not value:
            return getattr(self.instance, "phone", "") if self.instance.pk else ""
        return validate_phone(value)


class OrganisationAdminForm(TextFormMixin, _PhoneWriteOnly, forms.ModelForm):
    phone = _phone_field("办公电话")

    class Meta:
        model = Organisation
        fields = ["name", "short_name", "kind", "industry", "territory", "enterprise", "leader_name", "phone", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._phone_setup()


class StaffUserChangeForm(TextFormMixin, _PhoneWriteOnly, UserChangeForm):
    phone = _phone_field("手机号")

    class Meta(UserChangeForm.Meta):
        model = User

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._phone_setup()


@admin.register(Organisation)
class OrganisationAdmin(HistoryAdminMixin, admin.ModelAdmin):
    history_noun = "organisation"
    form = OrganisationAdminForm
    list_display = ["name", "short_name", "kind", "industry", "territory", "leader_name", "is_active"]
    list_filter = ["kind", "industry", "is_active"]
    search_fields = ["name", "short_name"]
    autocomplete_fields = ["territory"]
    raw_id_fields = ["enterprise"]
    list_select_related = ["territory"]


@admin.register(User)
class UserAdmin(HistoryAdminMixin, DjangoUserAdmin):
    history_noun = "user"
    form = StaffUserChangeForm
    list_display = ["username", "full_name", "role", "organisation", "territory", "is_active", "lock_status", "last_login"]
    list_filter = ["role", "is_active", "organisation__kind"]
    search_fields = ["username", "full_name"]
    list_select_related = ["organisation", "territory"]
    autocomplete_fields = ["organisation", "territory"]
    ordering = ["username"]
    # locked_until is the one way to lock an account: an administrator sets it here (recorded);
    # failed passwords only slow the next attempt (core/login_throttle.py), they never lock.
    readonly_fields = ["last_login", "date_joined", "password_changed_at", "failed_logins"]
    actions = ["unlock_users"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("个人信息", {"fields": ("full_name", "phone", "email")}),
        ("角色与范围", {"fields": ("role", "organisation", "territory")}),
        ("账户状态", {"fields": ("is_active", "is_staff", "is_superuser", "failed_logins", "locked_until")}),
        ("重要日期", {"fields": ("last_login", "date_joined", "password_changed_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        ("角色与范围", {"classes": ("wide",), "fields": ("full_name", "role", "organisation", "territory")}),
    )

    @admin.display(description="锁定状态")
    def lock_status(self, obj: User) -> str:
        return "已锁定" if user_is_locked(obj) else "正常"

    @admin.action(description="解锁所选用户")
    def unlock_users(self, request, queryset):
        from .services import user_unlock

        count = 0
        for user in queryset:
            user_unlock(actor=request.user, user=user)
            count += 1
        self.message_user(request, f"已解锁 {count} 个用户", messages.SUCCESS)

    def user_change_password(self, request, id, form_url=""):
        # The password and its history event commit together (see log_change).
        with transaction.atomic():
            return super().user_change_password(request, id, form_url)

    def log_change(self, request, obj, message):
        if request.resolver_match and request.resolver_match.url_name == "auth_user_password_change":
            obj.password_changed_at = timezone.now()
            obj.save(update_fields=["password_changed_at"])
            event_append(actor=request.user, action="user.password_changed", obj=obj, payload={"by_self": False, "via": "admin"})
        return super().log_change(request, obj, message)

    def save_model(self, request, obj, form, change):
        if "password1" in form.cleaned_data or (change and "password" in form.changed_data):
            obj.password_changed_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `manage.py create_api_token`; here they are only seen and revoked."""
    form = ModelForm

    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "user__username"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "prefix", "token_hash", "created_at", "last_used_at", "revoked_at"]
    fields = readonly_fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoked tokens stay on record

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="吊销所选令牌")
    def revoke(self, request, queryset):
        count = 0
        with transaction.atomic():
            for token in queryset.select_for_update().filter(revoked_at__isnull=True):
                token.revoked_at = timezone.now()
                token.save(update_fields=["revoked_at"])
                event_append(
                    actor=request.user, action="api_token.revoked", obj=token, payload={"prefix": token.prefix, "user": token.user_id}
                )
                count += 1
        self.message_user(request, f"已吊销 {count} 个令牌", messages.SUCCESS)


# The working-day calendar's admin lives in its own module, written separately; a bug inside
# it must still fail loudly, so only its absence is tolerated.
if importlib.util.find_spec(f"{__package__}.admin_calendar") is not None:
    from . import admin_calendar  # noqa: F401
